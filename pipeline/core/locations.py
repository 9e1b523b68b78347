"""Where an installation keeps things, and the name of every file the pipeline writes: the outbox,
the archive, the state files beside the ledger. Each name is spelled here once; the stages that
write or link a file ask for its name here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from pipeline.core.sender_text import safe_filename

PROGRAM_DIR = Path(__file__).resolve().parents[1]  # the pipeline package
REPORT_TEMPLATES = PROGRAM_DIR / "reports" / "templates"

# Beside the ledger.
ARCHIVE = "archive"
REJECTED = "rejected"
STORED_FOLDERS = (ARCHIVE, REJECTED)
UNIDENTIFIED = "unidentified"  # the archive's and the outbox's folder for files of no known round
BACKUP_FOLDER = "ledger-backups"
REBUILT_STATE = "rebuilt.json"  # the keys of what each output rests on
MAIL_FETCHED_STATE = "mail-fetched.json"
MAIL_SENT_STATE = "mail-sent.json"

# In the outbox.
STATUS_PAGE = "index.html"
LOG_FOLDER = "logs"
WORKER_LOG = "tien-trinh-doc-tep.log"  # in LOG_FOLDER: what the reader processes printed (parsers' noise)
FEEDBACK_FOLDER = "feedback"
NOTE_SUFFIX = "_phan-hoi.txt"  # the answer to a file
MARKED_SUFFIX = "_phan-hoi.xlsx"  # the sender's workbook with the problem cells marked
DRAFT_SUFFIX = "_thu-tra-loi.eml"  # the reply draft, ready to send
# The reply draft to an address that failed the sender check: `send` leaves it unless asked (a forged
# sender would otherwise get an answer per file it sent, with the unit's figures marked).
UNVERIFIED_DRAFT_SUFFIX = "_thu-tra-loi_chua-xac-minh.eml"
REMINDER_FOLDER = "nhac-han"  # beside a round's feedback: the reminders `remind` wrote, one per unit and day
REMINDER_SUFFIX = "_thu-nhac-han.eml"
AREA_FOLDER = "khu-vuc"  # beside the round's workbook: one detail workbook per area
UNIT_FOLDERS = {"district": "huyen", "commune": "xa", "department": "so-nganh"}
ROLLUP_WORKBOOK = "tong-hop-toan-quoc.xlsx"
ROLLUP_SUMMARY = "tong-hop-toan-quoc.txt"
ROLLUP_DETAIL = "so-lieu-goc-toan-quoc.csv"
EXPORT_FOLDER = "xuat-so-lieu"  # the tidy export, unless told where
EXPORT_PACKAGE = "datapackage.json"


@dataclass(frozen=True)
class Paths:
    """Where one installation's run reads and writes."""

    inbox: Path
    outbox: Path
    home: Path  # holds archive/ and rejected/
    ledger: Path

    @classmethod
    def beside_outbox(cls, inbox: Path, outbox: Path, ledger: Path | None = None) -> Paths:
        """The ledger lives in the outbox's parent unless told otherwise; archive/ and rejected/
        always beside the ledger."""
        ledger_path = Path(ledger).resolve() if ledger else Path(outbox).resolve().parent / "ledger.sqlite"
        return cls(Path(inbox), Path(outbox), ledger_path.parent, ledger_path)


class _Unit(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def slug(self) -> str: ...
    @property
    def level(self) -> str: ...


def template_filename(round_id: str, unit: _Unit) -> str:
    return f"{round_id}_{unit.code}_{unit.slug}.xlsx"


def stored_name(row_id: int, sha256: str, original: str) -> str:
    """The archived copy's name: ledger id and hash first (unique), then the sender's name made safe."""
    return f"{row_id:06d}_{sha256[:12]}_{safe_filename(original)}"


def stored_path(folder: str, round_id: str | None, name: str) -> Path:
    """Relative to the ledger's folder."""
    return Path(folder) / (round_id or UNIDENTIFIED) / name


def run_log(outbox: Path, started: datetime, pid: int) -> Path:
    return Path(outbox) / LOG_FOLDER / f"run-{started:%Y%m%d-%H%M%S-%f}-{pid}.log"


def feedback_folder(outbox: Path, round_id: str | None) -> Path:
    if round_id:
        return Path(outbox) / round_id / FEEDBACK_FOLDER
    return Path(outbox) / UNIDENTIFIED


def feedback_stem(row_id: int, original: str) -> str:
    """The start of every answer's file name: ledger id and the sender's file name, made safe."""
    return f"{row_id:06d}_{Path(safe_filename(original)).stem}"


def answer_path(outbox: Path, round_id: str | None, row_id: int, original: str, suffix: str) -> Path:
    """One of a received file's answers: NOTE_SUFFIX, MARKED_SUFFIX or DRAFT_SUFFIX."""
    return feedback_folder(outbox, round_id) / f"{feedback_stem(row_id, original)}{suffix}"


def workbook_name(round_id: str) -> str:
    return f"tong-hop_{round_id}.xlsx"


def annex_name(round_id: str) -> str:
    """The province report's annex, beside the report."""
    return f"phu-luc_{round_id}.xlsx"


def area_workbook_name(round_id: str, area_slug: str) -> str:
    """Relative to the round's folder."""
    return f"{AREA_FOLDER}/tong-hop_{round_id}_{area_slug}.xlsx"


def area_status_page(round_id: str, area_slug: str) -> str:
    """An area's own status page, relative to the outbox (index.html links it): beside its workbook."""
    return f"{round_id}/{AREA_FOLDER}/tinh-hinh_{round_id}_{area_slug}.html"


def report_names(round_id: str) -> dict[str, str]:
    return {
        "docx": f"bao-cao_{round_id}.docx",
        "html": f"bao-cao_{round_id}.html",
        "annex": annex_name(round_id),
    }


def unit_report_path(out_dir: Path, round_id: str, unit: _Unit) -> Path:
    return Path(out_dir) / round_id / UNIT_FOLDERS[unit.level] / unit_report_name(round_id, unit)


def unit_report_name(round_id: str, unit: _Unit) -> str:
    """The file name of a unit's report, in its level's folder of the round's (unit_report_path)."""
    return f"bao-cao_{round_id}_{unit.code}_{unit.slug}.docx"


def phase_folder(phase: str) -> str:
    return f"giai-doan_{phase}"


def phase_report_names(phase: str) -> dict[str, str]:
    return {"docx": f"bao-cao-giai-doan_{phase}.docx", "html": f"bao-cao-giai-doan_{phase}.html",
            "workbook": f"tong-hop-giai-doan_{phase}.xlsx"}

"""outbox/index.html: every round at a glance, with links to every output and answer; in a round split
by area (plan/areas.py), a line per area, each linking the area's own page of units and files.

Static pages (jinja2), opened straight from disk: every link is relative to the page's folder.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.core import locations
from pipeline.core.atomic import write_text
from pipeline.core.vietnamese import STATUS_WORDS, format_date, round_title
from pipeline.figures.timeliness import UnitState, tally
from pipeline.ledger.schema import Submission
from pipeline.ledger.store import Ledger
from pipeline.outputs.round_status import RoundStatus, open_rounds, round_status
from pipeline.plan import areas
from pipeline.plan.model import Plan, Round

if TYPE_CHECKING:
    import jinja2

# The colour of each state; its words are figures/timeliness.STATE_WORDS, as in every output.
STATE_CSS = {"reported": "ok", "late": "late", "held": "rejected", "after_approval": "late", "rejected": "rejected",
             "missing": "missing"}


PASSED_REASONS = {
    "symlink": "Liên kết (symlink/shortcut) – không đọc và không di chuyển; hãy chép tệp thật vào hộp thư đến.",
    "special": "Không phải tệp thông thường – không đọc.",
    "unreadable": "Chưa đọc được (tệp đang được ghi hoặc bị khóa) – để lại cho lần chạy sau.",
}


# Each answer to a file that exists, as the status page links it: the letter, the marked copy, the
# reply draft (feedback.write_feedback names them after the letter).
ANSWERS = ((locations.NOTE_SUFFIX, "thư trả lời"), (locations.MARKED_SUFFIX, "bản đánh dấu"),
           (locations.DRAFT_SUFFIX, "thư nháp"),
           (locations.UNVERIFIED_DRAFT_SUFFIX, "thư nháp (người gửi chưa xác minh)"))


class Answers:
    """Each file's answers that exist, from one listing per folder: a national page names thousands,
    most of them twice (among the units and among the files received)."""

    def __init__(self, outbox: Path, envelopes: list | None = None) -> None:
        """`envelopes`: the e-mails unpacked into their files; a file's reply draft is its e-mail's."""
        self.outbox = outbox
        self._folders: dict[str | None, tuple[str, set[str]]] = {}
        self._found: dict[int, list[dict[str, str]]] = {}
        self._envelopes: dict[str, list] = {}
        for envelope in sorted(envelopes or [], key=lambda r: r.id):
            self._envelopes.setdefault(envelope.inbox_path, []).append(envelope)

    def __call__(self, record) -> list[dict[str, str]]:
        found = self._found.get(record.id)
        if found is None:
            found = self._found[record.id] = self._of(record) + self._mail_reply(record)
        return found

    def _of(self, record, suffixes=ANSWERS) -> list[dict[str, str]]:
        href, names = self._folder(record)
        stem = locations.feedback_stem(record.id, record.original_name)
        return [{"label": label, "href": f"{href}/{stem}{suffix}"}
                for suffix, label in suffixes if stem + suffix in names]

    def _mail_reply(self, record) -> list[dict[str, str]]:
        """The reply draft of the e-mail that carried the file: recorded right after its files."""
        container, attached, _ = record.inbox_path.partition("#")
        if not attached:
            return []
        envelope = next((e for e in self._envelopes.get(container, []) if e.id > record.id), None)
        drafts = tuple(a for a in ANSWERS if a[0] in (locations.DRAFT_SUFFIX, locations.UNVERIFIED_DRAFT_SUFFIX))
        return self._of(envelope, drafts) if envelope is not None else []

    def _folder(self, record) -> tuple[str, set[str]]:
        """The answers' folder of a record's round, as a link from the page, and the files in it."""
        known = self._folders.get(record.round)
        if known is None:
            folder = locations.feedback_folder(self.outbox, record.round)
            try:
                names = {e.name for e in os.scandir(folder) if e.is_file(follow_symlinks=False)}
            except OSError:
                names = set()
            known = self._folders[record.round] = (folder.relative_to(self.outbox).as_posix(), names)
        return known


def _file_rows(plan: Plan, records: list[Submission], answers: Answers) -> list[dict]:
    """Files of a round, superseded and rejected ones too, in the order given, each with its answers."""
    return [{"file": r.shown_name, "unit": plan.unit(r.unit).name if r.unit and plan.has_unit(r.unit) else r.unit or "",
             "received": format_date(date.fromisoformat(r.received_at[:10])),
             "status": STATUS_WORDS.get(r.status, r.status), "answers": answers(r)} for r in records]


def _phase_links(plan: Plan, outbox: Path) -> list[dict[str, str]]:
    folder = locations.phase_folder(plan.phase)
    phase_names = locations.phase_report_names(plan.phase)
    found = [(phase_names["docx"], "Báo cáo tổng kết giai đoạn (Word)"),
             (phase_names["html"], "Báo cáo tổng kết giai đoạn (HTML)"),
             (phase_names["workbook"], "Bảng tổng hợp giai đoạn")]
    return [{"label": label, "href": f"{folder}/{name}"} for name, label in found if (outbox / folder / name).is_file()]


def _reminders(outbox: Path, round_id: str, unit) -> list[dict[str, str]]:
    """The reminders `remind` wrote to a unit that has sent nothing, newest last."""
    folder = Path(outbox) / round_id / locations.REMINDER_FOLDER
    found = sorted(folder.glob(f"{unit.code}_*{locations.REMINDER_SUFFIX}")) if folder.is_dir() else []
    return [{"label": f"thư nhắc hạn {day[8:10]}/{day[5:7]}" if (day := path.name.split("_")[-2]) else "thư nhắc hạn",
             "href": path.relative_to(outbox).as_posix()} for path in found]


def write_status_page(plan: Plan, ledger: Ledger, outbox: Path, today: date,
                      passed: list[tuple[str, str]] | None = None) -> Path:
    """The status page, and each area's page in a round split by area. `passed`: inbox entries this run
    named but did not take, as (path, reason key)."""
    return write_status_pages(plan, ledger, outbox, today, passed)[0]


def write_status_pages(plan: Plan, ledger: Ledger, outbox: Path, today: date,
                       passed: list[tuple[str, str]] | None = None, areas_wanted: Collection[str] | None = None,
                       statuses: Mapping[str, RoundStatus] | None = None) -> list[Path]:
    """The status page first, then the areas' pages written: those named in `areas_wanted` (their paths
    as locations.area_status_page gives them), or all. `statuses`: rounds' statuses of `today` the caller
    has already (the run's open rounds), by round id. A national round's units and files are on the
    pages of their areas, 34 pages of about a hundred units, not on one page of 6,647 rows: a file
    rewrites its area's page, not every unit's line."""
    outbox = Path(outbox)
    answers = Answers(outbox, [r for r in ledger.records() if r.status == "unpacked"])
    showing = {r.id for r in open_rounds(plan, today)}
    environment = _environment()
    rounds, written = [], []
    for rnd in shown_rounds(plan, ledger, today):
        status = (statuses or {}).get(rnd.id) or round_status(plan, ledger, rnd, today)
        shown, pages = _round(plan, ledger, outbox, status, answers, areas_wanted)
        shown["open"] = rnd.id in showing
        rounds.append(shown)
        for page, context in pages:
            write_text(outbox / page, environment.get_template("status_area_page.html.j2").render(**context))
            written.append(outbox / page)
    not_processed = ledger.records_with_finding("file-not-processed")
    unidentified = [{"file": r.shown_name, "received": format_date(date.fromisoformat(r.received_at[:10])),
                     "state": "Chưa xử lý được – chờ cán bộ kiểm tra" if r.id in not_processed
                     else "Không nhận dạng được – đã trả lời",
                     "answers": answers(r)}
                    for r in ledger.records() if r.round is None and r.status not in ("unpacked", "ignored")]
    html = environment.get_template("status_page.html.j2").render(
        title=f"Dự án 8 – {plan.province}: tình hình báo cáo", today=format_date(today), rounds=rounds,
        phase=_phase_links(plan, outbox),
        unidentified=unidentified, reporting_body=plan.reporting_body,
        passed=[{"path": path, "reason": PASSED_REASONS[reason]} for path, reason in passed or []])
    path = outbox / locations.STATUS_PAGE
    write_text(path, html)
    return [path, *written]


def shown_rounds(plan: Plan, ledger: Ledger, today: date) -> list[Round]:
    """The rounds the page shows: those with files, and those open."""
    with_data, showing = set(ledger.rounds_with_submissions()), {r.id for r in open_rounds(plan, today)}
    return [r for r in plan.all_rounds if r.id in with_data or r.id in showing]


def _round(plan: Plan, ledger: Ledger, outbox: Path, status: RoundStatus, answers: Answers,
           areas_wanted: Collection[str] | None) -> tuple[dict, list[tuple[str, dict]]]:
    """A round's part of the status page, and the pages of its areas to write (path, context): the
    page lists the units and files of no area, and a line per area."""
    rnd = status.round
    names = locations.report_names(rnd.id)
    files = [("Bảng tổng hợp", locations.workbook_name(rnd.id)), ("Báo cáo (Word)", names["docx"]),
             ("Báo cáo (HTML)", names["html"]), ("Phụ lục", names["annex"])]
    split = areas.for_round(plan, rnd)
    records: dict[str | None, list[Submission]] = {}  # by area slug (None: no area), newest first
    for record in reversed(ledger.records(rnd.id)):
        area = areas.area_of(plan, record.unit or "") if split else None
        records.setdefault(area.slug if area else None, []).append(record)
    area_lines: list[dict] = []
    shown: dict = {
        "id": rnd.id, "name": round_title(rnd), "approved": status.approved_on and
        format_date(date.fromisoformat(status.approved_on)),
        "district_deadline": format_date(rnd.district_deadline),
        "province_deadline": format_date(rnd.province_deadline), "days_left": status.days_left,
        "counts": {"reported": len(status.reported), "late": len(status.late),
                   "rejected": len(status.rejected), "missing": len(status.missing),
                   "units": len(plan.units_for(rnd))},
        "files": [{"label": label, "href": f"{rnd.id}/{name}"} for label, name in files
                  if (outbox / rnd.id / name).is_file()],
        "units": [_unit_row(outbox, rnd, answers, e) for e in status.units
                  if not split or areas.area_of(plan, e.unit.code) is None],
        "areas": area_lines,
    }
    unpaged = list(records.get(None, []))  # files of no area, and of an area none of whose units is in the round
    states = {s.unit.code: s for s in status.units}
    pages: list[tuple[str, dict]] = []
    for area in split:
        mine = [states[u.code] for u in areas.reporting(plan, rnd, area)]
        if not mine:
            unpaged += records.get(area.slug, [])
            continue
        n = tally(mine)
        counts = {"units": n.units, "reported": n.reported, "late": n.late, "missing": n.missing,
                  "rejected": n.not_counted}
        page = locations.area_status_page(rnd.id, area.slug)
        area_lines.append({"name": area.name, "href": page, "counts": counts})
        if areas_wanted is None or page in areas_wanted:
            pages.append((page, {
                "title": f"Dự án 8 – {plan.province}: tình hình báo cáo – {area.name}",
                "round_id": rnd.id, "round_name": round_title(rnd), "counts": counts,
                "units": [_unit_row(outbox, rnd, answers, e) for e in mine],
                "received": _file_rows(plan, records.get(area.slug, []), answers),
                "base": "../" * page.count("/"), "index": locations.STATUS_PAGE}))
    shown["received"] = _file_rows(plan, sorted(unpaged, key=lambda r: -r.id), answers)
    return shown, pages


def _unit_row(outbox: Path, rnd: Round, answers: Answers, entry: UnitState) -> dict:
    record = entry.record
    return {"name": entry.unit.name, "code": entry.unit.code, "state": entry.words, "css": STATE_CSS[entry.state],
            "file": record.shown_name if record else "",
            "received": format_date(date.fromisoformat(record.received_at[:10])) if record else "",
            "answers": answers(record) if record else _reminders(outbox, rnd.id, entry.unit)}


def _environment() -> jinja2.Environment:
    import jinja2  # on a page to write only: a run that changed nothing does not import it

    return jinja2.Environment(loader=jinja2.FileSystemLoader(locations.REPORT_TEMPLATES), autoescape=True,
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True)

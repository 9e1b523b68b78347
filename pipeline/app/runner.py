"""One run: every new inbox file read, checked, recorded and answered; the touched rounds rebuilt."""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from filelock import FileLock, Timeout
from tqdm import tqdm

from pipeline import __version__
from pipeline.core import locations
from pipeline.core.atomic import write_text
from pipeline.core.config import Contact
from pipeline.core.errors import BusyError, StorageError, UsageError, is_storage_error
from pipeline.core.gc_pause import paused as collection_paused
from pipeline.core.locations import Paths
from pipeline.core.sender_text import printable
from pipeline.figures import consolidate
from pipeline.figures.history import history, last_figures, previous_cumulative
from pipeline.intake import inbox, worker
from pipeline.intake.answer import NOT_PROCESSED, Intake, Outcome, read_all, take
from pipeline.intake.inbox import Passed
from pipeline.intake.isolation import Limits, WorkerPool, start_early
from pipeline.ledger import safekeeping
from pipeline.ledger.store import REJECTED, Ledger
from pipeline.outputs import rebuild_keys, status_page
from pipeline.outputs.round_status import RoundStatus, open_rounds, round_status, summary_lines
from pipeline.plan import areas
from pipeline.plan.loader import DEFAULT_PLAN_DIR, load_plan
from pipeline.plan.model import Plan, Round
from pipeline.reports import documents
from pipeline.validation.rules import RuleBook
from pipeline.workbook import assemble

__all__ = ["Outcome", "Paths", "RunReport", "approve", "carried_figures", "history", "last_figures",
           "previous_cumulative", "rebuild", "rebuild_round", "reopen", "run"]

log = logging.getLogger(__name__)
tqdm.monitor_interval = 0  # no monitor thread: the outputs are written by workers forked from this process

LOCK_WAIT_SECONDS = 60.0


@dataclass
class RunReport:
    outcomes: list[Outcome] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)
    failed: list[Path] = field(default_factory=list)  # could not be read: left in the inbox, named
    passed: list[Passed] = field(default_factory=list)  # links and the like: named, never opened
    status: list[RoundStatus] = field(default_factory=list)  # each open round, after the run
    log: Path | None = None

    @property
    def rejected(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.record.status == REJECTED]

    @property
    def not_processed(self) -> list[Outcome]:
        return [o for o in self.outcomes if any(f.code == NOT_PROCESSED for f in o.findings)]

    @property
    def outstanding(self) -> bool:
        """Something waits on someone: a file rejected this run, a unit of an open round whose last
        file was rejected (also after a run that was killed), or an entry left in the inbox."""
        return bool(self.rejected or self.failed or self.passed or any(s.rejected for s in self.status))


@contextmanager
def exclusive(paths: Paths, wait: float = LOCK_WAIT_SECONDS) -> Iterator[None]:
    """One run at a time on a ledger: a second waits, then stops with a clear message."""
    paths.ledger.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(f"{paths.ledger}.lock", timeout=wait)
    try:
        with lock:
            yield
    except Timeout:
        raise BusyError(
            f"một lần chạy khác đang dùng sổ ghi {paths.ledger} (đã chờ {wait:.0f} giây); hãy chạy lại khi lần "
            "chạy đó xong") from None


def run(paths: Paths, plan_dir: Path = DEFAULT_PLAN_DIR, today: date | None = None,
        wait: float = LOCK_WAIT_SECONDS, contact: Contact | None = None, limits: Limits | None = None) -> RunReport:
    waiting = inbox.waiting(paths.inbox)
    if waiting:
        start_early()  # the readers' fork server imports their code while the plan is loaded
    plan = load_plan(plan_dir)
    rules = RuleBook.load(plan_dir)
    report = RunReport()
    day = today or date.today()
    with storage_guard(paths), exclusive(paths, wait), Ledger(paths.ledger, paths.home) as ledger, \
            _captured_log() as messages:
        if waiting:
            ledger.read_ahead(_rounds_read(plan, ledger.stale_rounds() | {r.id for r in open_rounds(plan, day)}))
        safekeeping.check_archive(ledger)
        files, report.passed = inbox.scan(paths.inbox)
        for entry in report.passed:
            log.warning("%s: %s in the inbox, not opened", printable(entry.path), entry.kind)
        if files:
            _check_writable(paths)
            safekeeping.backup(ledger)
        with WorkerPool(setup=worker.setup, setup_args=(plan, rules), limits=limits or Limits()) as pool:
            intake = Intake(paths, plan, rules, ledger, pool, today, contact or Contact())
            _answer_inbox(files, intake, report)
        inbox.prune_empty_folders(paths.inbox)
        stale = ledger.stale_rounds()
        # Open rounds are rebuilt too: their reports turn from draft to final as the deadline nears.
        stale_or_open = stale | {r.id for r in open_rounds(plan, day)}
        rounds = _rounds_to_rebuild(plan, ledger, paths, stale_or_open)
        report.outputs = rebuild(plan, ledger, paths.outbox, rounds, day, stale=stale)
        rebuilt = bool(report.outputs)
        ledger.mark_rebuilt(stale)
        passed = [(e.path, e.kind) for e in report.passed] + \
            [(p.relative_to(paths.inbox).as_posix(), "unreadable") for p in report.failed]
        report.outputs += _status_page(plan, ledger, paths.outbox, day, passed)
        report.status = [round_status(plan, ledger, rnd, day) for rnd in open_rounds(plan, day)]
        if files or report.passed or report.failed or rebuilt:  # a run that found and changed nothing leaves no trace
            report.log = _write_run_log(paths, plan, report, day, messages)
        if files:
            safekeeping.backup(ledger)
    return report


def _status_page(plan: Plan, ledger: Ledger, outbox: Path, day: date, passed: list[tuple[str, str]]) -> list[Path]:
    """The status page, written again only when what it shows changed (or it is missing)."""
    keys = rebuild_keys.load(ledger.home)
    key = rebuild_keys.page_key(plan, ledger, day, passed)
    if keys.get(locations.STATUS_PAGE) == key and (outbox / locations.STATUS_PAGE).is_file():
        return []
    written = status_page.write_status_page(plan, ledger, outbox, day, passed)
    rebuild_keys.save(ledger.home, keys | {locations.STATUS_PAGE: key})
    return [written]


def _answer_inbox(files: list[Path], intake: Intake, report: RunReport) -> None:
    """Every inbox file answered once, in order, read ahead in parallel; one the system cannot read
    now (still being copied, locked) stays for the next run and is named."""
    progress = tqdm(total=len(files), desc="Đọc tệp", unit="tệp", disable=None if len(files) > 1 else True)
    for path, incoming, examined in read_all(files, intake):
        progress.update()
        if isinstance(incoming, OSError):
            if is_storage_error(incoming) and not isinstance(incoming, PermissionError):
                raise incoming
            log.warning("%s: cannot be read (%s); left in the inbox", printable(str(path)), incoming)
            report.failed.append(path)
            continue
        report.outcomes += take(path, incoming, examined, intake)
    progress.close()


@contextmanager
def storage_guard(paths: Paths) -> Iterator[None]:
    """A folder that cannot be written, or a full disk, stops the run with a message, not a traceback;
    what was recorded stays recorded and the next run goes on from there."""
    try:
        yield
    except (OSError, sqlite3.Error) as exc:
        if not is_storage_error(exc):
            raise
        where = getattr(exc, "filename", None) or paths.ledger
        raise StorageError(
            f"Không ghi được vào {where} ({_storage_cause(exc)}). Lần chạy đã dừng; không tệp nào bị mất: tệp "
            "chưa xử lý xong vẫn nằm trong hộp thư đến và sẽ được xử lý ở lần chạy sau. Hãy giải phóng dung "
            "lượng đĩa hoặc cấp quyền ghi cho thư mục đó (kể cả archive/, rejected/, outbox/ và thư mục của sổ "
            "ghi), rồi chạy lại.") from exc


def _storage_cause(exc: BaseException) -> str:
    code = getattr(exc, "errno", None)
    if code in (errno.ENOSPC, errno.EDQUOT) or "full" in str(exc).lower():
        return "đĩa đã đầy"
    if code == errno.EROFS or "readonly" in str(exc).lower():
        return "thư mục chỉ cho phép đọc"
    if code in (errno.EACCES, errno.EPERM):
        return "không có quyền ghi"
    return str(exc)[:120]


def _check_writable(paths: Paths) -> None:
    """Before the first file leaves the inbox: every folder the run writes to takes a file."""
    for folder in (paths.outbox, paths.home / locations.ARCHIVE, paths.home / locations.REJECTED, paths.ledger.parent):
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".p8-write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()


@contextmanager
def _captured_log() -> Iterator[list[str]]:
    """The run's warnings and errors, for its log file (each file's verdict is listed there anyway)."""
    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(self.format(record))

    handler = Collect(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("pipeline")
    logger.addHandler(handler)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)


def _write_run_log(paths: Paths, plan: Plan, report: RunReport, day: date, messages: list[str]) -> Path:
    """outbox/logs/: what the run read and wrote, with hashes, so any output can be traced to a run."""
    started = datetime.now()
    lines = [f"p8-pipeline {__version__} run at {started.isoformat(timespec='seconds')} (today = {day})",
             f"plan {plan.id}; inbox {paths.inbox}; outbox {paths.outbox}; ledger {paths.ledger}", "", "inputs:"]
    lines += [f"  {o.record.id:06d} {o.record.sha256} {o.record.status:<23} {printable(o.record.inbox_path)}"
              for o in report.outcomes] or ["  (none)"]
    lines += [f"  UNREADABLE {printable(str(path))}" for path in report.failed]
    lines += [f"  NOT OPENED ({entry.kind}) {printable(entry.path)}" for entry in report.passed]
    lines += ["", "outputs:"]
    for path in dict.fromkeys(report.outputs):
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"
        lines.append(f"  {digest} {path}")
    lines += ["", "log:", *[f"  {m}" for m in messages], "", "summary:",
              *summary_lines(plan, report.status), ""]
    target = locations.run_log(paths.outbox, started, os.getpid())
    write_text(target, "\n".join(lines))
    return target


def not_reported(paths: Paths, round_id: str, plan_dir: Path = DEFAULT_PLAN_DIR) -> list[str]:
    """The units of a round with no accepted file (rejected-only ones included), by name."""
    plan = load_plan(plan_dir)
    rnd = plan.round(round_id)
    if not paths.ledger.is_file():
        return [u.name for u in plan.units_for(rnd)]
    with Ledger(paths.ledger, paths.home) as ledger:
        status = round_status(plan, ledger, rnd, rnd.district_deadline)
    return status.rejected + status.missing


def approve(paths: Paths, round_id: str, plan_dir: Path = DEFAULT_PLAN_DIR, today: date | None = None,
            wait: float = LOCK_WAIT_SECONDS) -> list[Path]:
    """Freeze a round once the province's report is sent: later files are recorded and answered, but
    its figures (and the cumulative figures of later rounds) stay as approved until `reopen`."""
    return _set_approval(paths, round_id, plan_dir, today, wait, approved=True)


def reopen(paths: Paths, round_id: str, plan_dir: Path = DEFAULT_PLAN_DIR, today: date | None = None,
           wait: float = LOCK_WAIT_SECONDS) -> list[Path]:
    return _set_approval(paths, round_id, plan_dir, today, wait, approved=False)


def _set_approval(paths: Paths, round_id: str, plan_dir: Path, today: date | None, wait: float, *,
                  approved: bool) -> list[Path]:
    plan = load_plan(plan_dir)
    day = today or date.today()
    with storage_guard(paths), exclusive(paths, wait), Ledger(paths.ledger, paths.home) as ledger:
        safekeeping.check_archive(ledger)
        safekeeping.backup(ledger)
        if approved:
            ledger.approve(round_id, day.isoformat())
        else:
            ledger.reopen(round_id)
        outputs = rebuild(plan, ledger, paths.outbox, _rounds_to_rebuild(plan, ledger, paths, {round_id}), day)
        ledger.mark_rebuilt({round_id})
        outputs.append(status_page.write_status_page(plan, ledger, paths.outbox, day))
        return outputs


def rebuild_round(paths: Paths, round_id: str, plan_dir: Path = DEFAULT_PLAN_DIR, today: date | None = None,
                  wait: float = LOCK_WAIT_SECONDS) -> list[Path]:
    """The outputs of one round, regenerated from the ledger (the `report` command)."""
    plan = load_plan(plan_dir)
    with storage_guard(paths), exclusive(paths, wait), Ledger(paths.ledger, paths.home) as ledger:
        outputs = rebuild(plan, ledger, paths.outbox, [plan.round(round_id)], today)
        outputs.append(status_page.write_status_page(plan, ledger, paths.outbox, today or date.today()))
        return outputs


def rebuild_phase(paths: Paths, plan_dir: Path = DEFAULT_PLAN_DIR, today: date | None = None,
                  wait: float = LOCK_WAIT_SECONDS) -> list[Path]:
    """The end-of-phase report and workbook, from the latest round with data (`report --phase`)."""
    plan = load_plan(plan_dir)
    with storage_guard(paths), exclusive(paths, wait), Ledger(paths.ledger, paths.home) as ledger:
        with_data = set(ledger.rounds_with_submissions())
        rounds = [r for r in plan.rounds if r.id in with_data]
        if not rounds:
            raise UsageError(f"chưa kỳ nào của giai đoạn {plan.phase} có số liệu trong sổ ghi; chưa có gì để báo cáo")
        latest = rounds[-1]
        result = consolidation(plan, ledger, latest)
        final = plan.rounds[-1].id == latest.id and ledger.approval(latest.id) is not None
        outputs = documents.write_phase_reports(plan, result, paths.outbox, draft=not final)
        return [*outputs, status_page.write_status_page(plan, ledger, paths.outbox, today or date.today())]


def current_status(paths: Paths, today: date, plan_dir: Path = DEFAULT_PLAN_DIR) -> list[RoundStatus]:
    plan = load_plan(plan_dir)
    if not paths.ledger.is_file() and not safekeeping.stored_files(paths.home):
        return [RoundStatus(rnd, today, missing=[u.name for u in plan.units_for(rnd)])
                for rnd in open_rounds(plan, today)]
    with Ledger(paths.ledger, paths.home) as ledger:
        return [round_status(plan, ledger, rnd, today) for rnd in open_rounds(plan, today)]


def _rounds_read(plan: Plan, rounds: set[str]) -> set[str]:
    """The rounds whose values consolidating `rounds` reads."""
    return {earlier.id for rnd in plan.rounds if rnd.id in rounds for earlier in plan.rounds_through(rnd.id)} \
        | {rnd.id for rnd in plan.adhoc_rounds if rnd.id in rounds}


def _rounds_to_rebuild(plan: Plan, ledger: Ledger, paths: Paths, touched: set[str]) -> list[Round]:
    """Rounds recorded into since their last rebuild and every later one (their cumulative figures
    rest on them), plus any round whose workbook is missing."""
    with_data = set(ledger.rounds_with_submissions())
    order = [r.id for r in plan.rounds]
    first = min((order.index(r) for r in touched if r in order), default=len(order))

    def missing(rnd: Round) -> bool:
        return not (paths.outbox / rnd.id / locations.workbook_name(rnd.id)).is_file()

    regular = [rnd for index, rnd in enumerate(plan.rounds) if rnd.id in with_data and (index >= first or missing(rnd))]
    # An adhoc round rests on its own files only.
    return regular + [rnd for rnd in plan.adhoc_rounds if rnd.id in with_data and (rnd.id in touched or missing(rnd))]


def consolidation(plan: Plan, ledger: Ledger, rnd: Round) -> consolidate.Consolidation:
    """A round consolidated from the ledger: every file of the rounds through it, and this round's findings."""
    with collection_paused():
        return _consolidation(plan, ledger, rnd)


def _consolidation(plan: Plan, ledger: Ledger, rnd: Round) -> consolidate.Consolidation:
    if not rnd.regular:
        records = ledger.records(rnd.id)
        findings = {r.id: ledger.findings(r.id) for r in records}
        return consolidate.snapshot(plan, rnd, history(plan, ledger, (rnd,))[rnd.id], records, findings)
    through = plan.rounds_through(rnd.id)
    records = [r for earlier in through for r in ledger.records(earlier.id)]
    findings = {r.id: ledger.findings(r.id) for r in records if r.round == rnd.id}
    return consolidate.consolidate(plan, rnd, history(plan, ledger, through), records, findings)


def rebuild(plan: Plan, ledger: Ledger, outbox: Path, rounds: list[Round], today: date | None = None, *,
            stale: set[str] | None = None) -> list[Path]:
    """Workbook and reports of each round; reports are marked DỰ THẢO until the province deadline is
    near (documents.FINAL_BEFORE_DEADLINE). With `stale` (a run's rebuild), a round not in it is skipped
    when its outputs exist and rest on exactly what they rest on now (rebuild_keys.py)."""
    day = today or date.today()
    outputs: list[Path] = []
    ledger.settle()  # no thread may run when the outputs' workers fork
    keys = rebuild_keys.load(ledger.home)
    # Shown on a terminal only (disable=None), as the reading's bar is: a rebuild of several rounds takes time.
    for rnd in tqdm(rounds, desc="Lập bảng tổng hợp, báo cáo", unit="kỳ", disable=None if len(rounds) > 1 else True):
        draft = ledger.approval(rnd.id) is None and documents.is_draft(rnd, day)
        key = rebuild_keys.key(plan, ledger, rnd, draft)
        if stale is not None and rnd.id not in stale and keys.get(rnd.id) == key and _present(plan, outbox, rnd):
            continue
        result = consolidation(plan, ledger, rnd)
        if rnd.regular:
            units = _unit_reports_to_write(plan, ledger, outbox, result, keys, everything=stale is None)
            parts = _areas_to_write(plan, ledger, outbox, result, keys, everything=stale is None)
            outputs += documents.write_outputs(plan, result, outbox, draft=draft, units=units, areas=parts)
        else:
            outputs.append(assemble.write_workbook(plan, result, outbox))
            outputs += documents.write_adhoc_reports(plan, result, outbox, draft=draft)
        keys[rnd.id] = key
    if outputs:
        rebuild_keys.save(ledger.home, keys)
    return outputs


def _unit_reports_to_write(plan: Plan, ledger: Ledger, outbox: Path, result: consolidate.Consolidation,
                           keys: dict[str, str], *, everything: bool) -> set[str]:
    """A run writes a unit's own report only when what it rests on changed or the file is missing;
    `everything` (a report asked for, an approval) writes them all. `keys` learns the new keys."""
    rnd = result.round
    now = rebuild_keys.unit_keys(plan, ledger, result, documents.unit_reports(plan, result))
    return _changed({code: (rebuild_keys.unit_entry(rnd.id, code), key,
                            locations.unit_report_path(outbox, rnd.id, plan.unit(code))) for code, key in now.items()},
                    keys, everything)


def _areas_to_write(plan: Plan, ledger: Ledger, outbox: Path, result: consolidate.Consolidation,
                    keys: dict[str, str], *, everything: bool) -> set[str]:
    """As `_unit_reports_to_write`, for the areas' detail workbooks of a plan split by area."""
    rnd, found = result.round, areas.for_round(plan, result.round)
    now = rebuild_keys.area_keys(plan, ledger, result, found)
    return _changed({a.slug: (rebuild_keys.area_entry(rnd.id, a.slug), now[a.slug],
                              outbox / rnd.id / locations.area_workbook_name(rnd.id, a.slug)) for a in found},
                    keys, everything)


def _changed(outputs: dict[str, tuple[str, str, Path]], keys: dict[str, str], everything: bool) -> set[str]:
    """Of `outputs` (name -> its entry in the state file, its key now, its file), those to write: all
    with `everything`, else those whose key changed or whose file is missing. `keys` learns the new keys."""
    written = set()
    for name, (entry, key, path) in outputs.items():
        if everything or keys.get(entry) != key or not path.is_file():
            written.add(name)
        keys[entry] = key
    return written


def _present(plan: Plan, outbox: Path, rnd: Round) -> bool:
    folder = outbox / rnd.id
    names = [locations.workbook_name(rnd.id), locations.report_names(rnd.id)["docx"]]
    names += [locations.area_workbook_name(rnd.id, a.slug) for a in areas.for_round(plan, rnd)]
    return all((folder / name).is_file() for name in names)


def carried_figures(plan: Plan, ledger_path: Path, home: Path, rnd: Round) -> dict[str, dict[str, int]]:
    """For templates: each unit's cumulative figure through the year before `rnd`."""
    if not Path(ledger_path).is_file() and not safekeeping.stored_files(home):
        return {}
    with Ledger(ledger_path, home) as ledger:
        return {u.code: previous_cumulative(plan, ledger, rnd, u.code) for u in plan.units}


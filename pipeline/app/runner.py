"""One run: every new inbox file read, checked, recorded and answered; the touched rounds rebuilt."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.app import plan_cache
from pipeline.app.rebuild import progress_bar, rebuild, refresh_status_page, rounds_read, rounds_to_rebuild
from pipeline.app.run_log import RunReport, captured_log, write_run_log
from pipeline.app.storage import check_writable, storage_guard
from pipeline.core import gc_pause, locations
from pipeline.core.atomic import remove_leftovers
from pipeline.core.config import Contact
from pipeline.core.errors import is_storage_error
from pipeline.core.locations import Paths
from pipeline.core.sender_text import printable
from pipeline.intake import inbox
from pipeline.ledger import safekeeping
from pipeline.ledger.lock import LOCK_WAIT_SECONDS, exclusive, exclusive_inbox
from pipeline.ledger.store import Ledger
from pipeline.outputs.round_status import open_rounds, round_status
from pipeline.plan.loader import DEFAULT_PLAN_DIR
from pipeline.plan.model import Plan
from pipeline.validation.book import RuleBook

if TYPE_CHECKING:
    from pipeline.intake.answer import Intake
    from pipeline.intake.isolation import Limits

log = logging.getLogger(__name__)


def run(paths: Paths, plan_dir: Path = DEFAULT_PLAN_DIR, today: date | None = None,
        wait: float = LOCK_WAIT_SECONDS, contact: Contact | None = None, limits: Limits | None = None,
        plan: Plan | None = None) -> RunReport:
    """`plan`: the plan of `plan_dir` when the caller has loaded it already (the command line has)."""
    waiting = inbox.waiting(paths.inbox)
    if waiting:
        # What reads and answers files is imported only by a run that finds some (a third of a second
        # of start-up otherwise).
        from pipeline.intake.isolation import start_early

        start_early()  # the readers' fork server imports their code while the plan is loaded
    plan = plan if plan is not None else plan_cache.load(plan_dir, paths.ledger)
    rules = RuleBook.load(plan_dir)
    report = RunReport()
    day = today or date.today()
    # What the run builds and holds (its consolidation) stays out of the collector until it ends.
    with storage_guard(paths), exclusive(paths, wait), exclusive_inbox(paths.inbox, wait), \
            Ledger(paths.ledger, paths.home) as ledger, captured_log() as messages, gc_pause.frozen():
        if waiting:
            ledger.read_ahead(rounds_read(plan, ledger.stale_rounds() | {r.id for r in open_rounds(plan, day)}))
        safekeeping.check_archive(ledger)
        for folder in (paths.outbox, paths.home / locations.ARCHIVE, paths.home / locations.REJECTED):
            remove_leftovers(folder)  # of a run killed while it wrote (this one holds the lock)
        files, report.passed = inbox.scan(paths.inbox)
        files, writing = inbox.settled(files)
        for path in writing:
            log.warning("%s: still being written; left in the inbox for the next run", printable(str(path)))
        report.failed += writing
        for entry in report.passed:
            log.warning("%s: %s in the inbox, not opened", printable(entry.path), entry.kind)
        logs = paths.outbox / locations.LOG_FOLDER
        if files:
            check_writable(paths)
            safekeeping.backup(ledger)
            logs.mkdir(parents=True, exist_ok=True)
            _answer_inbox(files, paths, plan, rules, ledger, today, contact or Contact(), limits, report)
        inbox.prune_empty_folders(paths.inbox)
        stale = ledger.stale_rounds()
        # Open rounds are rebuilt too: their reports turn from draft to final as the deadline nears.
        stale_or_open = stale | {r.id for r in open_rounds(plan, day)}
        rounds = rounds_to_rebuild(plan, ledger, paths, stale_or_open)
        report.outputs = rebuild(plan, ledger, paths.outbox, rounds, day, stale=stale, in_use=report.in_use)
        rebuilt = bool(report.outputs)
        ledger.mark_rebuilt(stale - set(report.in_use))  # a round with an output held open stays stale
        passed = [(e.path, e.kind) for e in report.passed] + \
            [(p.relative_to(paths.inbox).as_posix(), "unreadable") for p in report.failed]
        # The open rounds' status, judged once (3,321 units' files) for the run's report and the status page.
        report.status = [round_status(plan, ledger, rnd, day) for rnd in open_rounds(plan, day)]
        report.outputs += refresh_status_page(plan, ledger, paths.outbox, day, passed,
                                              {status.round.id: status for status in report.status})
        if files or report.passed or report.failed or rebuilt:  # a run that found and changed nothing leaves no trace
            report.log = write_run_log(paths, plan, report, day, messages)
            plan_cache.keep(plan_dir, paths.ledger)
        if files:
            safekeeping.backup(ledger)
    return report


def _answer_inbox(files: list[Path], paths: Paths, plan: Plan, rules: RuleBook, ledger: Ledger, today: date | None,
                  contact: Contact, limits: Limits | None, report: RunReport) -> None:
    """Every inbox file answered once, in order, read ahead in parallel by isolated workers."""
    from pipeline.intake import worker
    from pipeline.intake.answer import Intake
    from pipeline.intake.isolation import Limits, WorkerPool
    from pipeline.intake.pending_copies import PendingCopies
    from pipeline.ledger.template_key import template_key
    from pipeline.mail.fetch import server_moments

    with WorkerPool(setup=worker.setup, setup_args=(plan, rules), limits=limits or Limits(),
                    stderr=paths.outbox / locations.LOG_FOLDER / locations.WORKER_LOG) as pool:
        intake = Intake(paths, plan, rules, ledger, pool, today, contact,
                        server_moments(paths.home / locations.MAIL_FETCHED_STATE),
                        template_key(paths.ledger, paths.home), PendingCopies(pool))
        _answer_each(files, intake, report)


def _answer_each(files: list[Path], intake: Intake, report: RunReport) -> None:
    """Every file answered once, in order; one the system cannot read now (still being copied, locked)
    stays for the next run and is named."""
    from pipeline.intake.answer import read_all, take

    progress = progress_bar(total=len(files), desc="Đọc tệp", unit="tệp", disable=None if len(files) > 1 else True)
    for path, incoming, examined in read_all(files, intake):
        progress.update()
        if isinstance(incoming, OSError):
            if is_storage_error(incoming) and not isinstance(incoming, PermissionError):
                raise incoming
            log.warning("%s: cannot be read (%s); left in the inbox", printable(str(path)), incoming)
            report.failed.append(path)
            continue
        report.outcomes += take(path, incoming, examined, intake)
        if intake.copies is not None:
            intake.copies.settle(wait=False)  # the marked copies made meanwhile, their files cleared
    if intake.copies is not None:
        intake.copies.settle(wait=True)
    progress.close()



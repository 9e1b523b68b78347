"""The officer's approval of a round (its reports become final) and its reopening; the officer's word on
a file held «chờ xác nhận»."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pipeline.app.rebuild import rebuild, rounds_to_rebuild
from pipeline.app.storage import storage_guard
from pipeline.core.errors import UsageError
from pipeline.core.locations import Paths
from pipeline.ledger import safekeeping
from pipeline.ledger.lock import LOCK_WAIT_SECONDS, exclusive
from pipeline.ledger.schema import HELD, Submission
from pipeline.ledger.store import Ledger
from pipeline.outputs import status_page
from pipeline.outputs.round_status import round_status
from pipeline.plan.loader import DEFAULT_PLAN_DIR, load_plan


def not_reported(paths: Paths, round_id: str, plan_dir: Path = DEFAULT_PLAN_DIR) -> list[str]:
    """The units of a round with no accepted file (rejected-only ones included), by name."""
    plan = load_plan(plan_dir)
    rnd = plan.round(round_id)
    if not paths.ledger.is_file():
        return [u.name for u in plan.units_for(rnd)]
    with Ledger(paths.ledger, paths.home) as ledger:
        status = round_status(plan, ledger, rnd, rnd.district_deadline)
    return status.held + status.rejected + status.missing


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
        outputs = rebuild(plan, ledger, paths.outbox, rounds_to_rebuild(plan, ledger, paths, {round_id}), day)
        ledger.mark_rebuilt({round_id})
        outputs.append(status_page.write_status_page(plan, ledger, paths.outbox, day))
        return outputs


def confirm(paths: Paths, record_id: int, *, accept: bool, plan_dir: Path = DEFAULT_PLAN_DIR,
            today: date | None = None, wait: float = LOCK_WAIT_SECONDS) -> tuple[Submission, list[Path]]:
    """Count a held file (accept) or reject it; its round's outputs are rebuilt. A round already
    approved is refused: its figures stay as approved until it is reopened."""
    plan = load_plan(plan_dir)
    day = today or date.today()
    with storage_guard(paths), exclusive(paths, wait), Ledger(paths.ledger, paths.home) as ledger:
        try:
            record = ledger.get(record_id)
        except KeyError:
            raise UsageError(f"sổ ghi không có bản ghi số {record_id}.") from None
        if record.status != HELD:
            raise UsageError(f"bản ghi số {record_id} (tệp «{record.shown_name}») không ở trạng thái chờ xác nhận.")
        if record.round and ledger.approval(record.round) is not None:
            raise UsageError(f"kỳ {record.round} đã chốt số liệu; mở lại kỳ (run_pipeline.py reopen --round "
                             f"{record.round}) rồi mới xác nhận được tệp này.")
        safekeeping.check_archive(ledger)
        safekeeping.backup(ledger)
        record = ledger.settle_held(record_id, accept=accept)
        rounds = {record.round} if record.round else set()
        outputs = rebuild(plan, ledger, paths.outbox, rounds_to_rebuild(plan, ledger, paths, rounds), day)
        ledger.mark_rebuilt(rounds)
        outputs.append(status_page.write_status_page(plan, ledger, paths.outbox, day))
        return record, outputs

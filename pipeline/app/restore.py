"""The officer's acceptance of a ledger restored on purpose from an older backup: checked whole, then
taken as the new starting point of the chain's head, with what it no longer holds said out loud."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.app.storage import storage_guard
from pipeline.core.locations import Paths
from pipeline.ledger import safekeeping
from pipeline.ledger.lock import LOCK_WAIT_SECONDS, exclusive
from pipeline.ledger.store import Ledger


@dataclass(frozen=True)
class Accepted:
    last_record: int
    lost_records: int  # records the previous head knew and this ledger does not
    lost_approvals: dict[str, str] = field(default_factory=dict)  # round -> day approved
    unknown_stored: list[str] = field(default_factory=list)  # archive/ and rejected/ copies it does not know


def accept_ledger(paths: Paths, wait: float = LOCK_WAIT_SECONDS) -> Accepted:
    """Raises LedgerError, as any command, when the ledger itself is damaged or changed: only an
    intact ledger can be accepted."""
    with storage_guard(paths), exclusive(paths, wait), \
            Ledger(paths.ledger, paths.home, accept_as_it_is=True) as ledger:
        safekeeping.backup(ledger)
        before, now = ledger.head_before, ledger.chain_state
        known = ledger.stored_paths()
        unknown = [p for p in safekeeping.stored_files(paths.home) if p not in known]
    if before is None:
        return Accepted(now.last_record, 0, {}, unknown)
    lost = {r: day for r, day in before.approvals.items() if r not in now.approvals}
    return Accepted(now.last_record, max(0, before.last_record - now.last_record), lost, unknown)

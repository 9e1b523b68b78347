"""The officer's deadline reminders: written under the ledger's lock, then shown on the status page."""

from __future__ import annotations

from datetime import date

from pipeline.core.config import Contact
from pipeline.core.errors import UsageError
from pipeline.core.locations import Paths
from pipeline.ledger.lock import exclusive
from pipeline.ledger.store import Ledger
from pipeline.outputs.reminders import Reminders, write_reminders
from pipeline.outputs.status_page import write_status_page
from pipeline.plan.model import Plan


def remind(plan: Plan, paths: Paths, today: date, days: int, contact: Contact) -> Reminders:
    if not paths.ledger.is_file():
        raise UsageError(f"chưa có sổ ghi {paths.ledger}: hãy chạy run trước.")
    with exclusive(paths), Ledger(paths.ledger, paths.home) as ledger:
        done = write_reminders(plan, ledger, paths.outbox, today, days, contact)
        write_status_page(plan, ledger, paths.outbox, today)
    return done

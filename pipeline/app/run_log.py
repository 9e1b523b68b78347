"""What a run did (RunReport), and its log: what the run read, wrote and logged, kept in outbox/logs/
for the officer and developers."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline import __version__
from pipeline.core import locations
from pipeline.core.atomic import write_text
from pipeline.core.errors import NOT_PROCESSED
from pipeline.core.locations import Paths
from pipeline.core.sender_text import printable
from pipeline.intake.inbox import Passed
from pipeline.ledger.schema import HELD, REJECTED
from pipeline.outputs.round_status import RoundStatus, summary_lines
from pipeline.plan.model import Plan

if TYPE_CHECKING:  # what answers the files is imported by a run that finds some
    from pipeline.intake.answer import Outcome


@dataclass
class RunReport:
    outcomes: list[Outcome] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)
    failed: list[Path] = field(default_factory=list)  # could not be read: left in the inbox, named
    passed: list[Passed] = field(default_factory=list)  # links and the like: named, never opened
    status: list[RoundStatus] = field(default_factory=list)  # each open round, after the run
    in_use: dict[str, str] = field(default_factory=dict)  # round -> an output another program held open
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
        file was rejected or is held for the officer's confirmation (also after a run that was
        killed), or an entry left in the inbox."""
        return bool(self.rejected or self.failed or self.passed or self.in_use
                    or any(s.rejected or s.held for s in self.status)
                    or any(o.record.status == HELD for o in self.outcomes))



@contextmanager
def captured_log() -> Iterator[list[str]]:
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


def write_run_log(paths: Paths, plan: Plan, report: RunReport, day: date, messages: list[str]) -> Path:
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
              *summary_lines(plan, report.status, day), ""]
    target = locations.run_log(paths.outbox, started, os.getpid())
    write_text(target, "\n".join(lines))
    return target

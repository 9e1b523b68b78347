"""Whether outputs are current: a key of everything they rest on, kept beside the ledger in
`rebuilt.json`. A round's outputs rest on the program's code and report templates, the plan, every
file of the rounds through it with its status, the approvals, draft or final; a unit's own report on
the same but only its own files (and its successors'); the status page on every file's status, the
approvals and the day; an area's status page on its units' files. A run with nothing new finds every
key unchanged, rebuilds nothing and writes nothing; one new file rewrites its round's outputs, its
unit's report and its area's status page, not the other units' or areas'."""

from __future__ import annotations

import functools
import hashlib
import json
from datetime import date
from pathlib import Path

from pipeline import __version__
from pipeline.core.atomic import write_text
from pipeline.core.locations import PROGRAM_DIR, REBUILT_STATE, REPORT_TEMPLATES, area_status_page
from pipeline.figures.consolidate import Consolidation
from pipeline.ledger.store import Ledger
from pipeline.plan import areas
from pipeline.plan.areas import Area
from pipeline.plan.model import Plan, Round, Unit


@functools.cache
def program_digest() -> str:
    """The program's own code and report templates: an upgraded pipeline rebuilds what it writes."""
    digest = hashlib.sha256(__version__.encode())
    for path in sorted([*PROGRAM_DIR.rglob("*.py"), *REPORT_TEMPLATES.iterdir()]):
        digest.update(path.relative_to(PROGRAM_DIR).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def key(plan: Plan, ledger: Ledger, rnd: Round, draft: bool) -> str:
    through = plan.rounds_through(rnd.id) if rnd.regular else (rnd,)
    files = [(r.id, r.sha256, r.status) for earlier in through for r in ledger.records(earlier.id)]
    return _digest([_basis(plan, ledger, rnd), files, draft])


def unit_keys(plan: Plan, ledger: Ledger, result: Consolidation, units: list[Unit]) -> dict[str, str]:
    """Per unit, the key of its own report: its files of the rounds through this one, and its
    successors' (a former unit's line goes on with theirs). Another unit's file leaves it unchanged."""
    files = _files_by_unit(result)
    basis = _basis(plan, ledger, result.round)
    return {u.code: _digest([basis, u.code, files.get(u.code, []),
                             *[files.get(s.code, []) for s in plan.successors(u.code)]]) for u in units}


def area_keys(plan: Plan, ledger: Ledger, result: Consolidation, found: tuple[Area, ...]) -> dict[str, str]:
    """Per area, the key of its detail workbook: the files of its units (a successor is in its former
    unit's area). A file of another area leaves it unchanged."""
    files = _files_by_unit(result)
    basis = _basis(plan, ledger, result.round)
    return {a.slug: _digest([basis, a.slug, [u.code for u in a.units], [files.get(u.code, []) for u in a.units]])
            for a in found}


def _files_by_unit(result: Consolidation) -> dict[str | None, list]:
    files: dict[str | None, list] = {}
    for record in result.records:
        files.setdefault(record.unit, []).append((record.id, record.sha256, record.status))
    return files


def page_key(plan: Plan, ledger: Ledger, today: date, passed: list[tuple[str, str]]) -> str:
    """What the status page shows: every file and its status, the approvals, the day (days left), the
    inbox entries not taken. A run that changes none of them leaves the page as it is."""
    files = [(r.id, r.status) for r in ledger.records()]
    approvals = [ledger.approval(r.id) for r in plan.all_rounds]
    return _digest([program_digest(), plan_digest(plan), files, approvals, today, passed])


def area_page_keys(plan: Plan, ledger: Ledger, rounds: list[Round]) -> dict[str, str]:
    """Per area page of the status page (its path, as locations.area_status_page gives it), for the
    rounds shown: what it shows rests on which of its units report in the round, its units' files of
    the round and their status, the round's approval (a file after it is not counted), the plan and the
    program. Not on the day: it shows no deadline. A file of another area leaves it unchanged."""
    keys = {}
    files: dict[tuple[str | None, str | None], list] = {}
    for record in ledger.records():  # every record, as page_key lists them: one listing for both
        files.setdefault((record.round, record.unit), []).append((record.id, record.status))
    for rnd in rounds:
        basis = _digest([program_digest(), plan_digest(plan), rnd.id, ledger.approval(rnd.id)])
        for area in areas.for_round(plan, rnd):
            members = areas.reporting(plan, rnd, area)
            if members:  # an area none of whose units is in the round has no page in it
                keys[area_status_page(rnd.id, area.slug)] = _digest(
                    [basis, area.slug, [u.code for u in members],
                     [(u.code, files.get((rnd.id, u.code), [])) for u in area.units]])
    return keys


def unit_entry(round_id: str, unit: str) -> str:
    """A unit report's entry among the round keys of the state file."""
    return f"{round_id}/{unit}"


def area_entry(round_id: str, area: str) -> str:
    """An area workbook's entry among the round keys of the state file."""
    return f"{round_id}/khu-vuc/{area}"


def _basis(plan: Plan, ledger: Ledger, rnd: Round) -> str:
    """What every output of a round rests on besides its files: the program, the plan, the approvals."""
    through = plan.rounds_through(rnd.id) if rnd.regular else (rnd,)
    return _digest([program_digest(), plan_digest(plan), [ledger.approval(r.id) for r in through]])


def plan_digest(plan: Plan) -> str:
    """What the plan holds, as one hash (its repr: 60 ms at national scale, kept with the plan)."""
    return plan.derived((plan_digest,), lambda: hashlib.sha256(repr(plan).encode("utf-8")).hexdigest())


def _digest(parts: list) -> str:
    return hashlib.sha256(json.dumps(parts, default=str).encode("utf-8")).hexdigest()


def load(home: Path) -> dict[str, str]:
    path = Path(home) / REBUILT_STATE
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}  # no record (or a damaged one): every round counts as not current


def save(home: Path, keys: dict[str, str]) -> None:
    write_text(Path(home) / REBUILT_STATE, json.dumps(keys, indent=1, sort_keys=True) + "\n")

"""What a run rebuilds: the rounds whose inputs changed, and within a round only the outputs whose
keys changed (outputs/rebuild_keys.py); the status page likewise."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date
from pathlib import Path

from pipeline.app.storage import storage_guard
from pipeline.core import locations
from pipeline.core.errors import OutputInUse, UsageError
from pipeline.core.gc_pause import paused as collection_paused
from pipeline.core.locations import Paths
from pipeline.figures import consolidate
from pipeline.figures.history import history
from pipeline.ledger.lock import LOCK_WAIT_SECONDS, exclusive
from pipeline.ledger.store import Ledger
from pipeline.outputs import rebuild_keys, status_page
from pipeline.outputs.round_status import RoundStatus, is_draft
from pipeline.plan import areas
from pipeline.plan.loader import DEFAULT_PLAN_DIR, load_plan
from pipeline.plan.model import Plan, Round


def refresh_status_page(plan: Plan, ledger: Ledger, outbox: Path, day: date, passed: list[tuple[str, str]],
                        statuses: Mapping[str, RoundStatus] | None = None) -> list[Path]:
    """The status page, written again only when what it shows changed (or it is missing); of the areas'
    pages, those whose own key changed (or that are missing). `statuses`: as write_status_pages takes them."""
    keys = rebuild_keys.load(ledger.home)
    key = rebuild_keys.page_key(plan, ledger, day, passed)
    pages = rebuild_keys.area_page_keys(plan, ledger, status_page.shown_rounds(plan, ledger, day))
    stale = {page for page, now in pages.items() if keys.get(page) != now or not (outbox / page).is_file()}
    if keys.get(locations.STATUS_PAGE) == key and (outbox / locations.STATUS_PAGE).is_file() and not stale:
        return []
    written = status_page.write_status_pages(plan, ledger, outbox, day, passed, areas_wanted=stale,
                                             statuses=statuses)
    rebuild_keys.save(ledger.home, keys | {locations.STATUS_PAGE: key} | pages)
    return written


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
    from pipeline.reports import documents

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


def rounds_read(plan: Plan, rounds: set[str]) -> set[str]:
    """The rounds whose values consolidating `rounds` reads."""
    return {earlier.id for rnd in plan.rounds if rnd.id in rounds for earlier in plan.rounds_through(rnd.id)} \
        | {rnd.id for rnd in plan.adhoc_rounds if rnd.id in rounds}


def rounds_to_rebuild(plan: Plan, ledger: Ledger, paths: Paths, touched: set[str]) -> list[Round]:
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
    approved = ledger.approval(rnd.id) is not None
    if not rnd.regular:
        records = ledger.records(rnd.id)
        findings = {r.id: ledger.findings(r.id) for r in records}
        return consolidate.snapshot(plan, rnd, history(plan, ledger, (rnd,))[rnd.id], records, findings,
                                    approved=approved)
    through = plan.rounds_through(rnd.id)
    records = [r for earlier in through for r in ledger.records(earlier.id)]
    findings = {r.id: ledger.findings(r.id) for r in records if r.round == rnd.id}
    return consolidate.consolidate(plan, rnd, history(plan, ledger, through), records, findings, approved=approved)


def rebuild(plan: Plan, ledger: Ledger, outbox: Path, rounds: list[Round], today: date | None = None, *,
            stale: set[str] | None = None, in_use: dict[str, str] | None = None) -> list[Path]:
    """Workbook and reports of each round; reports are marked DỰ THẢO until the province deadline is
    near (round_status.FINAL_BEFORE_DEADLINE). With `stale` (a run's rebuild), a round not in it is skipped
    when its outputs exist and rest on exactly what they rest on now (rebuild_keys.py). With `in_use`, an
    output another program holds open does not stop the rebuild: its round's other outputs are written,
    the round and the file are noted there, and the round's key is left old, so the next run writes it."""
    day = today or date.today()
    outputs: list[Path] = []
    ledger.settle()  # no thread may run when the outputs' workers fork
    keys = rebuild_keys.load(ledger.home)
    for rnd in _shown(rounds):
        draft = ledger.approval(rnd.id) is None and is_draft(rnd, day)
        key = rebuild_keys.key(plan, ledger, rnd, draft)
        if stale is not None and rnd.id not in stale and keys.get(rnd.id) == key and _present(plan, outbox, rnd):
            continue
        from pipeline.reports import documents  # what writes them: a run with nothing to write never needs it
        from pipeline.workbook import assemble

        result = consolidation(plan, ledger, rnd)
        before = dict(keys)
        try:
            if rnd.regular:
                units = _unit_reports_to_write(plan, ledger, outbox, result, keys, everything=stale is None)
                parts = _areas_to_write(plan, ledger, outbox, result, keys, everything=stale is None)
                outputs += documents.write_outputs(plan, result, outbox, draft=draft, units=units, areas=parts)
            else:
                outputs.append(assemble.write_workbook(plan, result, outbox))
                outputs += documents.write_adhoc_reports(plan, result, outbox, draft=draft)
        except OutputInUse as exc:
            if in_use is None:
                raise
            in_use[rnd.id] = exc.path
            keys.clear()
            keys.update(before)  # nothing of this round counts as written: the next run writes it all again
            continue
        keys[rnd.id] = key
    if outputs or in_use:
        rebuild_keys.save(ledger.home, keys)
    return outputs


def _shown(rounds: list[Round]):
    """Several rounds with a bar on a terminal, as the reading's: a rebuild of several takes time."""
    return progress_bar(rounds, desc="Lập bảng tổng hợp, báo cáo", unit="kỳ") if len(rounds) > 1 else rounds


def progress_bar(*args, **options):
    """A tqdm bar, shown on a terminal only (disable=None); tqdm is imported only when one is made (45 ms
    of every command's start-up otherwise), and without its monitor thread: the outputs are written by
    workers forked from this process."""
    from tqdm import tqdm

    tqdm.monitor_interval = 0
    return tqdm(*args, **{"disable": None, **options})


def _unit_reports_to_write(plan: Plan, ledger: Ledger, outbox: Path, result: consolidate.Consolidation,
                           keys: dict[str, str], *, everything: bool) -> set[str]:
    """A run writes a unit's own report only when what it rests on changed or the file is missing;
    `everything` (a report asked for, an approval) writes them all. `keys` learns the new keys."""
    from pipeline.reports import documents

    rnd = result.round
    now = rebuild_keys.unit_keys(plan, ledger, result, documents.unit_reports(plan, result))
    listed, folders = _Listing(), {level: outbox / rnd.id / name for level, name in locations.UNIT_FOLDERS.items()}
    units = {code: plan.unit(code) for code in now}
    return _changed({code: (rebuild_keys.unit_entry(rnd.id, code), key,
                            listed.has(folders[units[code].level], locations.unit_report_name(rnd.id, units[code])))
                     for code, key in now.items()}, keys, everything)


def _areas_to_write(plan: Plan, ledger: Ledger, outbox: Path, result: consolidate.Consolidation,
                    keys: dict[str, str], *, everything: bool) -> set[str]:
    """As `_unit_reports_to_write`, for the areas' detail workbooks of a plan split by area."""
    rnd, found = result.round, areas.for_round(plan, result.round)
    now = rebuild_keys.area_keys(plan, ledger, result, found)
    listed = _Listing()
    files = {a.slug: outbox / rnd.id / locations.area_workbook_name(rnd.id, a.slug) for a in found}  # in a subfolder
    return _changed({a.slug: (rebuild_keys.area_entry(rnd.id, a.slug), now[a.slug],
                              listed.has(files[a.slug].parent, files[a.slug].name)) for a in found}, keys, everything)


def _changed(outputs: dict[str, tuple[str, str, bool]], keys: dict[str, str], everything: bool) -> set[str]:
    """Of `outputs` (name -> its entry in the state file, its key now, whether its file is there), those
    to write: all with `everything`, else those whose key changed or whose file is missing. `keys` learns
    the new keys."""
    written = set()
    for name, (entry, key, present) in outputs.items():
        if everything or keys.get(entry) != key or not present:
            written.add(name)
        keys[entry] = key
    return written


class _Listing:
    """Whether an output file is there, from one listing of its folder: a round's 3,320 unit reports
    are one listing, not 3,320 paths built and looked up (0.3 s of a run with one new file)."""

    def __init__(self) -> None:
        self.listed: dict[Path, frozenset[str]] = {}

    def has(self, folder: Path, name: str) -> bool:
        if folder not in self.listed:
            try:
                with os.scandir(folder) as entries:
                    self.listed[folder] = frozenset(e.name for e in entries if e.is_file(follow_symlinks=False))
            except OSError:
                self.listed[folder] = frozenset()
        return name in self.listed[folder]


def _present(plan: Plan, outbox: Path, rnd: Round) -> bool:
    folder = outbox / rnd.id
    names = [locations.workbook_name(rnd.id), locations.report_names(rnd.id)["docx"]]
    names += [locations.area_workbook_name(rnd.id, a.slug) for a in areas.for_round(plan, rnd)]
    return all((folder / name).is_file() for name in names)

"""Write one reporting workbook per (round, unit): targets locked, only the input cells open.

Every input cell gets a workbook defined name (see plan/form.py), so ingest never depends on positions.
Everything that is not an input is locked, and recorded in a fingerprint kept on the hidden metadata
sheet, so that ingest can tell when locked content was altered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from pipeline.core import parallel
from pipeline.core.atomic import atomic_path
from pipeline.core.config import Contact
from pipeline.core.locations import template_filename
from pipeline.plan.loader import DEFAULT_PLAN_DIR
from pipeline.plan.model import Plan, Round, Unit
from pipeline.templates.layout import Layout
from pipeline.templates.stamping import Stamper
from pipeline.validation.book import RuleBook


def write_templates(
    plan: Plan,
    rnd: Round,
    out_dir: Path,
    units: Iterable[Unit] | None = None,
    carried: Mapping[str, Mapping[str, int]] | None = None,
    contact: Contact | None = None,
    rules: RuleBook | None = None,
    formers: Mapping[str, Mapping[str, int]] | None = None,
    key: bytes | None = None,
) -> list[Path]:
    """Write the templates of `rnd` into out_dir/<round>/; `carried` is {unit: {indicator: figure}};
    `rules`: the plan's rules.toml, for the check sheet (default: the bundled plan's); `formers`: the
    former units' cumulative figures that successors' templates show for context (queries.former_lines);
    `key`: the installation's template key (ledger/template_key.py), which keys the fingerprint."""
    rules = rules or RuleBook.load(DEFAULT_PLAN_DIR)
    folder = Path(out_dir) / rnd.id
    folder.mkdir(parents=True, exist_ok=True)
    jobs = [(unit, folder / template_filename(rnd.id, unit), dict((carried or {}).get(unit.code, {})))
            for unit in (units or plan.units_for(rnd))]
    return parallel.spread(_write_one, (plan, rnd, contact or Contact(), rules, dict(formers or {}), key), jobs)


def _write_one(plan: Plan, rnd: Round, contact: Contact, rules: RuleBook, formers: dict, key: bytes | None,
               job: tuple[Unit, Path, dict]) -> Path:
    unit, path, carried = job
    package = _STAMPER.package(lambda: Layout(plan, rnd, unit, carried, contact, rules, formers, key))
    with atomic_path(path) as tmp:
        tmp.write_bytes(package)
    return path


_STAMPER = Stamper()  # per process: each worker keeps its own models

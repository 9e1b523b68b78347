"""What a received file is checked against: the template of its round and unit as the pipeline
generates it, laid out in memory (its locked cells, defined names and fingerprint), and its bytes when
a copied-out table must be recognised by its titles."""

from __future__ import annotations

import io
from collections import OrderedDict
from dataclasses import dataclass

from pipeline.core.config import Contact
from pipeline.plan.model import Plan, Round, Unit
from pipeline.templates.layout import Layout
from pipeline.validation.book import RuleBook

# Layouts kept per process (about 34 KiB each for the bundled plan: 17 MiB at most). A run meets each
# unit about once, so the bound costs a layout only when a unit sends again after 512 others.
LAYOUTS_KEPT = 512


@dataclass(frozen=True)
class LockedContent:
    """What ingest checks a received file against: the template as generated for its unit and round."""

    fingerprint: str
    cells: dict[tuple[str, str], object]  # (sheet, cell) -> text, number or "=formula"
    names: dict[str, tuple[str, str]]  # defined name -> (sheet, cell)


_LAID_OUT: OrderedDict[tuple[str, str, str], LockedContent] = OrderedDict()  # most recently used last


def locked_content(plan: Plan, rnd: Round, unit: Unit, rules: RuleBook) -> LockedContent:
    """The identity cells and fingerprint of the template of (round, unit), laid out once per process
    (the plan and its rules do not change within one)."""
    key = (plan.id, rnd.id, unit.code)
    if key in _LAID_OUT:
        _LAID_OUT.move_to_end(key)
        return _LAID_OUT[key]
    template = Layout(plan, rnd, unit, {}, Contact(), rules)
    template.write(None)
    cells = {(sheet, cell): value for sheet, cell, value in template.identity_cells()}
    _LAID_OUT[key] = LockedContent(template.fingerprint(), cells, dict(template.names))
    if len(_LAID_OUT) > LAYOUTS_KEPT:
        _LAID_OUT.popitem(last=False)
    return _LAID_OUT[key]


def forget() -> None:
    """Let go of every layout kept: the cache is keyed by plan id, round and unit, so a process that
    loads another version of a plan under the same id (a test, an edited plan) starts afresh."""
    _LAID_OUT.clear()


def template_bytes(plan: Plan, rnd: Round, unit: Unit, rules: RuleBook) -> bytes:
    """The template of (round, unit) as a file would hold it, written in memory."""
    target = io.BytesIO()
    Layout(plan, rnd, unit, {}, Contact(), rules).write(target)
    return target.getvalue()

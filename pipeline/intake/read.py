"""One received file read: guarded, its template identified (identify.py), every input read by its
defined name, its locked content and targets compared with the template it claims to be."""

from __future__ import annotations

import functools
import logging
import re
from datetime import date

from pipeline.core.findings import Finding, has_errors
from pipeline.core.vietnamese import format_number, round_title
from pipeline.intake import guard
from pipeline.intake.identify import identify
from pipeline.intake.records import Incoming, Reading
from pipeline.intake.xlsx_reader import Workbook
from pipeline.plan import form
from pipeline.plan.model import Plan
from pipeline.templates.identity import LockedContent, locked_content
from pipeline.templates.sheets import checks
from pipeline.validation.book import RuleBook
from pipeline.validation.values import CellValue

log = logging.getLogger(__name__)


# -- reading one file --------------------------------------------------------------------------


def read_submission(incoming: Incoming, plan: Plan, rules: RuleBook, received: date) -> Reading:
    """Guard, identify and extract one file; every problem becomes a finding, never an exception."""
    sub = Reading(incoming)
    if incoming.data is None:
        sub.findings.append(_file_finding(rules, "file-too-large", incoming.size))
        return sub
    verdict = guard.inspect(incoming.name, incoming.data)
    if verdict.problem:
        sub.findings.append(_file_finding(rules, verdict.problem, incoming.size, **verdict.details))
        return sub
    if verdict.kind == "xlsm":
        sub.findings.append(rules.finding("file-macros"))
    try:
        book = Workbook(incoming.data, verdict.special)
        by_metadata = identify(sub, book, plan, rules, received)
        if sub.identified and not has_errors(sub.findings):
            _extract(sub, book, plan, rules)
            if by_metadata and not has_errors(sub.findings):
                _check_locked(sub, book, plan, rules)
    except (KeyboardInterrupt, SystemExit):
        raise
    except MemoryError:  # the worker's memory limit: a file that asks for more than any report needs
        sub.cells.clear()
        sub.findings.append(rules.finding("file-too-demanding"))
    except BaseException as exc:
        log.warning("%s: unreadable (%s: %s)", incoming.inbox_path, type(exc).__name__, exc)
        sub.cells.clear()
        sub.findings.append(rules.finding("file-unreadable", error=type(exc).__name__))
    return sub


def _file_finding(rules: RuleBook, code: str, size: int, **details) -> Finding:
    return rules.finding(code, size_mb=format_number(round(size / 2**20, 1)),
                         limit_mb=guard.MAX_FILE_BYTES // 2**20, **details)


# -- identification ----------------------------------------------------------------------------


# -- values --------------------------------------------------------------------------------------


def _extract(sub: Reading, book: Workbook, plan: Plan, rules: RuleBook) -> None:
    rnd = plan.round(sub.round or "")
    for fld in form.input_fields(plan, rnd):
        location = book.location(fld.name)
        if location is None:
            if not fld.optional:
                sub.findings.append(rules.finding("input-name-missing", unit=sub.unit, round=sub.round,
                                                  label=fld.label, name=fld.name))
            continue
        sheet, cell = location
        special = book.special(sheet, cell)
        if special is not None and special[0] == "formula":
            sub.findings.append(rules.finding("value-is-formula", unit=sub.unit, round=sub.round,
                                              sheet=sheet, cell=cell, label=fld.label, found=special[1]))
            continue
        value = special[1] if special is not None else book.value(sheet, cell)
        sub.cells[fld.name] = CellValue(sheet, cell, value)
    status = book.location(checks.STATUS_NAME)
    sub.check_status = str(book.value(*status) or "") if status else ""
    _check_targets(sub, book, plan, rules)


def _check_targets(sub: Reading, book: Workbook, plan: Plan, rules: RuleBook) -> None:
    """Locked targets must be the plan's: a changed one means the template was tampered with."""
    for indicator in plan.indicators:
        location = book.location(form.target_name(indicator.code))
        if location is None:
            continue
        found = book.value(*location)
        if not plan.has_targets(sub.unit or ""):  # the template shows that there is none
            if found != form.NO_TARGET:
                sub.findings.append(rules.finding(
                    "template-target-altered", unit=sub.unit, round=sub.round, sheet=location[0],
                    cell=location[1], label=indicator.short_name, found=found, expected=form.NO_TARGET))
            continue
        expected = plan.targets[sub.unit or ""][indicator.code]
        if not isinstance(found, int | float) or found != expected:
            sub.findings.append(rules.finding(
                "template-target-altered", unit=sub.unit, round=sub.round, sheet=location[0],
                cell=location[1], label=indicator.short_name, found=found, expected=expected))


# -- identity ------------------------------------------------------------------------------------

MAX_LOCKED_FINDINGS = 10
_NUMBERS = (int, float)  # a tuple: `int | float` makes a union at each call, 150 a file here


def _check_locked(sub: Reading, book: Workbook, plan: Plan, rules: RuleBook) -> None:
    """The file's locked content must be the template generated for its unit and round: its titles,
    labels and formulas. (Targets have their own check; the fingerprint, which is keyed, and carried
    figures are compared by the run.)"""
    rnd, unit = plan.round(sub.round or ""), plan.unit(sub.unit or "")
    expected = locked_content(plan, rnd, unit, rules)
    sheets = _sheet_map(book, expected)
    targets = {expected.names[form.target_name(i.code)] for i in plan.indicators
               if form.target_name(i.code) in expected.names}
    context = {"unit_name": unit.name, "round_name": round_title(rnd)}
    altered = 0
    for (sheet, cell), value in expected.cells.items():
        if (sheet, cell) in targets:
            continue
        actual_sheet = sheets.get(sheet, sheet)
        found = _locked_value(book, actual_sheet, cell, formula=isinstance(value, str) and value.startswith("="))
        if _same_locked(value, found):
            continue
        altered += 1
        if altered <= MAX_LOCKED_FINDINGS:
            sub.findings.append(rules.finding(
                "template-locked-altered", unit=sub.unit, round=sub.round, sheet=actual_sheet, cell=cell,
                found=_as_quoted(found), expected=_as_quoted(value), **context))
    if not altered:
        sub.identity_digest = expected.fingerprint
    for indicator in plan.indicators:
        name = form.field_name(indicator.code, form.PREVIOUS)
        if book.location(name) is None and name in expected.names:
            sheet, cell = expected.names[name]
            actual = sheets.get(sheet, sheet)
            printed = book.value(actual, cell)
            if isinstance(printed, int | float) and not isinstance(printed, bool):
                sub.carried[indicator.code] = CellValue(actual, cell, printed)


def _sheet_map(book: Workbook, expected: LockedContent) -> dict[str, str]:
    """Template sheet name -> the file's sheet, followed through defined names (a renamed sheet)."""
    mapping = {}
    for name, (sheet, _cell) in expected.names.items():
        location = book.location(name)
        if location is not None and sheet not in mapping:
            mapping[sheet] = location[0]
    return mapping


def _locked_value(book: Workbook, sheet: str, cell: str, *, formula: bool) -> object:
    special = book.special(sheet, cell)
    if special is not None:
        return special[1]
    return "" if formula else book.value(sheet, cell)


def _same_locked(expected: object, found: object) -> bool:
    if isinstance(expected, str) and expected.startswith("="):
        return isinstance(found, str) and _formula_key(found) == _formula_key(expected)
    if isinstance(expected, _NUMBERS) and not isinstance(expected, bool):
        return isinstance(found, _NUMBERS) and not isinstance(found, bool) and abs(found - expected) < 1e-9
    return isinstance(found, str) and found.strip() == str(expected).strip()


@functools.lru_cache(maxsize=4096)  # bounded; a template's formulas, file after file
def _formula_key(text: str) -> str:
    """A formula as any program writes it: no '=', '$', spaces, '_xlfn.' prefixes or case."""
    return re.sub(r"[\s$]", "", text.lstrip("=")).upper().replace("_XLFN.", "")


def _as_quoted(value: object) -> str:
    """A locked cell's content as a letter quotes it: "(trống)" when empty, at most 80 characters."""
    if value in (None, ""):
        return "(trống)"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = format_number(value) if isinstance(value, int | float) and not isinstance(value, bool) else str(value)
    return text if len(text) <= 80 else text[:77] + "…"

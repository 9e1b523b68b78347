"""Find inbox files, guard them, identify the template and read every input by its defined name."""

from __future__ import annotations

import functools
import hashlib
import io
import logging
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath

import python_calamine
from lxml import etree
from xlsxwriter.utility import xl_cell_to_rowcol

from pipeline.core.findings import Finding, has_errors
from pipeline.core.vietnamese import format_date, format_number, round_title
from pipeline.intake import guard
from pipeline.intake import inbox as inbox_files
from pipeline.plan import form
from pipeline.plan.model import Plan, Round
from pipeline.templates.cells import SHEET_INDICATORS, indicator_sheet_titles
from pipeline.templates.identity import LockedContent, locked_content, template_bytes
from pipeline.templates.sheets import checks
from pipeline.validation.rules import CellValue, RuleBook

log = logging.getLogger(__name__)

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"


@dataclass(frozen=True)
class Incoming:
    """One file to answer: an inbox file, or a spreadsheet attached to a saved e-mail."""

    name: str
    inbox_path: str  # where it was found, relative to the inbox ("mail.eml#2:file.xlsx" for attachments)
    sha256: str
    size: int
    data: bytes | None  # None when the file is too large to load
    source: Path | None = None  # the inbox file itself
    sender: str | None = None
    sent_at: str | None = None  # the e-mail's Date, for attachments
    container: str | None = None  # inbox path of the e-mail that carried it


@dataclass
class Submission:
    """One file, as far as ingest could read it."""

    incoming: Incoming
    unit: str | None = None
    round: str | None = None
    template_version: str | None = None
    cells: dict[str, CellValue] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    fingerprint: str = ""  # as the file's metadata states it
    carried: dict[str, CellValue] = field(default_factory=dict)  # locked "previous" figures, as printed
    check_status: str = ""  # what the template's own check sheet said when the file was saved (a hint)

    @property
    def identified(self) -> bool:
        return self.unit is not None and self.round is not None


def from_path(path: Path, inbox: Path) -> Incoming:
    """An inbox file, read once without following a link: its hash, and its bytes unless too large."""
    read = inbox_files.read(path, guard.MAX_FILE_BYTES, guard.BLOCK)
    return Incoming(path.name, path.relative_to(inbox).as_posix(), read.sha256, read.size, read.data, path)


def from_bytes(name: str, inbox_path: str, data: bytes, **context) -> Incoming:
    return Incoming(name, inbox_path, hashlib.sha256(data).hexdigest(), len(data), data, **context)


# -- reading one file --------------------------------------------------------------------------


def read_submission(incoming: Incoming, plan: Plan, rules: RuleBook, received: date) -> Submission:
    """Guard, identify and extract one file; every problem becomes a finding, never an exception."""
    sub = Submission(incoming)
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
        book = _Workbook(incoming.data, verdict.special)
        by_metadata = _identify(sub, book, plan, rules, received)
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


class _Workbook:
    """A guarded workbook: defined names and part paths from its XML, cell values via calamine."""

    def __init__(self, data: bytes, special: dict[str, dict[str, tuple[str, str]]]):
        """`special`: each sheet part's formula and error cells, as the guard's scan found them."""
        self.archive = zipfile.ZipFile(io.BytesIO(data))
        root = _xml(self.archive, "xl/workbook.xml")
        rels = _relationships(self.archive, "xl/_rels/workbook.xml.rels")
        self.sheet_parts: dict[str, str] = {}
        for sheet in root.iter(f"{{{MAIN_NS}}}sheet"):
            target = rels.get(sheet.get(f"{{{REL_NS}}}id") or "", "")
            if target:
                self.sheet_parts[sheet.get("name") or ""] = _resolve("xl/workbook.xml", target)
        self.names: dict[str, str] = {}
        for node in root.iter(f"{{{MAIN_NS}}}definedName"):
            if node.get("localSheetId") is None and node.text:
                self.names[(node.get("name") or "").lower()] = node.text
        self.book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        self.grids: dict[str, list[list]] = {}
        self.specials = special

    def location(self, name: str) -> tuple[str, str] | None:
        text = self.names.get(name.lower())
        return parse_reference(text) if text else None  # parsed once per process (its cache)

    def value(self, sheet: str, cell: str) -> object:
        grid = self._grid(sheet)
        row, col = _row_col(cell)
        if row < len(grid) and col < len(grid[row]):
            return grid[row][col]
        return ""

    def _grid(self, sheet: str) -> list[list]:
        if sheet not in self.grids:
            try:
                self.grids[sheet] = self.book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
            except python_calamine.CalamineError:
                self.grids[sheet] = []
        return self.grids[sheet]

    def special(self, sheet: str, cell: str) -> tuple[str, str] | None:
        """("formula", "=5+3") or ("error", "#N/A") when a cell holds one: a formula's cached result
        is never taken as a value, and readers differ on what an error cell holds."""
        return self.specials.get(self.sheet_parts.get(sheet, ""), {}).get(cell)

    def sheet_titles(self) -> dict[str, tuple[str, str]]:
        """{sheet name: (A1, A2)} as text, for recognising a template without its metadata."""
        titles = {}
        for sheet in self.sheet_parts:
            titles[sheet] = (str(self.value(sheet, "A1")).strip(), str(self.value(sheet, "A2")).strip())
        return titles


# libxml2 in C (a pure-Python parser took a twentieth of a file's reading): it expands no entity and
# fetches nothing; a document type, which the guard has refused already, is refused here too.
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _xml(archive: zipfile.ZipFile, part: str):
    root = etree.fromstring(archive.read(part), _XML_PARSER)
    if root.getroottree().docinfo.doctype:
        raise ValueError(f"{part}: a document type declaration")
    return root


def _relationships(archive: zipfile.ZipFile, part: str) -> dict[str, str]:
    if part not in archive.namelist():
        return {}
    return {rel.get("Id") or "": rel.get("Target") or ""
            for rel in _xml(archive, part).iter(f"{{{PACKAGE_REL_NS}}}Relationship")}


def _resolve(base: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    parts: list[str] = []
    for piece in (PurePosixPath(base).parent / target).parts:
        if piece == "..":
            parts.pop()
        elif piece != ".":
            parts.append(piece)
    return "/".join(parts)


_CELL = re.compile(r"^\$?([A-Z]{1,3})\$?([1-9][0-9]{0,6})$")
_row_col = functools.lru_cache(maxsize=4096)(xl_cell_to_rowcol)  # a template's cells, over and over


@functools.lru_cache(maxsize=4096)  # bounded; a template's defined names, file after file
def parse_reference(text: str) -> tuple[str, str] | None:
    """"'Chỉ tiêu'!$F$6" -> ("Chỉ tiêu", "F6"); None for ranges, #REF! and anything else."""
    sheet, bang, cell = text.strip().lstrip("=").rpartition("!")
    match = _CELL.match(cell)
    if not bang or not match or not sheet or "#REF" in sheet:
        return None
    row, col = _row_col(match.group(1) + match.group(2))
    if row >= guard.MAX_ROW or col >= guard.MAX_COL:
        return None
    if sheet.startswith("'") and sheet.endswith("'"):
        sheet = sheet[1:-1].replace("''", "'")
    return sheet, match.group(1) + match.group(2)


# -- identification ----------------------------------------------------------------------------


def _identify(sub: Submission, book: _Workbook, plan: Plan, rules: RuleBook, received: date) -> bool:
    """Find the unit and round; True when they come from the template's metadata (not its titles)."""
    meta = {}
    for key, name in form.META_NAMES.items():
        location = book.location(name)
        meta[key] = str(book.value(*location)).strip() if location else ""
    if not (meta["plan"] and meta["round"] and meta["unit"]):
        _recognise_from_titles(sub, book, plan, rules)
        return False
    if meta["plan"] != plan.id:
        sub.findings.append(rules.finding("template-other-plan", found=meta["plan"]))
        return False
    if not plan.has_unit(meta["unit"]):
        sub.findings.append(rules.finding("unit-unknown", found=meta["unit"]))
        return False
    if meta["round"] not in {r.id for r in plan.all_rounds}:
        sub.findings.append(rules.finding("round-unknown", unit=meta["unit"], found=meta["round"]))
        return False
    sub.unit, sub.round = meta["unit"], meta["round"]
    sub.template_version = meta["version"] or None
    sub.fingerprint = meta["fingerprint"]
    if meta["version"] != form.TEMPLATE_VERSION:
        sub.findings.append(rules.finding("template-version-old", unit=sub.unit, round=sub.round,
                                          found=meta["version"] or "?", expected=form.TEMPLATE_VERSION))
    _check_round_open(sub, plan.round(sub.round), rules, received)
    _check_unit_reports_in_round(sub, plan, rules)
    return True


def _check_unit_reports_in_round(sub: Submission, plan: Plan, rules: RuleBook) -> None:
    """A unit reports only in the rounds it is valid for (units.csv valid_from / valid_to)."""
    unit, rnd = plan.unit(sub.unit or ""), plan.round(sub.round or "")
    if not unit.valid_on(rnd.district_deadline):
        ended = unit.valid_to is not None and unit.valid_to <= rnd.district_deadline
        instead = ([u.name for u in plan.successors(unit.code)] if ended
                   else [plan.unit(unit.former).name] if unit.former else [])
        sub.findings.append(rules.finding(
            "unit-not-in-round", unit=unit.code, round=rnd.id, unit_name=unit.name,
            round_title=round_title(rnd), since=format_date(unit.valid_to or unit.valid_from or rnd.opens),
            instead=", ".join(instead) or "các đơn vị mới theo danh sách của kế hoạch"))


def _check_round_open(sub: Submission, rnd: Round, rules: RuleBook, received: date) -> None:
    if received < rnd.opens:
        sub.findings.append(rules.finding("round-not-open", unit=sub.unit, round=rnd.id, round_title=round_title(rnd),
                                          opens=format_date(rnd.opens)))


def _recognise_from_titles(sub: Submission, book: _Workbook, plan: Plan, rules: RuleBook) -> None:
    """The content was copied into another workbook: find the indicator sheet by its titles, and
    map every input by the position it has in the template of that round and unit."""
    titles = book.sheet_titles()
    for rnd in plan.rounds:
        for unit in plan.units:
            expected = indicator_sheet_titles(rnd, unit)
            sheet = next((s for s, found in titles.items() if found == expected), None)
            if sheet is None:
                continue
            data = template_bytes(plan, rnd, unit, rules)
            template = _Workbook(data, guard.inspect("template.xlsx", data).special)
            sheet_map = {name: s for name, t in template.sheet_titles().items() if t[0]
                         for s, found in titles.items() if found == t}
            sheet_map[SHEET_INDICATORS] = sheet
            for name, text in template.names.items():
                location = parse_reference(text)
                if name.startswith(("in_", "p8_target_")) and location and location[0] in sheet_map:
                    book.names[name] = f"'{sheet_map[location[0]]}'!{location[1]}"
            sub.unit, sub.round = unit.code, rnd.id
            sub.findings.append(rules.finding("template-recognised-from-titles", unit=unit.code,
                                              round=rnd.id, unit_name=unit.name, round_id=rnd.id,
                                              round_title=round_title(rnd)))
            return
    sub.findings.append(rules.finding("template-unknown"))


# -- values --------------------------------------------------------------------------------------


def _extract(sub: Submission, book: _Workbook, plan: Plan, rules: RuleBook) -> None:
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


def _check_targets(sub: Submission, book: _Workbook, plan: Plan, rules: RuleBook) -> None:
    """Locked targets must be the plan's: a changed one means the template was tampered with."""
    for indicator in plan.indicators:
        location = book.location(form.target_name(indicator.code))
        if location is None:
            continue
        found = book.value(*location)
        expected = plan.targets[sub.unit or ""][indicator.code]
        if not isinstance(found, int | float) or found != expected:
            sub.findings.append(rules.finding(
                "template-target-altered", unit=sub.unit, round=sub.round, sheet=location[0],
                cell=location[1], label=indicator.short_name, found=found, expected=expected))


# -- identity ------------------------------------------------------------------------------------

MAX_LOCKED_FINDINGS = 10


def _check_locked(sub: Submission, book: _Workbook, plan: Plan, rules: RuleBook) -> None:
    """The file's locked content must be the template generated for its unit and round: its titles,
    labels, formulas and fingerprint. (Targets have their own check, carried figures are compared
    with the ledger by the run.)"""
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
                found=_shown(found), expected=_shown(value), **context))
    if not altered and sub.fingerprint != expected.fingerprint:
        sub.findings.append(rules.finding("template-fingerprint-mismatch", unit=sub.unit, round=sub.round,
                                          **context))
    for indicator in plan.indicators:
        name = form.field_name(indicator.code, form.PREVIOUS)
        if book.location(name) is None and name in expected.names:
            sheet, cell = expected.names[name]
            actual = sheets.get(sheet, sheet)
            printed = book.value(actual, cell)
            if isinstance(printed, int | float) and not isinstance(printed, bool):
                sub.carried[indicator.code] = CellValue(actual, cell, printed)


def _sheet_map(book: _Workbook, expected: LockedContent) -> dict[str, str]:
    """Template sheet name -> the file's sheet, followed through defined names (a renamed sheet)."""
    mapping = {}
    for name, (sheet, _cell) in expected.names.items():
        location = book.location(name)
        if location is not None and sheet not in mapping:
            mapping[sheet] = location[0]
    return mapping


def _locked_value(book: _Workbook, sheet: str, cell: str, *, formula: bool) -> object:
    special = book.special(sheet, cell)
    if special is not None:
        return special[1]
    return "" if formula else book.value(sheet, cell)


def _same_locked(expected: object, found: object) -> bool:
    if isinstance(expected, str) and expected.startswith("="):
        return isinstance(found, str) and _formula_key(found) == _formula_key(expected)
    if isinstance(expected, int | float) and not isinstance(expected, bool):
        return isinstance(found, int | float) and not isinstance(found, bool) and abs(found - expected) < 1e-9
    return isinstance(found, str) and found.strip() == str(expected).strip()


@functools.lru_cache(maxsize=4096)  # bounded; a template's formulas, file after file
def _formula_key(text: str) -> str:
    """A formula as any program writes it: no '=', '$', spaces, '_xlfn.' prefixes or case."""
    return re.sub(r"[\s$]", "", text.lstrip("=")).upper().replace("_XLFN.", "")


def _shown(value: object) -> str:
    if value in (None, ""):
        return "(trống)"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = format_number(value) if isinstance(value, int | float) and not isinstance(value, bool) else str(value)
    return text if len(text) <= 80 else text[:77] + "…"

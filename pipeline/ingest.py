"""Find inbox files, guard them, identify the template and read every input by its defined name."""

from __future__ import annotations

import hashlib
import io
import logging
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import python_calamine
from defusedxml import ElementTree
from xlsxwriter.utility import xl_cell_to_rowcol, xl_rowcol_to_cell

from . import form
from .plan import Plan
from .rules import CellValue, Finding, RuleBook

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ZIP_MEMBERS = 2_000
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
SPREADSHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
# Files the project keeps in inbox/ to explain the folder; they are not submissions.
IGNORED_NAMES = {"README.md", ".gitkeep"}


@dataclass
class Submission:
    """One file from the inbox, as far as ingest could read it."""

    path: Path
    relative_name: str
    sha256: str
    size: int
    unit: str | None = None
    round: str | None = None
    template_version: str | None = None
    cells: dict[str, CellValue] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    @property
    def identified(self) -> bool:
        return self.unit is not None and self.round is not None


def discover(inbox: Path) -> list[Path]:
    """Every file under the inbox, in any sub-folder, in a stable order."""
    inbox = Path(inbox)
    if not inbox.is_dir():
        return []
    return sorted(
        path
        for path in inbox.rglob("*")
        if path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(inbox).parts)
        and path.name not in IGNORED_NAMES
    )


def sha256_of_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_submission(path: Path, inbox: Path, plan: Plan, rules: RuleBook) -> Submission:
    """Guard, identify and extract one file; every problem becomes a finding, never an exception."""
    size = path.stat().st_size
    sub = Submission(path, path.relative_to(inbox).as_posix(), sha256_of_file(path), size)
    if size > MAX_FILE_BYTES:
        sub.findings.append(_too_large(size, rules))
        return sub
    data = path.read_bytes()
    problem = guard(path.name, data, rules)
    if problem:
        sub.findings.append(problem)
        return sub
    try:
        names = defined_names(data)
        sheets = _SheetCache(python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)))
        _identify(sub, names, sheets, plan, rules)
        if not sub.findings:
            _extract(sub, names, sheets, plan, rules)
    except Exception as exc:  # a parser's failure on one file must not stop the run
        log.warning("%s: unreadable (%s: %s)", sub.relative_name, type(exc).__name__, exc)
        sub.cells.clear()
        sub.findings.append(rules.finding("file-unreadable", error=type(exc).__name__))
    return sub


def _extract(sub: Submission, names, sheets: _SheetCache, plan: Plan, rules: RuleBook) -> None:
    for fld in form.input_fields(plan, plan.round(sub.round or "")):
        location = names.get(fld.name.lower())
        if location is None and fld.optional:
            continue
        if location is None:
            sub.findings.append(rules.finding("input-name-missing", unit=sub.unit, round=sub.round,
                                              label=fld.label, name=fld.name))
            continue
        sheet, cell = location
        sub.cells[fld.name] = CellValue(sheet, cell, sheets.value(sheet, cell))


def guard(name: str, data: bytes, rules: RuleBook) -> Finding | None:
    """Refuse, in bounded time and memory, what no parser should see."""
    if len(data) > MAX_FILE_BYTES:
        return _too_large(len(data), rules)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return rules.finding("file-ole-container")
    if not name.lower().endswith(".xlsx") or not zipfile.is_zipfile(io.BytesIO(data)):
        return rules.finding("file-not-xlsx")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.infolist()
        declared = sum(m.file_size for m in members)
        compressed = sum(m.compress_size for m in members) or 1
        if (len(members) > MAX_ZIP_MEMBERS or declared > MAX_UNCOMPRESSED_BYTES
                or declared / compressed > MAX_COMPRESSION_RATIO):
            return rules.finding("file-zip-suspicious")
        if "xl/workbook.xml" not in archive.namelist():
            return rules.finding("file-not-xlsx")
    return None


def _too_large(size: int, rules: RuleBook) -> Finding:
    return rules.finding("file-too-large", size_mb=round(size / 2**20, 1),
                         limit_mb=MAX_FILE_BYTES // 2**20)


def defined_names(data: bytes) -> dict[str, tuple[str, str]]:
    """Workbook-level defined names pointing at one cell: {lower-case name: (sheet, "A1")}."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        root = ElementTree.fromstring(archive.read("xl/workbook.xml"), forbid_dtd=True)
    names: dict[str, tuple[str, str]] = {}
    for node in root.iter(f"{SPREADSHEET_NS}definedName"):
        if node.get("localSheetId") is not None or not node.text:
            continue
        location = parse_reference(node.text)
        if location:
            names[(node.get("name") or "").lower()] = location
    return names


def parse_reference(text: str) -> tuple[str, str] | None:
    """"'Chỉ tiêu'!$F$6" -> ("Chỉ tiêu", "F6"); None for ranges and anything else."""
    text = text.strip().lstrip("=")
    sheet, bang, cell = text.rpartition("!")
    if not bang or ":" in cell:
        return None
    if sheet.startswith("'") and sheet.endswith("'"):
        sheet = sheet[1:-1].replace("''", "'")
    cell = cell.replace("$", "")
    try:
        row, col = xl_cell_to_rowcol(cell)
    except (AttributeError, ValueError):
        return None
    return (sheet, xl_rowcol_to_cell(row, col)) if sheet else None


class _SheetCache:
    """Each sheet read once, as a grid anchored at A1."""

    def __init__(self, book: python_calamine.CalamineWorkbook):
        self.book = book
        self.grids: dict[str, list[list]] = {}

    def value(self, sheet: str, cell: str) -> object:
        if sheet not in self.grids:
            try:
                grid = self.book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
            except python_calamine.CalamineError:
                grid = []
            self.grids[sheet] = grid
        row, col = xl_cell_to_rowcol(cell)
        grid = self.grids[sheet]
        if row < len(grid) and col < len(grid[row]):
            return grid[row][col]
        return ""


def _identify(sub: Submission, names, sheets: _SheetCache, plan: Plan, rules: RuleBook) -> None:
    meta = {}
    for key, name in form.META_NAMES.items():
        location = names.get(name)
        meta[key] = str(sheets.value(*location)).strip() if location else ""
    if not meta["plan"] or not meta["round"] or not meta["unit"]:
        sub.findings.append(rules.finding("template-unknown"))
        return
    if meta["plan"] != plan.id:
        sub.findings.append(rules.finding("template-other-plan", found=meta["plan"]))
        return
    known_units = {u.code for u in plan.units}
    if meta["unit"] not in known_units:
        sub.findings.append(rules.finding("unit-unknown", found=meta["unit"]))
        return
    sub.unit = meta["unit"]
    if meta["round"] not in {r.id for r in plan.rounds}:
        sub.findings.append(rules.finding("round-unknown", unit=sub.unit, found=meta["round"]))
        return
    sub.round = meta["round"]
    sub.template_version = meta["version"] or None
    if meta["version"] != form.TEMPLATE_VERSION:
        sub.findings.append(rules.finding("template-version-old", unit=sub.unit, round=sub.round,
                                          found=meta["version"] or "?",
                                          expected=form.TEMPLATE_VERSION))

"""A received workbook read with python-calamine; its sheet list and defined names with lxml (no
entity expanded, nothing fetched, no document type)."""

from __future__ import annotations

import functools
import io
import re
import zipfile
from pathlib import PurePosixPath

import python_calamine
from lxml import etree
from xlsxwriter.utility import xl_cell_to_rowcol

from pipeline.intake import guard

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


PACKAGE_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"


class Workbook:
    """A guarded workbook: defined names and part paths from its XML, cell values via calamine."""

    def __init__(self, data: bytes, special: dict[str, dict[str, tuple[str, str]]]):
        """`special`: each sheet part's formula and error cells, as the guard's scan found them."""
        self.archive = zipfile.ZipFile(io.BytesIO(data))
        root = xml_part(self.archive, "xl/workbook.xml")
        self.sheet_parts = sheet_parts(self.archive, root)
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
        grid = self.grid(sheet)
        row, col = _row_col(cell)
        if row < len(grid) and col < len(grid[row]):
            return grid[row][col]
        return ""

    def grid(self, sheet: str) -> list[list]:
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


def sheet_parts(archive: zipfile.ZipFile, workbook=None) -> dict[str, str]:
    """Each sheet's name -> its part ("xl/worksheets/sheet2.xml"), from the workbook and its relationships."""
    root = workbook if workbook is not None else xml_part(archive, "xl/workbook.xml")
    rels = _relationships(archive, "xl/_rels/workbook.xml.rels")
    parts: dict[str, str] = {}
    for sheet in root.iter(f"{{{MAIN_NS}}}sheet"):
        target = rels.get(sheet.get(f"{{{REL_NS}}}id") or "", "")
        if target:
            parts[sheet.get("name") or ""] = _resolve("xl/workbook.xml", target)
    return parts


def xml_part(archive: zipfile.ZipFile, part: str):
    """A part parsed safely (see _XML_PARSER); a ValueError for a document type declaration."""
    root = etree.fromstring(archive.read(part), _XML_PARSER)
    if root.getroottree().docinfo.doctype:
        raise ValueError(f"{part}: a document type declaration")
    return root


def _relationships(archive: zipfile.ZipFile, part: str) -> dict[str, str]:
    if part not in archive.namelist():
        return {}
    return {rel.get("Id") or "": rel.get("Target") or ""
            for rel in xml_part(archive, part).iter(f"{{{PACKAGE_REL_NS}}}Relationship")}


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

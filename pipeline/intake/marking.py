"""The marked copy made by editing the sender's package: the flagged cells get a fill (a copy of their
own style with the fill changed) and a comment (a comments part and the VML Excel needs to show it); every
other entry is copied as it was received, byte for byte. openpyxl's load and save cost a parse of the
whole workbook per warned file (about 50 ms, every file of a round with warnings); this costs a parse of
the styles and the small parts beside them, the flagged sheets edited as bytes (sheet_edit.py) or, when
one is not of the plain shape, parsed.

A package this cannot edit safely (a flagged sheet that already has comments or drawings of its own, rows
or cells without their reference, parts it cannot find) raises Unmarkable, and the caller falls back to
openpyxl."""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass
from datetime import datetime

from lxml import etree
from xlsxwriter.utility import xl_cell_to_rowcol

from pipeline.core.office_package import repackaged, xml_text
from pipeline.intake.sheet_edit import edited_sheet
from pipeline.intake.xlsx_reader import MAIN_NS, PACKAGE_REL_NS, REL_NS, sheet_parts, xml_part

MAIN, REL, PKG = MAIN_NS, REL_NS, PACKAGE_REL_NS
TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
COMMENTS_TYPE = f"{REL}/comments"
VML_TYPE = f"{REL}/vmlDrawing"
COMMENTS_CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
VML_CONTENT = "application/vnd.openxmlformats-officedocument.vmlDrawing"
_M, _R = f"{{{MAIN}}}", f"{{{REL}}}"
# Worksheet children that come after legacyDrawing, in the schema's order.
_AFTER_LEGACY = ("legacyDrawingHF", "picture", "oleObjects", "controls", "webPublishItems", "tableParts", "extLst")
_CELL = re.compile(r"^([A-Z]{1,3})([1-9][0-9]{0,6})$")


class Unmarkable(Exception):
    """The package is not one this module edits; openpyxl makes the copy instead."""


@dataclass(frozen=True)
class Mark:
    sheet: str
    cell: str  # "G8"
    colour: str  # RRGGBB fill
    text: str  # the comment


def mark_package(original: bytes, marks: list[Mark], author: str, moment: datetime) -> bytes:
    """The package with `marks` applied; every entry not changed is copied as received (its compressed
    bytes as they are)."""
    try:
        with zipfile.ZipFile(io.BytesIO(original)) as source:
            changed = _Edit(source, author).apply(marks)
        return repackaged(original, changed, moment)
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, ValueError, EOFError, zlib.error,
            etree.XMLSyntaxError) as exc:
        raise Unmarkable(f"unreadable package ({type(exc).__name__})") from None


def _xml(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _cell_ref(ref: str) -> tuple[int, int]:
    """(row, column), both from 1, of a plain reference such as "G8"."""
    if not _CELL.match(ref):
        raise Unmarkable(f"cell {ref!r}")
    row, column = xl_cell_to_rowcol(ref)
    return row + 1, column + 1


class _Edit:
    def __init__(self, source: zipfile.ZipFile, author: str):
        self.source, self.author = source, author
        self.names = set(source.namelist())
        self.changed: dict[str, bytes] = {}

    def apply(self, marks: list[Mark]) -> dict[str, bytes]:
        sheets = {name: part for name, part in sheet_parts(self.source).items() if part in self.names}
        styles = xml_part(self.source, "xl/styles.xml")
        fills = _Fills(styles)
        by_sheet: dict[str, list[Mark]] = {}
        for mark in marks:
            if mark.sheet in sheets:
                by_sheet.setdefault(mark.sheet, []).append(mark)
        if not by_sheet:
            raise Unmarkable("no flagged cell on a sheet of the package")
        types = xml_part(self.source, "[Content_Types].xml")
        number = 1 + max([int(n) for name in self.names for n in re.findall(r"^xl/comments(\d+)\.xml$", name)] + [0])
        for name, sheet_marks in by_sheet.items():
            self._mark_sheet(sheets[name], sheet_marks, fills, types, number)
            number += 1
        self.changed["xl/styles.xml"] = _xml(styles)
        self.changed["[Content_Types].xml"] = _xml(types)
        return self.changed

    def _mark_sheet(self, part: str, marks: list[Mark], fills: _Fills, types, number: int) -> None:
        rels_name = posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")
        rels = xml_part(self.source, rels_name) if rels_name in self.names else \
            etree.fromstring(f'<Relationships xmlns="{PKG}"/>'.encode())
        if any(r.get("Type") in (COMMENTS_TYPE, VML_TYPE) for r in rels.iter(f"{{{PKG}}}Relationship")):
            raise Unmarkable("the sheet has comments of its own")
        texts: dict[str, list[str]] = {}
        for mark in marks:
            _cell_ref(mark.cell)
            texts.setdefault(mark.cell, []).append(mark.text)
        comments = f"xl/comments{number}.xml"
        drawing = f"xl/drawings/vmlDrawing{number}.vml"
        taken = {r.get("Id") for r in rels.iter(f"{{{PKG}}}Relationship")}
        ids = [f"rIdP8{k}" for k in range(1, 100) if f"rIdP8{k}" not in taken][:2]
        etree.SubElement(rels, f"{{{PKG}}}Relationship", Id=ids[0], Type=COMMENTS_TYPE,
                         Target=posixpath.relpath(comments, posixpath.dirname(part)))
        etree.SubElement(rels, f"{{{PKG}}}Relationship", Id=ids[1], Type=VML_TYPE,
                         Target=posixpath.relpath(drawing, posixpath.dirname(part)))
        edited = edited_sheet(self.source.read(part), [(m.cell, m.colour) for m in marks], fills.style, ids[1],
                              _AFTER_LEGACY)
        self.changed[part] = edited if edited is not None else _parsed_and_marked(
            xml_part(self.source, part), marks, fills, ids[1])
        self.changed[rels_name] = _xml(rels)
        self.changed[comments] = _comments_part(texts, self.author)
        self.changed[drawing] = _vml_part(list(texts), number)
        etree.SubElement(types, f"{{{TYPES}}}Override", PartName=f"/{comments}", ContentType=COMMENTS_CONTENT)
        if not any(d.get("Extension", "").lower() == "vml" for d in types.iter(f"{{{TYPES}}}Default")):
            default = etree.Element(f"{{{TYPES}}}Default", Extension="vml", ContentType=VML_CONTENT)
            types.insert(0, default)


def _parsed_and_marked(root, marks: list[Mark], fills: _Fills, legacy_id: str) -> bytes:
    """The sheet's parsed tree marked (what sheet_edit.py does on the bytes of a sheet of the plain
    shape), written out."""
    if root.find(f"{_M}legacyDrawing") is not None:
        raise Unmarkable("the sheet has comments of its own")
    data = root.find(f"{_M}sheetData")
    if data is None:
        raise Unmarkable("no sheetData")
    for mark in marks:
        cell = _cell(data, mark.cell)
        cell.set("s", str(fills.style(int(cell.get("s", "0")), mark.colour)))
    legacy = etree.Element(f"{_M}legacyDrawing")
    legacy.set(f"{_R}id", legacy_id)
    after = next((child for child in root if etree.QName(child).localname in _AFTER_LEGACY), None)
    if after is not None:
        after.addprevious(legacy)
    else:
        root.append(legacy)
    return _xml(root)


def _cell(data, ref: str):
    """The cell `ref` of sheetData, made (and its row) where the order wants it when it is not there."""
    row_number, column = _cell_ref(ref)
    row = None
    for candidate in data.findall(f"{_M}row"):
        r = candidate.get("r")
        if r is None or not r.isdigit():
            raise Unmarkable("a row without its number")
        if int(r) == row_number:
            row = candidate
            break
        if int(r) > row_number:
            row = etree.Element(f"{_M}row", r=str(row_number))
            candidate.addprevious(row)
            break
    if row is None:
        row = etree.SubElement(data, f"{_M}row", r=str(row_number))
    for cell in row.findall(f"{_M}c"):
        r = cell.get("r")
        if r is None:
            raise Unmarkable("a cell without its reference")
        at_column = _cell_ref(r)[1]
        if at_column == column:
            return cell
        if at_column > column:
            made = etree.Element(f"{_M}c", r=ref)
            cell.addprevious(made)
            return made
    return etree.SubElement(row, f"{_M}c", r=ref)


class _Fills:
    """New fills, and a copy of each cell style with one of them, made once per (style, colour)."""

    def __init__(self, styles):
        self.fills = styles.find(f"{_M}fills")
        self.xfs = styles.find(f"{_M}cellXfs")
        if self.fills is None or self.xfs is None or not len(self.xfs):
            raise Unmarkable("styles without fills or cell formats")
        self.fill_ids: dict[str, int] = {}
        self.style_ids: dict[tuple[int, str], int] = {}

    def style(self, index: int, colour: str) -> int:
        key = (index, colour)
        if key not in self.style_ids:
            xfs = self.xfs.findall(f"{_M}xf")
            base = xfs[index] if 0 <= index < len(xfs) else xfs[0]
            copy = etree.fromstring(etree.tostring(base))
            copy.set("fillId", str(self._fill(colour)))
            copy.set("applyFill", "1")
            self.xfs.append(copy)
            self.xfs.set("count", str(len(self.xfs.findall(f"{_M}xf"))))
            self.style_ids[key] = len(self.xfs.findall(f"{_M}xf")) - 1
        return self.style_ids[key]

    def _fill(self, colour: str) -> int:
        if colour not in self.fill_ids:
            fill = etree.SubElement(self.fills, f"{_M}fill")
            pattern = etree.SubElement(fill, f"{_M}patternFill", patternType="solid")
            etree.SubElement(pattern, f"{_M}fgColor", rgb=f"00{colour}")  # as openpyxl wrote it
            etree.SubElement(pattern, f"{_M}bgColor", indexed="64")
            self.fills.set("count", str(len(self.fills.findall(f"{_M}fill"))))
            self.fill_ids[colour] = len(self.fills.findall(f"{_M}fill")) - 1
        return self.fill_ids[colour]


def _comments_part(texts: dict[str, list[str]], author: str) -> bytes:
    items = "".join(f'<comment ref="{ref}" authorId="0"><text><r><t xml:space="preserve">'
                    f"{xml_text(chr(10).join(parts))}</t></r></text></comment>" for ref, parts in texts.items())
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<comments xmlns="{MAIN}"><authors><author>'
            f"{xml_text(author)}</author></authors><commentList>{items}</commentList></comments>").encode()


def _vml_part(refs: list[str], number: int) -> bytes:
    """The legacy drawing Excel shows comments with: one hidden note shape per commented cell (shape ids
    in a block of 1,024 of the drawing's own, as Excel numbers them)."""
    shapes = []
    for index, ref in enumerate(refs, start=1):
        row, column = _cell_ref(ref)
        shapes.append(
            f'<v:shape id="_x0000_s{1024 * number + index}" type="#_x0000_t202" style="position:absolute;'
            'margin-left:80pt;margin-top:2pt;width:240pt;height:90pt;z-index:1;visibility:hidden" fillcolor="#ffffe1" '
            'o:insetmode="auto"><v:fill color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/>'
            '<v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto"><div style="text-align:left">'
            '</div></v:textbox><x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
            f"<x:Anchor>{column}, 15, {row - 1}, 2, {column + 4}, 15, {row + 4}, 16</x:Anchor>"
            f"<x:AutoFill>False</x:AutoFill><x:Row>{row - 1}</x:Row><x:Column>{column - 1}</x:Column>"
            "</x:ClientData></v:shape>")
    return ('<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
            'xmlns:x="urn:schemas-microsoft-com:office:excel"><o:shapelayout v:ext="edit"><o:idmap v:ext="edit" '
            f'data="{number}"/></o:shapelayout><v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" '
            'path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/><v:path gradientshapeok="t" '
            'o:connecttype="rect"/></v:shapetype>' + "".join(shapes) + "</xml>").encode("utf-8")

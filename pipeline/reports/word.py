"""Word reports rendered with docxtpl from templates/: a template cleaned and compiled once
per process, and for a province's thousands of unit reports, opened once and only its body rendered
(written as jinja2 renders it when no report can need docxtpl's table fix). Every string of a context
is cleared of the characters XML forbids first.
"""

from __future__ import annotations

import functools
import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

import jinja2
from docx.opc.oxml import serialize_part_xml
from docx.oxml.ns import qn
from docx.shared import Emu, Mm
from docxtpl import DocxTemplate, InlineImage
from lxml import etree

from pipeline.core.atomic import write_bytes
from pipeline.core.locations import REPORT_TEMPLATES
from pipeline.core.office_package import docx_entries, saved_docx, stamped_package
from pipeline.reports.table_widths import fit_every_table

TEMPLATES_KEPT = 64  # cleaned and compiled Word template parts remembered per process


class _CompiledOnce(jinja2.Environment):
    """docxtpl compiles a template's XML on every render; the same XML is compiled once per process
    (a province renders a report per commune from one template)."""

    def __init__(self, **options):
        super().__init__(**options)
        self._from_source = functools.lru_cache(maxsize=TEMPLATES_KEPT)(super().from_string)

    def from_string(self, source, globals=None, template_class=None):
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        return self._from_source(source)


_CLEANER = DocxTemplate(io.BytesIO())  # patch_xml uses nothing of its instance


@functools.lru_cache(maxsize=TEMPLATES_KEPT)
def cleaned(src_xml: str) -> str:
    return DocxTemplate.patch_xml(_CLEANER, src_xml)


# Text with a tab, a line or page break: what docxtpl's resolve_listing turns into Word's own elements.
_LISTING = re.compile(r"<w:t(?: [^>]*)?>[^<]*[\t\a\n\f]")
_LISTING_CHAR = re.compile(r"[\t\a\n\f]")  # searched first: most reports have none at all


class Docx(DocxTemplate):
    """A Word template read from memory, its XML cleaned for jinja2 once per process."""

    def patch_xml(self, src_xml: str) -> str:
        return cleaned(src_xml)

    def resolve_listing(self, xml: str) -> str:
        # docxtpl rewrites every paragraph with regular expressions; most reports have nothing to change.
        return super().resolve_listing(xml) if _LISTING_CHAR.search(xml) and _LISTING.search(xml) else xml


class _BodyOnly(Docx):
    """A template opened once per process, for a province's thousands of unit reports: each report
    only renders the body into the package of the first. For a template whose jinja2 is all in its
    body, with no table whose columns are shared and no image: nothing else in the package depends
    on the report.

    When no report can need docxtpl's table fix (see tables_always_fit) nor have a drawing, the
    rendered body is written as jinja2 gives it: the same document, as XML, as docxtpl's would be,
    without parsing it and writing it out again. Every report of the template is written the same
    way, in any process: the first too."""

    def __init__(self, template: bytes):
        super().__init__(io.BytesIO(template))
        self.init_docx()
        self._template = template
        self._body_source = self.patch_xml(self.xml_to_string(self.docx.element.body))
        self.as_rendered = tables_always_fit(self.docx.element.body)
        self._body: jinja2.Template | None = None
        self._entries: list[tuple[str, bytes]] = []
        self._around = ("", "")  # the document part's text before and after its body

    def rendered(self, context: dict) -> list[tuple[str, bytes]]:
        """The package's entries for `context`, as `docx_entries` gives them."""
        if not self._entries:
            first = Docx(io.BytesIO(self._template))
            first.render(context, docx_environment())
            self._entries = docx_entries(first.docx)
            whole = dict(self._entries)[DOCUMENT_PART].decode("utf-8")
            self._around = (whole[:whole.index("<w:body")], whole[whole.rindex("</w:body>") + 9:])
        self.docx_ids_index = 1000  # as render_init sets it
        body = self._render_body(context)
        body = "<w:body>" + body[body.index(">") + 1:]  # its namespaces are declared by the document
        document = self._document(body)
        return [(name, document if name == DOCUMENT_PART else data) for name, data in self._entries]

    def _document(self, body: str) -> bytes:
        if self.as_rendered and "docPr" not in body:  # jinja2 escaped the text; _xml_safe cleared it
            return (self._around[0] + body + self._around[1]).encode("utf-8")
        head = self._around[0]
        xml = head[head.index("?>") + 2:] + body + self._around[1]
        tree = etree.fromstring(xml, parser=etree.XMLParser(recover=True))  # as fix_tables parses it
        if not grids_fit(tree):
            tree = self.fix_tables(xml)
        if "docPr" in body:  # fix_docpr_ids renumbers drawings; its XPath costs a report's tenth
            self.fix_docpr_ids(tree)
        return serialize_part_xml(tree)  # as python-docx writes a part

    def _render_body(self, context: dict) -> str:
        """docxtpl's render_xml_part for the body, with its first rewrite done once and its regular
        expressions replaced by plain replacements: the same text."""
        self.current_rendering_part = self.docx._part
        if self._body is None:
            self._body = docx_environment().from_string(re.sub(r"<w:p([ >])", r"\n<w:p\1", self._body_source))
        xml = self._body.render(context).replace("\n<w:p ", "<w:p ").replace("\n<w:p>", "<w:p>")
        xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
        return self.resolve_listing(xml)


DOCUMENT_PART = "word/document.xml"
WORD_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_SPANNED = etree.XPath("sum(w:tc/w:tcPr/w:gridSpan/@w:val) - count(w:tc/w:tcPr/w:gridSpan)", namespaces={"w": WORD_NS})


def grids_fit(tree) -> bool:
    """Whether docxtpl's fix_tables would leave every table as it is (checked in C, where it walks
    every cell in Python): no row has more cells than the table's grid has columns, and one row,
    its cells counted by their gridSpan, is as wide as the grid."""
    if tree.nsmap.get("w") != WORD_NS:
        return False
    for table in tree.iter(f"{{{WORD_NS}}}tbl"):
        columns = _grid_columns(table)
        if columns is None:
            return False
        widest = 0
        for row in table.iter(f"{{{WORD_NS}}}tr"):
            if len(row.findall(f"{{{WORD_NS}}}tc")) > columns:
                return False
            widest = max(widest, _width(row))
        if widest < columns:
            return False
    return True


def _grid_columns(table) -> int | None:
    grid = table.find(f"{{{WORD_NS}}}tblGrid")
    return None if grid is None else len(grid.findall(f"{{{WORD_NS}}}gridCol"))


def _width(row) -> int:
    """A row's cells counted by their gridSpan, as fix_tables counts them."""
    return len(row.findall(f"{{{WORD_NS}}}tc")) + int(_SPANNED(row))


# docxtpl's tags that change a table's columns, and those that open or close a block of rows.
_COLUMN_TAG = re.compile(r"\{[%{]-?\s*tc\s|colspan")
_ROWS_OPEN = re.compile(r"\{%-?\s*tr\s+(?:for|if)\b")
_ROWS_CLOSE = re.compile(r"\{%-?\s*tr\s+end(?:for|if)\b")
_ROW_TAG = re.compile(r"\{[%{#]-?\s*tr\s")


def tables_always_fit(body) -> bool:
    """Whether every rendering of a template body leaves its tables as docxtpl's fix_tables would:
    no tag changes a table's columns, no row is wider than its grid, and each table has a row as
    wide as its grid outside every block of rows that a loop or a condition may repeat or drop."""
    if _COLUMN_TAG.search("".join(body.itertext())):
        return False
    for table in body.iter(f"{{{WORD_NS}}}tbl"):
        columns, depth, fixed = _grid_columns(table), 0, False
        if columns is None:
            return False
        for row in table.iter(f"{{{WORD_NS}}}tr"):  # as fix_tables counts them: a nested table's too
            text = "".join(row.itertext())
            if _ROW_TAG.search(text):  # a row that only holds a tag: docxtpl removes it
                depth += len(_ROWS_OPEN.findall(text)) - len(_ROWS_CLOSE.findall(text))
                continue
            width = _width(row)
            if width > columns:
                return False
            fixed = fixed or (depth == 0 and width == columns)
        if not fixed:
            return False
    return True


@functools.cache
def body_only(template: str) -> _BodyOnly | None:
    """The template opened once, when it suits _BodyOnly."""
    with zipfile.ZipFile(io.BytesIO(_template_bytes(template))) as package:
        body = package.read(DOCUMENT_PART)
        others = [package.read(n) for n in package.namelist() if n != DOCUMENT_PART]
    if any(b"{{" in part or b"{%" in part for part in others) or SHARED_COLUMNS.encode() in body \
            or b"<w:body>" not in body:
        return None
    return _BodyOnly(_template_bytes(template))


@functools.cache
def _template_bytes(template: str) -> bytes:
    return prepared_template((REPORT_TEMPLATES / template).read_bytes())


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def tables_that_print(document_xml: bytes) -> bytes:
    """Every table's columns wide enough for its headings' words (table_widths.py), and every table
    that repeats a row ({%tr for …%}): its heading row repeated on each page it runs to (w:tblHeader),
    and no row split across two pages (w:cantSplit). A 62-row table ran three pages with no heading,
    its rows broken between pages."""
    root = etree.fromstring(document_xml)
    fit_every_table(root)
    for table in root.iter(f"{_W}tbl"):
        _keep_with_table(table.getprevious())
    for table in root.iter(f"{_W}tbl"):
        rows = table.findall(f"{_W}tr")
        if not any("{%tr for" in "".join(row.itertext()) for row in rows):
            continue
        for index, row in enumerate(rows):
            properties = row.find(f"{_W}trPr")
            if properties is None:
                properties = etree.Element(f"{_W}trPr")
                row.insert(1 if row.find(f"{_W}tblPrEx") is not None else 0, properties)
            wanted = ("cantSplit", "tblHeader") if index == 0 else ("cantSplit",)
            for name in wanted:  # schema order within trPr: cantSplit before tblHeader
                if properties.find(f"{_W}{name}") is None:
                    properties.append(etree.Element(f"{_W}{name}"))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _keep_with_table(paragraph) -> None:
    """A table's caption (the paragraph just above it) stays on the page of the table's first row: a
    «Bảng 1» caption printed alone at the foot of a page."""
    if paragraph is None or paragraph.tag != f"{_W}p":
        return
    properties = paragraph.find(f"{_W}pPr")
    if properties is None:
        properties = etree.Element(f"{_W}pPr")
        paragraph.insert(0, properties)
    if properties.find(f"{_W}keepNext") is None:
        at = 1 if properties.find(f"{_W}pStyle") is not None else 0  # schema order: pStyle, keepNext, …
        properties.insert(at, etree.Element(f"{_W}keepNext"))


# w:lang and w:themeFontLang's main language (w:val): Word spell-checks a run in the language it is tagged
# with, and the templates, made with an English Word, underlined every Vietnamese word.
_LANGUAGE = re.compile(rb'(<w:(?:lang|themeFontLang)\b[^>]*?\bw:val=")[^"]*(")')
_PARTS_WITH_LANGUAGE = ("word/styles.xml", "word/settings.xml", "word/document.xml")


def prepared_template(docx: bytes) -> bytes:
    """The template with its text tagged vi-VN and its repeated tables made to print (the officer may
    edit the templates in any Word)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename in _PARTS_WITH_LANGUAGE:
                data = _LANGUAGE.sub(rb"\1vi-VN\2", data)
            if info.filename == "word/document.xml":
                data = tables_that_print(data)
            target.writestr(info, data)
    return out.getvalue()


@functools.cache
def docx_environment() -> jinja2.Environment:
    return _CompiledOnce(autoescape=True, undefined=jinja2.StrictUndefined)


# Characters a cell's text may hold and XML may not (searched in each string of a context: short ones).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_safe(value):
    """`value` with every string in it cleared of the characters XML forbids. Left in, lxml's
    recovering parser drops them and garbles what follows (a district's "<" or "&" vanishes)."""
    if isinstance(value, str):
        return value.__class__(_NOT_XML.sub("", value)) if _NOT_XML.search(value) else value
    if isinstance(value, dict):
        return {key: _xml_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_xml_safe(item) for item in value]
    return value


def render_docx(
    template: str, context: dict, target: Path, moment: datetime, chart: Path | None = None, *, flush: bool = True
) -> Path:
    """`flush=False`: the caller makes the file durable (atomic.sync) before it counts it as written."""
    context = _xml_safe(context)
    reused = body_only(template) if chart is None else None
    if reused is not None:
        write_bytes(target, stamped_package(reused.rendered(context | {"chart": ""}), moment), flush=flush)
        return target
    document = Docx(io.BytesIO(_template_bytes(template)))
    image = InlineImage(document, str(chart), width=Mm(160)) if chart is not None else ""
    document.render(context | {"chart": image}, docx_environment())
    _share_columns(document)
    write_bytes(target, saved_docx(document.docx, moment), flush=flush)
    return target


SHARED_COLUMNS = "p8-share-columns"
FIXED_COLUMNS = 3


def _share_columns(document: DocxTemplate) -> None:
    """A table whose columns were repeated per indicator ({%tc for %}, marked by its caption) gets
    its first columns as designed and the rest of its width shared equally, however many there are."""
    for table in document.tables:
        caption = table._tbl.tblPr.find(qn("w:tblCaption"))
        if caption is None or caption.get(qn("w:val")) != SHARED_COLUMNS:
            continue
        widths = [cell.width or 0 for cell in table.rows[0].cells]
        section = document.sections[-1]
        usable = section.page_width - section.left_margin - section.right_margin
        fixed = widths[:FIXED_COLUMNS]
        share = int((usable - sum(fixed)) / max(1, len(widths) - FIXED_COLUMNS))
        sizes = [*fixed, *[share] * (len(widths) - FIXED_COLUMNS)]
        for grid, size in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), sizes, strict=False):
            grid.set(qn("w:w"), str(Emu(size).twips))
        for row in table.rows:
            for cell, size in zip(row.cells, sizes, strict=False):
                cell.width = size

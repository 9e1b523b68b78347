"""The provincial workbook's shared parts: the `Book` every sheet module writes into (plan, round,
styles, where «Tổng hợp» put each unit and indicator), the styles, and the helpers every sheet uses
for titles, headers, values and printing. Each sheet is a module of its own in this package."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from pipeline.core.vietnamese import STATUS_WORDS
from pipeline.figures.consolidate import Consolidation, share
from pipeline.ledger.schema import Submission
from pipeline.plan import areas
from pipeline.plan.activities import NO, YES
from pipeline.plan.areas import Area
from pipeline.plan.model import Plan, Unit

BASIS_LABELS = {"final": "Chính thức", "estimate": "Ước tính", None: "Chưa báo cáo"}
STATUS_LABELS = STATUS_WORDS
# Progress against the phase target: below 50%, 50-99%, at least 100%.
PROGRESS_BANDS: tuple[dict, ...] = (
    {"type": "cell", "criteria": "<", "value": 0.5, "style": "band_low"},
    {"type": "cell", "criteria": "between", "minimum": 0.5, "maximum": 0.99999, "style": "band_mid"},
    {"type": "cell", "criteria": ">=", "value": 1, "style": "band_high"},
)
SUMMARY = "Tổng hợp"
SUBMISSION_COLUMNS = ["Mã", "Đơn vị", "Tệp", "Mã sổ ghi"]
LINE_WIDTHS = (6, 18, 30)  # the code, unit and file columns of the budget and ratio sheets


def inputs_digest(plan: Plan, result: Consolidation, records: list[Submission] | None = None) -> str:
    """One hash of everything the workbook rests on: the plan, and every file with its status (an
    area's workbook: its units' files)."""
    records = result.records if records is None else records
    text = "\n".join([plan.id, result.round.id, *(f"{r.id}:{r.sha256}:{r.status}" for r in records)])
    return hashlib.sha256(text.encode()).hexdigest()


def generated_at(result: Consolidation, records: list[Submission] | None = None) -> datetime:
    """Taken from the inputs, not the clock, so the same ledger gives the same bytes."""
    records = result.records if records is None else records
    stamps = [datetime.fromisoformat(r.received_at).replace(tzinfo=None) for r in records]
    return max(stamps) if stamps else datetime(result.round.year, 1, 1)


def cell(row: int, col: int) -> str:
    return xl_rowcol_to_cell(row, col)


@dataclass(frozen=True)
class Line:
    """A row of a table of units: one unit, or in a summary split by area an area's units together."""

    key: str  # the unit's code, or the area's slug
    number: str  # the «TT» column
    name: str
    units: tuple[Unit, ...]  # every unit the line covers
    part: str = ""  # an area's line: its detail workbook


class Book:
    """What every sheet of one provincial workbook shares. A plan whose units name areas gets a summary
    workbook (`area` None: a line per area, and the detail of the units in no area, the province level)
    and a part per area (`area`: its units' lines and detail)."""

    def __init__(self, plan: Plan, result: Consolidation, wb: xlsxwriter.Workbook, area: Area | None = None,
                 parts: dict[str, str] | None = None):
        self.plan, self.result, self.area = plan, result, area
        self.styles = make_styles(wb)
        self.split = bool(areas.for_round(plan, result.round))
        if area is not None:
            self.members = area.units
        elif self.split:
            self.members = tuple(u for u in plan.units if areas.area_of(plan, u.code) is None)
        else:
            self.members = plan.units
        mine = {u.code for u in self.members}
        # each figure once: the units that succeed none, from the day they exist
        self.units = [u for u in plan.lines_for(result.round) if area is None or u.code in mine]
        outside = set(plan.outside_allocation)
        # units with no target that continue no allocated unit: a line of their own (section III)
        self.outside = [u for u in self.units if u in outside and (area is not None or not self.split)]
        # the units this round collects from whose detail this workbook holds
        self.reporting = [u for u in plan.units_for(result.round) if u.code in mine]
        self.districts = [u for u in plan.allocated if area is None or u.code in mine]
        self.lines = self._lines(parts or {})
        self.summary_rows: dict[str, int] = {}  # line key or "total" -> row on Tổng hợp
        self.summary_cols: dict[str, int] = {}  # indicator -> its target column on Tổng hợp

    def _lines(self, parts: dict[str, str]) -> list[Line]:
        """The rows of «Tổng hợp» under the province level: the districts, or in a summary the areas."""
        if not self.split or self.area is not None:
            return [unit_line(u) for u in self.districts + self.outside]
        return [Line(a.slug, str(n), a.name, a.units, parts[a.slug]) for n, a in enumerate(areas.of(self.plan), 1)]

    def reporting_lines(self) -> list[Line]:
        """The rows of a table of what units sent: each unit, or in a summary the units in no area and
        then each area."""
        own = [unit_line(u) for u in self.reporting]
        return own + self.lines if self.split and self.area is None else own

    def reporting_in(self, line: Line) -> list[Unit]:
        return [u for u in line.units if u.valid_on(self.result.round.district_deadline)]

    def records(self, *, this_round: bool, every_area: bool = False) -> list[Submission]:
        """The files this workbook answers for: a part's, its units'; a summary's, those of no area (the
        province level's, the files of no unit) or with `every_area` all of them."""
        found = self.result.round_records if this_round else self.result.records
        if self.area is not None:
            mine = {u.code for u in self.area.units}
            return [r for r in found if r.unit in mine]
        if not self.split or every_area:
            return found
        return [r for r in found if areas.area_of(self.plan, r.unit or "") is None]

    # -- helpers ---------------------------------------------------------------------------------

    def title(self, ws, text: str, note: str = "", *, across: tuple[float, ...] = ()) -> None:
        """Title and note in rows 1-2. `across`: the widths of the columns they are merged and wrapped
        over, each row made as tall as its text needs."""
        if not across:
            ws.write_string(0, 0, text, self.styles["title"])
            if note:
                ws.write_string(1, 0, note, self.styles["italic"])
            return
        ws.merge_range(0, 0, 0, len(across) - 1, text, self.styles["title_block"])
        ws.set_row(0, _title_height(text, sum(across)) + 2)
        if note:
            ws.merge_range(1, 0, 1, len(across) - 1, note, self.styles["italic_block"])
            ws.set_row(1, fitted_height([(note, sum(across))]))

    def block_heading(self, ws, rows: int, title: str, note: str, fixed: tuple[float, ...], first: int,
                      page_columns: int, last: int, width: float) -> None:
        """The heading of a sheet printed in blocks, over its first `rows` rows: the title in the `fixed`
        columns (their widths) repeated on every page, the note over each page's own columns (from
        `first`, `page_columns` to a page, through `last`, each `width` wide), so that every printed
        page carries both whole instead of a title cut at the repeated columns."""
        ws.merge_range(0, 0, rows - 1, len(fixed) - 1, title, self.styles["title_block"])
        for start in range(first, last + 1, page_columns):
            end = min(start + page_columns - 1, last)
            if end > start or rows > 1:
                ws.merge_range(0, start, rows - 1, end, note, self.styles["italic_block"])
            else:
                ws.write_string(0, start, note, self.styles["italic_block"])
        title_height = _title_height(title, sum(fixed))
        narrowest = min(min(page_columns, last - start + 1) for start in range(first, last + 1, page_columns))
        note_height = fitted_height([(note, narrowest * width)])
        for row in range(rows):
            ws.set_row(row, max(title_height, note_height) / rows + 2)

    def headers(self, ws, row: int, headers: list[str], widths: list[int] | None = None) -> None:
        for col, label in enumerate(headers):
            ws.write_string(row, col, label, self.styles["header"])
            ws.set_column(col, col, (widths or [])[col] if widths and col < len(widths) else 14)
        ws.set_row(row, 32)

    def grouped_header(self, ws, fixed: list[str], groups: list[tuple[str, list[str]]], heights=(45, 45),
                       top: int = 3) -> int:
        """Two header rows from `top`: fixed columns merged over both rows, then each group's title
        over its columns. Returns the first column after the fixed ones."""
        sub = top + 1
        for col, label in enumerate(fixed):
            ws.merge_range(top, col, sub, col, label, self.styles["header"])
        col = len(fixed)
        for title, labels in groups:
            if len(labels) > 1:
                ws.merge_range(top, col, top, col + len(labels) - 1, title, self.styles["header"])
            else:
                ws.write_string(top, col, title, self.styles["header"])
            for offset, label in enumerate(labels):
                ws.write_string(sub, col + offset, label, self.styles["header"])
            col += len(labels)
        ws.set_row(top, heights[0])
        ws.set_row(sub, heights[1])
        return len(fixed)

    def put(self, ws, row: int, col: int, value, style: str = "text") -> None:
        """Numbers as numbers; everything else as text (never as a formula)."""
        ws.put(row, col, shown(value), self.styles[style])

    def put_row(self, ws, row: int, values: list, styles: list[str], col: int = 0) -> None:
        """put() of values side by side from (row, col), each in its style."""
        ws.put_row(row, col, [shown(v) for v in values], [self.styles[style] for style in styles])

    def table_end(self, ws, header_row: int, last_row: int, columns: int, *, fit_width: bool = True) -> None:
        ws.autofilter(header_row, 0, max(header_row + 1, last_row), columns - 1)
        ws.freeze_panes(header_row + 1, 2)
        self.page(ws, header_row, fit_width=fit_width)

    def page(self, ws, header_row: int | None, *, fit_width: bool = True) -> None:
        ws.set_landscape()
        ws.set_paper(9)
        ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
        if fit_width:
            ws.fit_to_pages(1, 0)
        if header_row is not None:
            ws.repeat_rows(header_row)
        ws.set_footer(f"&L{self.result.round.id} – &A&CTrang &P/&N")

    def print_in_blocks(self, ws, header: tuple[int, int], fixed: int, first: int, width: int, count: int,
                        per_page: int, scale: int) -> None:
        """A wide sheet on A4 pages: `count` blocks of `width` columns from `first`, `per_page` blocks
        to a page at `scale`%, the `fixed` columns at the left and the header rows on every page."""
        self.page(ws, header[1], fit_width=False)
        ws.repeat_rows(*header)
        ws.repeat_columns(0, fixed - 1)
        ws.set_print_scale(scale)
        ws.set_v_pagebreaks([first + width * per_page * page for page in range(1, -(-count // per_page))])

    def basis(self, unit: str) -> str:
        bases = {p.basis for p in self.result.progress[unit].values() if p.basis}
        if not bases:
            return BASIS_LABELS[None]
        return BASIS_LABELS["estimate" if "estimate" in bases else "final"]

    def detail(self, note: str) -> str:
        """A detail sheet's note; in a summary split by area, it says where the areas' units are."""
        if not self.split or self.area is not None:
            return note
        where = ("Trang này có các đơn vị không thuộc khu vực nào (cấp tỉnh); đơn vị của mỗi khu vực ở tệp chi "
                 "tiết của khu vực đó (trang «Các phần»).")
        return f"{note} {where}".strip()

    @property
    def total_label(self) -> str:
        return "Toàn tỉnh" if self.area is None else f"Cộng {self.area.name}"

    def line_columns(self, ws, row: int, line: Line) -> None:
        """A unit's file, or an area's detail workbook and how many of its units reported."""
        if not line.part:
            self.submission_columns(ws, row, line.units[0])
            return
        reporting = self.reporting_in(line)
        ws.write_string(row, 0, line.number, self.styles["text"])
        ws.write_string(row, 1, line.name, self.styles["text"])
        reported = sum(u.code in self.result.reported for u in reporting)
        self.put(ws, row, 2, f"{line.part} ({reported}/{len(reporting)} đơn vị đã báo cáo)")
        self.put(ws, row, 3, None, "number")

    def submission_columns(self, ws, row: int, unit: Unit, widths: tuple[float, ...] = LINE_WIDTHS) -> None:
        record = self.result.reported.get(unit.code)
        ws.write_string(row, 0, unit.code, self.styles["text"])
        ws.write_string(row, 1, unit.name, self.styles["wrap"])
        self.put(ws, row, 2, record.shown_name if record else "Chưa báo cáo", "wrap")
        self.put(ws, row, 3, record.id if record else None, "plain")
        ws.set_row(row, fitted_height([(unit.name, widths[1]), (record.shown_name if record else "", widths[2])]))

    def ratio_cells(self, ws, row: int, col: int, numerator, denominator, *, bold: bool) -> None:
        self.put(ws, row, col, numerator, "number")
        self.put(ws, row, col + 1, denominator, "number")
        self.rate(ws, row, col + 2, col, col + 1, share(numerator, denominator))

    def rate(self, ws, row: int, col: int, part_col: int, whole_col: int, cached: float | None) -> None:
        part, whole = cell(row, part_col), cell(row, whole_col)
        ws.write_formula(
            row,
            col,
            f'=IF(AND(N({whole})>0,ISNUMBER({part})),{part}/{whole},"")',  # no figure: no rate, not 0%
            self.styles["percent"],
            cached if cached is not None else "",
        )


def shown(value):
    """A yes or no in words (the template's list); anything else as it is."""
    return (YES if value else NO) if isinstance(value, bool) else value


LINE_POINTS = 15.0  # a line of the workbook's 11-point Times New Roman
TITLE_LINE, TITLE_SCALE = 19.0, 0.72  # a line of its 14-point bold titles, and how much of a width it fills
CHARS_PER_WIDTH = 1.15  # characters of that font per unit of column width, about


def fitted_height(texts: Iterable[tuple[str, float]]) -> float:
    """The height of a row whose wrapped cells hold these (text, column width): Excel and LibreOffice
    do not fit a row to wrapped text when they open a file, and print what overflows over the next rows
    (or not at all)."""
    lines = 1
    for text, width in texts:
        per_line = max(1.0, width * CHARS_PER_WIDTH)
        text = str(text)
        if len(text) > per_line or "\n" in text:  # else one line (most cells of a long sheet)
            lines = max(lines, sum(max(1, math.ceil(len(part) / per_line)) for part in text.split("\n")))
    return LINE_POINTS * lines


def _title_height(text: str, width: float) -> float:
    """The height of a 14-point bold title wrapped over columns `width` wide."""
    return fitted_height([(text, width * TITLE_SCALE)]) * TITLE_LINE / LINE_POINTS


def sum_or_blank(cells: str) -> str:
    """A total that stays empty while none of its cells has a figure (a SUM of blanks shows 0)."""
    return f'=IF(COUNT({cells})=0,"",SUM({cells}))'


def allocated(units: Iterable[Unit]) -> list[Unit]:
    """The units whose lines a table sums: those that succeed none (the province level, the districts,
    units outside the allocation); a successor's figures are already in its former unit's line."""
    return [u for u in units if not u.former]


def unit_line(unit: Unit) -> Line:
    return Line(unit.code, unit.appendix_no, unit.name, (unit,))


def make_styles(wb) -> dict:
    border = {"border": 1, "valign": "vcenter"}
    styles = {
        "title": wb.add_format({"bold": True, "font_size": 14}),
        "title_block": wb.add_format({"bold": True, "font_size": 14, "text_wrap": True, "valign": "top"}),
        "italic_block": wb.add_format({"italic": True, "text_wrap": True, "valign": "top"}),
        "italic": wb.add_format({"italic": True}),
        "bold": wb.add_format({"bold": True}),
        "header": wb.add_format(
            {**border, "bold": True, "text_wrap": True, "align": "center", "bg_color": "#D9E1F2"}
        ),
        "group": wb.add_format({**border, "bold": True, "bg_color": "#EDEDED", "text_wrap": True}),
        "text": wb.add_format({**border}),
        "wrap": wb.add_format({**border, "text_wrap": True, "valign": "top"}),
        "bold_text": wb.add_format({**border, "bold": True}),
        "bold_wrap": wb.add_format({**border, "bold": True, "text_wrap": True}),
        "number": wb.add_format({**border, "num_format": "#,##0"}),
        # a year or a ledger id: a number without a thousands separator ("2024", not "2,024")
        "plain": wb.add_format({**border, "num_format": "0"}),
        "bold_number": wb.add_format({**border, "bold": True, "num_format": "#,##0"}),
        "estimate_number": wb.add_format({**border, "italic": True, "num_format": "#,##0"}),
        "bold_estimate_number": wb.add_format({**border, "bold": True, "italic": True, "num_format": "#,##0"}),
        "money": wb.add_format({**border, "num_format": "#,##0.00"}),
        "money_total": wb.add_format({**border, "bold": True, "num_format": "#,##0.00"}),
        "percent": wb.add_format({**border, "num_format": "0.0%"}),
    }
    for band, colour in (("band_low", "#F8CBAD"), ("band_mid", "#FFE699"), ("band_high", "#C6EFCE")):
        styles[band] = wb.add_format({"bg_color": colour})
        styles[f"{band}_cell"] = wb.add_format({**border, "bg_color": colour, "align": "center", "text_wrap": True})
    styles["on_track"] = wb.add_format({**border, "bg_color": "#DDEBF7", "align": "center", "text_wrap": True})
    return styles

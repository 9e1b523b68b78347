"""The cells of a template being laid out: the sheets' names, the styles, and `Cells`, whose helpers
every sheet module writes with. Each helper records what it writes: a locked cell goes into the locked
content (and so into the fingerprint that ingest checks), an input cell gets its defined name."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date, datetime

from pipeline.core.config import Contact
from pipeline.core.vietnamese import round_title
from pipeline.core.xlsx import cell_name
from pipeline.plan import activities, form
from pipeline.plan.model import Plan, Round, Unit
from pipeline.validation.book import RuleBook

SHEET_GUIDE = "Hướng dẫn"
SHEET_INDICATORS = "Chỉ tiêu"
SHEET_RATIOS = "Tỷ lệ"
SHEET_BUDGET = "Kinh phí"
SHEET_NARRATIVE = "Thuyết minh"
SHEET_ACTIVITIES = "Hoạt động"
SHEET_QUESTIONS = "Câu hỏi"
SHEET_CHECKS = "Kiểm tra"
SHEET_META = "p8_meta"

INPUT_FILL = "#FFF2CC"
LOCKED_FILL = "#E7E6E6"
# Fixed document time, so the same round written twice gives the same bytes.
DOCUMENT_TIME = datetime(2022, 11, 29)


def row_height(text: str, width: float) -> float:
    """Height in points for wrapped text in a column of `width` characters (12 pt Times)."""
    lines = sum(max(1, -(-len(part) // max(1, int(width * 1.05)))) for part in text.split("\n"))
    return 16.0 * lines + 2


def indicator_sheet_titles(rnd: Round, unit: Unit) -> tuple[str, str]:
    """The two title lines of the indicator sheet, by which a copied-out table is still recognised."""
    return (f"BIỂU KẾT QUẢ THỰC HIỆN CHỈ TIÊU DỰ ÁN 8 – {round_title(rnd).upper()}",
            f"Đơn vị báo cáo: {unit.name}")


class Cells:
    """A template being laid out: its plan, round and unit, the cell helpers every sheet writes with, and
    what they record beside the workbook (defined names, locked content)."""

    def __init__(self, plan: Plan, rnd: Round, unit: Unit, carried: Mapping[str, int], contact: Contact,
                 rules: RuleBook, formers: Mapping[str, Mapping[str, int]] | None = None, key: bytes | None = None):
        self.plan, self.rnd, self.unit, self.carried, self.contact = plan, rnd, unit, carried, contact
        self.key = key  # the installation's template key (core/signing.py); None for samples
        self.rules = rules
        self.formers = formers or {}  # former unit -> indicator -> its line's cumulative (context only)
        self.fields = {f.name: f for f in form.input_fields(plan, rnd)}
        self.locked_log: list = []
        self.names: dict[str, tuple[str, str]] = {}
        self.cached: dict[str, object] = {}  # a named locked cell's value as written (for the check sheet)
        self.check_formats: dict[str, object] = {}
        self.styles: dict = {}  # set when the workbook is opened
        self.local_names: dict[str, dict[str, str]] = {}  # sheet -> its names' cells (sheets/checks.py)

    # -- cells ----------------------------------------------------------------------------------

    def fixed(self, ws, row: int, col: int, value, fmt=None, *, carried: bool = False) -> None:
        """A locked cell; `carried` marks a figure taken from the ledger (it may change between two
        generations of the same template, so it stays out of the fingerprint)."""
        ws.write(row, col, value, fmt)
        if not carried:
            self._log(ws, row, col, value)

    def formula(self, ws, row: int, col: int, formula: str, fmt, cached: float | str = 0,
                name: str = "") -> None:
        """A locked formula; `name` gives it a defined name (form.output_name) for auditors and tests."""
        ws.write_formula(row, col, formula, fmt, cached)
        self._log(ws, row, col, formula)
        if name:
            self.names[name] = (ws.name, cell_name(row, col))
            self.cached[name] = cached

    def merged(self, ws, row: int, first_col: int, last_col: int, value, fmt, last_row: int | None = None):
        ws.merge_range(row, first_col, last_row if last_row is not None else row, last_col, value, fmt)
        self._log(ws, row, first_col, value)

    def _log(self, ws, row: int, col: int, value) -> None:
        if value not in (None, ""):
            self.locked_log.append([ws.name, cell_name(row, col), value])

    def input(self, ws, row: int, col: int, name: str, last_col: int | None = None,
              last_row: int | None = None) -> None:
        fld = self.fields[name]
        style = {"count": "input", "money": "input_money", "date": "input_date"}.get(fld.kind, "input_text")
        if last_col is not None or last_row is not None:
            ws.merge_range(row, col, last_row if last_row is not None else row,
                           last_col if last_col is not None else col, None, self.styles[style])
        else:
            ws.write_blank(row, col, None, self.styles[style])
        ws.data_validation(row, col, row, col, validation(fld, self.rnd))
        self.names[name] = (ws.name, cell_name(row, col))

    def head(self, ws, title: str, subtitle: str, headers: list[str], widths: list[int], height: int) -> int:
        """Title, subtitle and the header row of a table sheet; returns the header row."""
        self.merged(ws, 0, 0, len(headers) - 1, title, self.styles["title"])
        self.merged(ws, 1, 0, len(headers) - 1, subtitle, self.styles["subtitle"])
        header_row = 3
        for col, text in enumerate(headers):
            self.fixed(ws, header_row, col, text, self.styles["header"])
            ws.set_column(col, col, widths[col])
        ws.set_row(header_row, height)
        return header_row

    def page(self, ws, header_row: int, columns: int) -> None:
        ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.5, right=0.4, top=0.6, bottom=0.7)
        ws.set_footer(f"&L{self.unit.name} – {round_title(self.rnd)}&CTrang &P/&N")
        if header_row:
            ws.repeat_rows(0, header_row)
            ws.freeze_panes(header_row + 1, 0)

    def identity_cells(self) -> list:
        """The locked content that makes this template this unit's and this round's: every locked
        cell except the instructions sheet (its contact and wording may be edited between two
        generations), the check sheet (derived from the rules and the carried figures, and only a
        hint: ingest checks every rule itself) and carried figures."""
        return [entry for entry in self.locked_log if entry[0] not in (SHEET_GUIDE, SHEET_CHECKS)]

    def fingerprint(self) -> str:
        text = json.dumps(self.identity_cells(), ensure_ascii=False, sort_keys=True, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def validation(fld: form.Field, rnd: Round) -> dict:
    """Excel data validation for one input, with a Vietnamese hint and error message."""
    if fld.kind == "count":
        rule = {"validate": "integer", "criteria": ">=", "value": 0,
                "input_title": "Nhập số nguyên ≥ 0",
                "error_message": "Chỉ nhập số nguyên không âm (0, 1, 2, …)."}
    elif fld.kind == "money":
        rule = {"validate": "decimal", "criteria": ">=", "value": 0,
                "input_title": "Nhập số tiền ≥ 0",
                "error_message": "Chỉ nhập số không âm (đơn vị: triệu đồng)."}
    elif fld.kind == "yesno":
        rule = {"validate": "list", "source": [activities.YES, activities.NO],
                "input_title": "Chọn Có hoặc Không", "error_message": "Chỉ chọn Có hoặc Không trong danh sách."}
    elif fld.kind == "date":
        rule = {"validate": "date", "criteria": "between",
                "minimum": date(rnd.year, 1, 1), "maximum": date(rnd.year + 1, 12, 31),
                "input_title": "Nhập ngày (ngày/tháng/năm)",
                "error_message": f"Nhập một ngày trong năm {rnd.year} hoặc {rnd.year + 1}, "
                                 "dạng ngày/tháng/năm."}
    else:
        rule = {"validate": "length", "criteria": "<=", "value": fld.max_length,
                "input_title": "Nhập nội dung",
                "error_message": f"Nội dung tối đa {fld.max_length} ký tự."}
    return {**rule, "input_message": fld.label[:250], "error_title": "Giá trị không hợp lệ"}


def styles(wb) -> dict:
    border = {"border": 1, "valign": "vcenter", "text_wrap": True}
    unlocked = {**border, "locked": False, "bg_color": INPUT_FILL}
    return {
        "title": wb.add_format({"bold": True, "font_size": 14, "align": "center"}),
        "title_left": wb.add_format({"bold": True, "font_size": 14}),
        "subtitle": wb.add_format({"italic": True, "align": "center"}),
        "bold": wb.add_format({"bold": True}),
        "deadline": wb.add_format({"bold": True, "font_color": "#C00000"}),
        "wrap": wb.add_format({"text_wrap": True, "valign": "top"}),
        "header": wb.add_format({**border, "bold": True, "align": "center", "bg_color": LOCKED_FILL}),
        "group": wb.add_format({**border, "bold": True, "bg_color": "#D9E1F2"}),
        "cell": wb.add_format({**border}),
        "bold_cell": wb.add_format({**border, "bold": True}),
        "center": wb.add_format({**border, "align": "center"}),
        "number": wb.add_format({**border, "num_format": "#,##0", "bg_color": LOCKED_FILL}),
        "money_total": wb.add_format({**border, "bold": True, "num_format": "#,##0.00",
                                      "bg_color": LOCKED_FILL}),
        "percent": wb.add_format({**border, "num_format": "0.0%", "bg_color": LOCKED_FILL}),
        "input": wb.add_format({**unlocked, "num_format": "#,##0"}),
        "input_money": wb.add_format({**unlocked, "num_format": "#,##0.00"}),
        "input_date": wb.add_format({**unlocked, "num_format": "dd/mm/yyyy", "align": "left"}),
        "input_text": wb.add_format({**unlocked, "valign": "top"}),
        "legend_input": wb.add_format({"border": 1, "bg_color": INPUT_FILL}),
        "status": wb.add_format({"bold": True, "font_size": 13, "font_color": "#1F3864"}),
        "legend_locked": wb.add_format({"border": 1, "bg_color": LOCKED_FILL}),
    }

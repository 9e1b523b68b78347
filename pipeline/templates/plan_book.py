"""The plan as a workbook the provincial officer edits (`plan --workbook`): one sheet per table of the
plan folder (plan/book_layout.py), headings locked, input cells yellow with data validation, every
target cell named `plan_target_<unit>_<indicator>`, and spare rows and columns for what she adds.
`plan --from-workbook` reads it back (plan/book_check.py)."""

from __future__ import annotations

import io
from datetime import date

from xlsxwriter.utility import xl_col_to_name

from pipeline.core import xlsx
from pipeline.plan import book_layout as L
from pipeline.plan.model import Plan, Unit
from pipeline.templates.cells import DOCUMENT_TIME, INPUT_FILL, LOCKED_FILL
from pipeline.templates.plan_book_guide import write_guide

FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
# Empty input rows and columns printed below and beside the data: room to write by hand, not pages of it.
PRINTED_SPARE, PRINTED_SPARE_COLS = 3, 1


def plan_workbook(plan: Plan, *, blank_targets: bool = False) -> bytes:
    """The workbook's bytes; `blank_targets`: the target cells are left empty for the officer (a new
    phase), the totals too."""
    target = io.BytesIO()
    wb = xlsx.Workbook(target, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                "strings_to_numbers": False,
                                "default_format_properties": {"font_name": "Times New Roman", "font_size": 12}})
    wb.set_properties({"title": f"Kế hoạch – {plan.short_title or plan.title}", "author": plan.reporting_body,
                       "company": plan.reporting_body, "created": DOCUMENT_TIME})
    book = _Book(wb, plan)
    sheets = {name: wb.add_worksheet(name) for name in L.SHEETS}
    write_guide(book, sheets[L.SHEET_GUIDE])
    book.identity(sheets[L.SHEET_IDENTITY])
    for table, rows in _table_rows(plan):
        book.table(sheets[table.sheet], table, rows)
    book.targets(sheets[L.SHEET_TARGETS], blank_targets)
    for ws in sheets.values():
        ws.protect("", {"format_columns": True, "format_rows": True, "insert_rows": True, "delete_rows": True})
    sheets[L.SHEET_GUIDE].activate()
    wb.close()
    return target.getvalue()


def _table_rows(plan: Plan) -> list[tuple[L.Table, list[dict[str, object]]]]:
    """Each table's rows as the folder's columns hold them (dates as dates, numbers as numbers)."""
    return [
        (L.UNITS, [_unit_row(u) for u in plan.units]),
        (L.GROUPS, [{"code": code, "title": title} for code, title in plan.groups.items()]),
        (L.INDICATORS, [{"code": i.code, "no": i.no, "group": i.group, "kind": i.kind, "unit": i.unit,
                        "window": i.window, "name": i.name, "short_name": i.short_name} for i in plan.indicators]),
        (L.RATIOS, [{"code": r.code, "group": r.group, "target_percent": r.target_percent, "name": r.name,
                    "numerator": r.numerator, "denominator": r.denominator} for r in plan.ratios]),
        (L.BUDGET, [{"code": b.code, "name": b.name} for b in plan.budget_sources]),
        (L.ROUNDS, [{"id": r.id, "year": r.year, "kind": r.kind, "opens": r.opens,
                    "district_deadline": r.district_deadline, "province_deadline": r.province_deadline}
                   for r in plan.rounds]),
        (L.FORMED, [{"code": f.code, "former_code": f.former_code, "former_name": f.former_name,
                    "former_district_code": f.former_district_code, "former_district_name": f.former_district_name,
                    "change": f.change} for f in plan.formed_from]),
    ]


def _unit_row(unit: Unit) -> dict[str, object]:
    single = len(unit.attribution) == 1 and unit.attribution[0][1] == 100
    return {
        "code": unit.code, "level": unit.level, "kind": unit.kind, "name": unit.name, "slug": unit.slug,
        "villages": unit.villages, "appendix_no": unit.appendix_no, "valid_from": unit.valid_from,
        "valid_to": unit.valid_to, "former": "; ".join(unit.former),
        "attribution": unit.attribution[0][0] if single else "; ".join(f"{c}:{p}" for c, p in unit.attribution),
        "reports": "" if unit.reports else "no", "senders": "; ".join(unit.senders), "area": unit.area,
        "chair": unit.chair,
    }


class _Book:
    """The workbook being written: its formats, and the helpers each sheet is written with."""

    def __init__(self, wb, plan: Plan):
        self.wb, self.plan = wb, plan
        border = {"border": 1, "valign": "top", "text_wrap": True}
        unlocked = {**border, "locked": False, "bg_color": INPUT_FILL}
        self.formats = {
            "title": wb.add_format({"bold": True, "font_size": 14}),
            "subtitle": wb.add_format({"italic": True}),
            "header": wb.add_format({**border, "bold": True, "align": "center", "valign": "vcenter",
                                     "bg_color": LOCKED_FILL}),
            "code": wb.add_format({**border, "align": "center", "bg_color": LOCKED_FILL, "font_size": 10}),
            "label": wb.add_format({**border, "bg_color": LOCKED_FILL}),
            "bold_label": wb.add_format({**border, "bold": True, "bg_color": LOCKED_FILL}),
            "text": wb.add_format({**unlocked, "num_format": "@"}),
            "count": wb.add_format({**unlocked, "num_format": "#,##0"}),
            "int": wb.add_format({**unlocked, "num_format": "0"}),
            "date": wb.add_format({**unlocked, "num_format": "dd/mm/yyyy", "align": "left"}),
            "wrap": wb.add_format({"text_wrap": True, "valign": "top"}),
            "bold": wb.add_format({"bold": True}),
            "legend_input": wb.add_format({"border": 1, "bg_color": INPUT_FILL}),
            "legend_locked": wb.add_format({"border": 1, "bg_color": LOCKED_FILL}),
        }

    # -- cells ---------------------------------------------------------------------------------

    def value(self, ws, row: int, col: int, kind: str, value, choices: dict[str, str] | None = None) -> None:
        """An input cell of `kind` holding `value` (None: empty), with its validation."""
        fmt = self.formats["date" if kind == "date" else "count" if kind == "count"
                           else "int" if kind in ("int", "percent") else "text"]
        if choices:
            value = choices.get(value, value) if value is not None else None
        if value is None or value == "":
            ws.write_blank(row, col, None, fmt)
        elif kind == "date":
            ws.write_datetime(row, col, value, fmt)
        elif isinstance(value, int):
            ws.write_number(row, col, value, fmt)
        else:
            ws.write_string(row, col, str(value), fmt)

    def validate(self, ws, first_row: int, last_row: int, col: int, kind: str, label: str, hint: str = "",
                 choices: dict[str, str] | None = None) -> None:
        rule: dict[str, object]
        if choices:
            rule = {"validate": "list", "source": list(choices.values()),
                    "error_message": f"Chọn một trong: {', '.join(choices.values())}."}
        elif kind == "date":
            rule = {"validate": "date", "criteria": "between", "minimum": FIRST_DAY, "maximum": LAST_DAY,
                    "error_message": "Nhập một ngày, dạng ngày/tháng/năm."}
        elif kind in ("count", "int"):
            rule = {"validate": "integer", "criteria": ">=", "value": 0,
                    "error_message": "Chỉ nhập số nguyên không âm (0, 1, 2, …)."}
        elif kind == "percent":
            rule = {"validate": "integer", "criteria": "between", "minimum": 1, "maximum": 100,
                    "error_message": "Nhập số nguyên từ 1 đến 100."}
        else:
            rule = {"validate": "length", "criteria": "<=", "value": 2000,
                    "error_message": "Nội dung tối đa 2.000 ký tự."}
        ws.data_validation(first_row, col, last_row, col, {
            **rule, "input_title": label[:32], "input_message": (hint or label)[:255],
            "error_title": "Giá trị không hợp lệ"})

    def heading(self, ws, title: str, subtitle: str) -> None:
        ws.write_string(0, 0, title, self.formats["title"])
        ws.write_string(1, 0, subtitle, self.formats["subtitle"])

    def page(self, ws, header_rows: int, *, landscape: bool = True) -> None:
        if landscape:
            ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.5, right=0.4, top=0.6, bottom=0.7)
        title = (self.plan.short_title or self.plan.title or "Kế hoạch mới").replace("&", "&&")[:120]
        ws.set_footer(f"&L{title} – {ws.name}&RTrang &P/&N")
        if header_rows:
            ws.repeat_rows(0, header_rows - 1)
            ws.freeze_panes(header_rows, 0)

    # -- sheets --------------------------------------------------------------------------------

    def identity(self, ws) -> None:
        plan = self.plan
        self.heading(ws, "THÔNG TIN CHUNG CỦA KẾ HOẠCH", "Ô màu vàng là ô nhập; để trống ô không bắt buộc.")
        ws.set_column(0, 0, 42)
        ws.set_column(1, 1, 90)
        ws.write_string(L.HEADER_ROW, 0, "Mục", self.formats["header"])
        ws.write_string(L.HEADER_ROW, 1, "Nội dung", self.formats["header"])
        values = {"id": plan.id, "document": plan.document, "title": plan.title,
                  "short_title": plan.short_title if plan.short_title != plan.title else "", "phase": plan.phase,
                  "province": plan.province, "reporting_body": plan.reporting_body,
                  "total_villages": plan.total_villages or None, "budget_unit": plan.budget_unit}
        for n, fld in enumerate(L.IDENTITY):
            row = L.FIRST_ROW + n
            ws.write_string(row, 0, fld.label + (" *" if fld.required else ""), self.formats["label"])
            self.value(ws, row, 1, fld.kind, values[fld.key])
            self.validate(ws, row, row, 1, fld.kind, fld.label, fld.hint)
            ws.set_row(row, 34 if len(str(values[fld.key] or "")) > 80 else None)
        self.page(ws, 0, landscape=False)

    def table(self, ws, table: L.Table, rows: list[dict[str, object]]) -> None:
        self.heading(ws, table.title, "Mỗi dòng một mục; thêm mục mới vào các dòng màu vàng còn trống. "
                     "Cột có dấu * bắt buộc.")
        for col, column in enumerate(table.columns):
            ws.write_string(L.HEADER_ROW, col, column.label + (" *" if column.required else ""),
                            self.formats["header"])
            ws.set_column(col, col, column.width)
        ws.set_row(L.HEADER_ROW, 48)
        last = L.FIRST_ROW + len(rows) + table.spare - 1
        for n in range(len(rows) + table.spare):
            row = L.FIRST_ROW + n
            for col, column in enumerate(table.columns):
                self.value(ws, row, col, column.kind, rows[n].get(column.key) if n < len(rows) else None,
                           column.choices)
        for col, column in enumerate(table.columns):
            self.validate(ws, L.FIRST_ROW, last, col, column.kind, column.label, column.hint, column.choices)
        ws.print_area(0, 0, L.FIRST_ROW + len(rows) + PRINTED_SPARE - 1, len(table.columns) - 1)
        self.page(ws, L.FIRST_ROW)

    def targets(self, ws, blank: bool) -> None:
        """One row per unit with targets, one column per indicator (read by the codes of row 5), the
        totals above them; spare rows and columns for units and indicators the officer adds."""
        plan, f = self.plan, self.formats
        self.heading(ws, "CHỈ TIÊU GIAI ĐOẠN THEO ĐƠN VỊ",
                     "Hàng 5 ghi mã chỉ tiêu (như trang «Chỉ tiêu»); mỗi đơn vị được giao chỉ tiêu một dòng. "
                     "Dòng tổng: để trống thì chương trình tự cộng; nếu điền, phải khớp với tổng các đơn vị.")
        first_col, indicators = L.TARGET_FIRST_COL, plan.indicators
        ws.write_string(L.HEADER_ROW, 0, "Mã đơn vị", f["header"])
        ws.write_string(L.HEADER_ROW, 1, "Tên đơn vị", f["header"])
        ws.write_string(L.TARGET_CODE_ROW, 0, "", f["code"])
        ws.write_string(L.TARGET_CODE_ROW, 1, "Mã chỉ tiêu →", f["code"])
        ws.set_column(0, 0, 10)
        ws.set_column(1, 1, 30)
        spare_cols = range(len(indicators), len(indicators) + L.TARGET_SPARE_COLS)
        for n, indicator in enumerate(indicators):
            ws.write_string(L.HEADER_ROW, first_col + n, f"{indicator.no}. {indicator.short_name} "
                            f"({indicator.unit})", f["header"])
            ws.write_string(L.TARGET_CODE_ROW, first_col + n, indicator.code, f["code"])
        for n in spare_cols:
            ws.write_blank(L.HEADER_ROW, first_col + n, None, f["header"])
            self.value(ws, L.TARGET_CODE_ROW, first_col + n, "text", None)
        last_col = first_col + len(indicators) + L.TARGET_SPARE_COLS - 1
        ws.set_column(first_col, last_col, 12)
        ws.set_row(L.HEADER_ROW, 112)
        ws.set_row(L.TARGET_CODE_ROW, 28)  # the longest codes wrap once
        labels = {"total": "Tổng cộng chỉ tiêu giai đoạn", "districts": "Cộng mục II (dưới cấp tỉnh)"}
        for n, key in enumerate(L.TARGET_TOTAL_ROWS):
            row = L.TARGET_CODE_ROW + 1 + n
            ws.write_string(row, 0, "", f["bold_label"])
            ws.write_string(row, 1, labels[key], f["bold_label"])
            for col in range(len(indicators) + L.TARGET_SPARE_COLS):
                total = plan.totals.get(key, {}).get(indicators[col].code) if col < len(indicators) else None
                self.value(ws, row, first_col + col, "count", None if blank else total)
        units = [plan.unit(code) for code in plan.targeted]
        for n in range(len(units) + L.TARGET_SPARE_ROWS):
            row = L.TARGET_FIRST_UNIT_ROW + n
            unit = units[n] if n < len(units) else None
            self.value(ws, row, 0, "text", unit.code if unit else None)
            ws.write_formula(row, 1, f"=IFERROR(VLOOKUP($A{row + 1},'{L.SHEET_UNITS}'!$A:$D,4,0),\"\")",
                             f["label"], unit.name if unit else "")
            for col in range(len(indicators) + L.TARGET_SPARE_COLS):
                value = None
                if unit and col < len(indicators) and not blank:
                    value = plan.targets[unit.code][indicators[col].code]
                self.value(ws, row, first_col + col, "count", value)
                if unit and col < len(indicators):
                    self.wb.define_name(L.target_name(unit.code, indicators[col].code),
                                        f"='{L.SHEET_TARGETS}'!${xl_col_to_name(first_col + col)}${row + 1}")
        last_row = L.TARGET_FIRST_UNIT_ROW + len(units) + L.TARGET_SPARE_ROWS - 1
        ws.data_validation(L.TARGET_CODE_ROW + 1, first_col, last_row, last_col, {
            "validate": "integer", "criteria": ">=", "value": 0, "input_title": "Chỉ tiêu giai đoạn",
            "input_message": "Nhập số nguyên không âm.", "error_title": "Giá trị không hợp lệ",
            "error_message": "Chỉ nhập số nguyên không âm (0, 1, 2, …)."})
        ws.print_area(0, 0, L.TARGET_FIRST_UNIT_ROW + len(units) + PRINTED_SPARE - 1,
                      first_col + len(indicators) + PRINTED_SPARE_COLS - 1)
        self.page(ws, L.TARGET_FIRST_UNIT_ROW)
        ws.freeze_panes(L.TARGET_FIRST_UNIT_ROW, first_col)


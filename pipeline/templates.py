"""Write one reporting workbook per (round, unit): targets locked, only the input cells open."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from . import form
from .atomic import atomic_path
from .plan import Plan, Round, Unit
from .vietnamese import format_date, round_title

SHEET_GUIDE = "Hướng dẫn"
SHEET_INDICATORS = "Chỉ tiêu"
SHEET_RATIOS = "Tỷ lệ"
SHEET_META = "p8_meta"

INPUT_FILL = "#FFF2CC"
LOCKED_FILL = "#E7E6E6"
# Fixed document time, so the same round written twice gives the same bytes.
DOCUMENT_TIME = datetime(2022, 11, 29)


def template_filename(rnd: Round, unit: Unit) -> str:
    return f"{rnd.id}_{unit.code}_{unit.slug}.xlsx"


def write_templates(
    plan: Plan,
    rnd: Round,
    out_dir: Path,
    units: Iterable[Unit] | None = None,
    carried: Mapping[str, Mapping[str, float]] | None = None,
) -> list[Path]:
    """Write the templates of `rnd` into out_dir/<round>/; `carried` is {unit: {indicator: figure}}."""
    folder = Path(out_dir) / rnd.id
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for unit in units or plan.units:
        path = folder / template_filename(rnd, unit)
        with atomic_path(path) as tmp:
            _write_workbook(tmp, plan, rnd, unit, (carried or {}).get(unit.code, {}))
        paths.append(path)
    return paths


class _Sheet:
    """A worksheet wrapper that records every locked value, for the template's fingerprint."""

    def __init__(self, worksheet, locked_log: list):
        self.ws = worksheet
        self.locked_log = locked_log

    def fixed(self, row: int, col: int, value, fmt=None) -> None:
        self.ws.write(row, col, value, fmt)
        self._log(row, col, value)

    def merged(self, row: int, first_col: int, last_col: int, value, fmt) -> None:
        self.ws.merge_range(row, first_col, row, last_col, value, fmt)
        self._log(row, first_col, value)

    def _log(self, row: int, col: int, value) -> None:
        if value not in (None, ""):
            self.locked_log.append([self.ws.name, xl_rowcol_to_cell(row, col), value])


def _row_height(text: str, width: float) -> float:
    """Height in points for wrapped text in a column of `width` characters (12 pt Times)."""
    lines = max(1, -(-len(text) // max(1, int(width * 1.05))))
    return 16.0 * lines + 2


def _write_workbook(path: Path, plan: Plan, rnd: Round, unit: Unit, carried) -> None:
    wb = xlsxwriter.Workbook(
        str(path),
        {"default_format_properties": {"font_name": "Times New Roman", "font_size": 12}},
    )
    wb.set_properties(
        {
            "title": f"{plan.short_title} – {round_title(rnd)} – {unit.name}",
            "author": plan.reporting_body,
            "company": plan.reporting_body,
            "created": DOCUMENT_TIME,
        }
    )
    styles = _styles(wb)
    locked_log: list = []
    guide = wb.add_worksheet(SHEET_GUIDE)
    indicators = wb.add_worksheet(SHEET_INDICATORS)
    ratios = wb.add_worksheet(SHEET_RATIOS)
    meta = wb.add_worksheet(SHEET_META)

    _write_guide(_Sheet(guide, locked_log), plan, rnd, unit, styles)
    names = _write_indicator_sheet(_Sheet(indicators, locked_log), plan, rnd, unit, carried, styles)
    names.update(_write_ratio_sheet(_Sheet(ratios, locked_log), plan, styles))
    for name, (sheet, cell) in names.items():
        wb.define_name(name, f"={_quote(sheet)}!{_absolute(cell)}")

    fingerprint = hashlib.sha256(
        json.dumps(locked_log, ensure_ascii=False, sort_keys=True).encode("utf-8")
    ).hexdigest()
    _write_meta(wb, meta, plan, rnd, unit, fingerprint)
    for ws in (guide, indicators, ratios):
        ws.protect("", {"format_columns": True, "format_rows": True})
    indicators.activate()
    wb.close()


def _styles(wb) -> dict:
    border = {"border": 1, "valign": "vcenter", "text_wrap": True}
    return {
        "title": wb.add_format({"bold": True, "font_size": 14, "align": "center"}),
        "subtitle": wb.add_format({"italic": True, "align": "center"}),
        "bold": wb.add_format({"bold": True}),
        "wrap": wb.add_format({"text_wrap": True, "valign": "top"}),
        "header": wb.add_format({**border, "bold": True, "align": "center", "bg_color": LOCKED_FILL}),
        "group": wb.add_format({**border, "bold": True, "bg_color": "#D9E1F2"}),
        "cell": wb.add_format({**border}),
        "center": wb.add_format({**border, "align": "center"}),
        "number": wb.add_format({**border, "num_format": "#,##0", "bg_color": LOCKED_FILL}),
        "percent": wb.add_format({**border, "num_format": "0.0%", "bg_color": LOCKED_FILL}),
        "input": wb.add_format({**border, "num_format": "#,##0", "locked": False, "bg_color": INPUT_FILL}),
        "input_text": wb.add_format({**border, "locked": False, "bg_color": INPUT_FILL}),
        "legend_input": wb.add_format({"border": 1, "bg_color": INPUT_FILL}),
        "legend_locked": wb.add_format({"border": 1, "bg_color": LOCKED_FILL}),
    }


def _page_setup(ws, header_rows: int, width_cols: int) -> None:
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0, header_rows - 1)
    ws.set_footer("&CTrang &P/&N")
    ws.set_margins(left=0.5, right=0.4, top=0.6, bottom=0.6)
    ws.freeze_panes(header_rows, 0)
    ws.print_area(0, 0, 200, width_cols - 1)


def _write_guide(sheet: _Sheet, plan: Plan, rnd: Round, unit: Unit, styles) -> None:
    ws = sheet.ws
    ws.set_column(0, 0, 4)
    ws.set_column(1, 1, 100)
    lines = [
        (plan.short_title.upper(), styles["title"]),
        (f"{round_title(rnd)} – Đơn vị: {unit.name}", styles["bold"]),
        (f"Căn cứ: {plan.document}.", styles["wrap"]),
        ("", None),
        ("1. Điền số liệu vào các ô màu vàng ở trang «Chỉ tiêu» và «Tỷ lệ». "
         "Các ô màu xám (chỉ tiêu giai đoạn, lũy kế, tỷ lệ %) được khóa và tự tính.", styles["wrap"]),
        ("2. Chỉ nhập số nguyên không âm; nhập 0 nếu không có kết quả. Không thêm, xóa hay đổi tên "
         "dòng, cột, trang tính.", styles["wrap"]),
        (f"3. Hạn gửi báo cáo về Hội LHPN tỉnh: ngày {format_date(rnd.district_deadline)}.", styles["bold"]),
        ("4. Lưu tệp ở định dạng .xlsx (giữ nguyên tên tệp) và gửi lại qua thư điện tử dưới dạng "
         "tệp đính kèm. Không đặt mật khẩu cho tệp.", styles["wrap"]),
    ]
    for row, (text, fmt) in enumerate(lines):
        sheet.fixed(row, 1, text, fmt)
        ws.set_row(row, _row_height(text, 95))
    ws.write(9, 0, "", styles["legend_input"])
    sheet.fixed(9, 1, "Ô màu vàng: ô nhập số liệu.")
    ws.write(10, 0, "", styles["legend_locked"])
    sheet.fixed(10, 1, "Ô màu xám: ô đã khóa hoặc tự tính, không sửa.")
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.set_footer("&CTrang &P/&N")


def _count_validation(label: str) -> dict:
    return {
        "validate": "integer",
        "criteria": ">=",
        "value": 0,
        "input_title": "Nhập số nguyên ≥ 0",
        "input_message": label[:250],
        "error_title": "Giá trị không hợp lệ",
        "error_message": "Chỉ nhập số nguyên không âm (0, 1, 2, …).",
    }


def _note_validation() -> dict:
    return {
        "validate": "length",
        "criteria": "<=",
        "value": 500,
        "input_title": "Ghi chú",
        "input_message": "Ghi chú ngắn, tối đa 500 ký tự.",
        "error_title": "Ghi chú quá dài",
        "error_message": "Ghi chú tối đa 500 ký tự.",
    }


def _write_indicator_sheet(sheet: _Sheet, plan: Plan, rnd: Round, unit: Unit, carried, styles):
    ws = sheet.ws
    measures = form.MEASURES[rnd.kind]
    year_measure = form.YEAR_MEASURE[rnd.kind]
    headers = ["TT", "Chỉ tiêu", "Đơn vị tính", "Chỉ tiêu giai đoạn", "Lũy kế đến hết năm trước",
               *[label for _, label in measures], "Lũy kế", "% chỉ tiêu giai đoạn", "Ghi chú"]
    first_input = 5
    col_cumulative = first_input + len(measures)
    last_col = len(headers) - 1
    sheet.merged(0, 0, last_col, f"BIỂU KẾT QUẢ THỰC HIỆN CHỈ TIÊU DỰ ÁN 8 – {round_title(rnd).upper()}",
                 styles["title"])
    sheet.merged(1, 0, last_col, f"Đơn vị báo cáo: {unit.name}", styles["subtitle"])
    header_row = 3
    for col, text in enumerate(headers):
        sheet.fixed(header_row, col, text, styles["header"])
    widths = [5, 48, 10, 12, 12, *[14] * len(measures), 12, 12, 30]
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    ws.set_row(header_row, 45)

    names: dict[str, tuple[str, str]] = {}
    row = header_row + 1
    for group, title in plan.groups.items():
        members = [i for i in plan.indicators if i.group == group]
        if not members:
            continue
        sheet.fixed(row, 0, group, styles["group"])
        sheet.merged(row, 1, last_col, title, styles["group"])
        ws.set_row(row, _row_height(title, sum(widths[1:])))
        row += 1
        for indicator in members:
            target = plan.targets[unit.code][indicator.code]
            previous = carried.get(indicator.code)
            sheet.fixed(row, 0, indicator.no, styles["center"])
            sheet.fixed(row, 1, indicator.name, styles["cell"])
            ws.set_row(row, _row_height(indicator.name, widths[1]))
            sheet.fixed(row, 2, indicator.unit, styles["center"])
            sheet.fixed(row, 3, target, styles["number"])
            sheet.fixed(row, 4, previous, styles["number"])
            for offset, (measure, label) in enumerate(measures):
                col = first_input + offset
                ws.write_blank(row, col, None, styles["input"])
                ws.data_validation(row, col, row, col, _count_validation(f"{indicator.short_name}: {label}"))
                names[form.field_name(indicator.code, measure)] = (ws.name, xl_rowcol_to_cell(row, col))
            year_cell = xl_rowcol_to_cell(row, first_input + [m for m, _ in measures].index(year_measure))
            previous_cell = xl_rowcol_to_cell(row, 4)
            if indicator.kind == "stock":
                formula = f'=IF({year_cell}="",{previous_cell},{year_cell})'
            else:
                formula = f"={previous_cell}+{year_cell}"
            ws.write_formula(row, col_cumulative, formula, styles["number"], previous or 0)
            cumulative_cell = xl_rowcol_to_cell(row, col_cumulative)
            target_cell = xl_rowcol_to_cell(row, 3)
            share = (previous or 0) / target if target else ""
            ws.write_formula(row, col_cumulative + 1,
                             f'=IF({target_cell}>0,{cumulative_cell}/{target_cell},"")',
                             styles["percent"], share)
            note_col = col_cumulative + 2
            ws.write_blank(row, note_col, None, styles["input_text"])
            ws.data_validation(row, note_col, row, note_col, _note_validation())
            names[form.field_name(indicator.code, "note")] = (ws.name, xl_rowcol_to_cell(row, note_col))
            row += 1
    _page_setup(ws, header_row + 1, len(headers))
    return names


def _write_ratio_sheet(sheet: _Sheet, plan: Plan, styles):
    ws = sheet.ws
    headers = ["TT", "Chỉ tiêu", "Mục tiêu (%)", "Tử số", "Số lượng (tử số)", "Mẫu số",
               "Số lượng (mẫu số)", "Tỷ lệ đạt"]
    sheet.merged(0, 0, len(headers) - 1, "CÁC CHỈ TIÊU TỶ LỆ", styles["title"])
    header_row = 2
    for col, text in enumerate(headers):
        sheet.fixed(header_row, col, text, styles["header"])
    widths = [5, 40, 10, 30, 12, 30, 12, 10]
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    ws.set_row(header_row, 30)
    names: dict[str, tuple[str, str]] = {}
    for index, ratio in enumerate(plan.ratios):
        row = header_row + 1 + index
        sheet.fixed(row, 0, index + 1, styles["center"])
        sheet.fixed(row, 1, ratio.name, styles["cell"])
        sheet.fixed(row, 2, ratio.target_percent / 100, styles["percent"])
        sheet.fixed(row, 3, ratio.numerator, styles["cell"])
        sheet.fixed(row, 5, ratio.denominator, styles["cell"])
        longest = max((ratio.name, widths[1]), (ratio.numerator, widths[3]),
                      (ratio.denominator, widths[5]), key=lambda p: len(p[0]) / p[1])
        ws.set_row(row, _row_height(*longest))
        for col, measure, label in ((4, "num", ratio.numerator), (6, "den", ratio.denominator)):
            ws.write_blank(row, col, None, styles["input"])
            ws.data_validation(row, col, row, col, _count_validation(label))
            names[form.field_name(ratio.code, measure)] = (ws.name, xl_rowcol_to_cell(row, col))
        num, den = xl_rowcol_to_cell(row, 4), xl_rowcol_to_cell(row, 6)
        ws.write_formula(row, 7, f'=IF(N({den})>0,{num}/{den},"")', styles["percent"], "")
    _page_setup(ws, header_row + 1, len(headers))
    return names


def _write_meta(wb, ws, plan: Plan, rnd: Round, unit: Unit, fingerprint: str) -> None:
    values = {
        "plan": plan.id,
        "round": rnd.id,
        "unit": unit.code,
        "version": form.TEMPLATE_VERSION,
        "fingerprint": fingerprint,
    }
    for row, (key, value) in enumerate(values.items()):
        ws.write_string(row, 0, key)
        ws.write_string(row, 1, value)
        wb.define_name(form.META_NAMES[key], f"={SHEET_META}!$B${row + 1}")
    ws.protect()
    ws.very_hidden()


def _quote(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def _absolute(cell: str) -> str:
    letters = "".join(ch for ch in cell if ch.isalpha())
    digits = cell[len(letters):]
    return f"${letters}${digits}"

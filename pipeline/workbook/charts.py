"""«Biểu đồ»: progress against the phase targets, read from «Tổng hợp». With many units (a province's
communes, a country's), the units' chart shows the CHART_UNITS // 2 furthest ahead and the as many
furthest behind, by their mean share of target, not a bar for each."""

from __future__ import annotations

from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from pipeline.figures.consolidate import group_target, mean_share, share, total_progress
from pipeline.workbook.book import SUMMARY, Book, Line, allocated, fitted_height

CHART_UNITS = 20
LABEL_WIDTH, COLUMN_WIDTH = 42, 10


def shown_lines(book: Book) -> tuple[list[Line], str]:
    """The lines the chart shows (districts, or areas), and how they were chosen (empty: all shown)."""
    if len(book.lines) <= CHART_UNITS:
        return book.lines, ""
    ranked = sorted(book.lines, key=lambda line: -mean_share(book.plan, book.result, allocated(line.units)))
    half = CHART_UNITS // 2
    what = "khu vực" if book.split else "đơn vị"
    return ranked[:half] + ranked[-half:], (
        f"{half} {what} có tỷ lệ bình quân các chỉ tiêu cao nhất và {half} {what} thấp nhất (trong "
        f"{len(book.lines)} {what}; số liệu của mọi {what} ở trang «{SUMMARY}»)")


def write(book: Book, wb, ws) -> None:
    plan, s = book.plan, book.styles
    lines, chosen = shown_lines(book)
    book.title(ws, "BIỂU ĐỒ TIẾN ĐỘ SO VỚI CHỈ TIÊU GIAI ĐOẠN",
               f"Số liệu lấy từ trang «{SUMMARY}»."
               + (f" Biểu đồ các {'khu vực' if book.split else 'đơn vị'}: {chosen}." if chosen else ""))
    ws.write_string(3, 0, "Chỉ tiêu", s["header"])
    ws.write_string(3, 1, "Toàn tỉnh", s["header"])
    for k, line in enumerate(lines):
        ws.write_string(3, 2 + k, line.name, s["header"])
    ws.set_row(3, fitted_height([(line.name, COLUMN_WIDTH) for line in lines]))
    quoted = f"'{SUMMARY}'"
    helper = 2 + len(lines)  # the hidden copy the charts draw from starts one column further
    for index, indicator in enumerate(plan.indicators):
        row = 4 + index
        label = f"{indicator.no}. {indicator.short_name}"
        ws.write_string(row, 0, label, s["wrap"])
        ws.set_row(row, fitted_height([(label, LABEL_WIDTH)]))
        share_col = book.summary_cols[indicator.code] + 3
        for col, shown in enumerate([None, *lines], start=1):
            if shown is None:
                source_row, target = book.summary_rows["total"], plan.totals["total"][indicator.code]
                cumulative = total_progress(book.result, book.units, indicator.code)
            else:
                units = allocated(shown.units)
                source_row = book.summary_rows[shown.key]
                target = group_target(plan, units, indicator.code)
                cumulative = total_progress(book.result, units, indicator.code)
            cached = share(cumulative, target) if cumulative is not None else None
            source = f"{quoted}!{xl_col_to_name(share_col)}{source_row + 1}"
            # no figure is no bar, never a 0% one: blank in the table, #N/A (a gap) in the hidden
            # columns the charts draw from
            ws.write_formula(row, col, f'=IF(ISNUMBER({source}),{source},"")', s["percent"],
                             cached if cached is not None else "")
            ws.write_formula(row, helper + col, f"=IF(ISNUMBER({xl_rowcol_to_cell(row, col)}),"
                             f"{xl_rowcol_to_cell(row, col)},NA())", None,
                             cached if cached is not None else "#N/A")
    last = 3 + len(plan.indicators)
    ws.set_column(helper + 1, helper + 1 + len(lines), None, None, {"hidden": True})
    ws.set_column(0, 0, LABEL_WIDTH)
    ws.set_column(1, 1 + len(lines), COLUMN_WIDTH)
    province = wb.add_chart({"type": "bar"})
    province.add_series(
        {
            "name": "Toàn tỉnh",
            "categories": ["Biểu đồ", 4, 0, last, 0],
            "values": ["Biểu đồ", 4, helper + 1, last, helper + 1],
            "data_labels": {"value": True, "num_format": "0%"},
            "fill": {"color": "#2F5597"},
        }
    )
    province.show_blanks_as("gap")
    province.set_title({"name": "Toàn tỉnh: % chỉ tiêu giai đoạn đã đạt"})
    province.set_x_axis({"num_format": "0%", "min": 0})
    province.set_y_axis({"reverse": True})
    province.set_legend({"none": True})
    province.set_size({"width": 900, "height": 480})
    ws.insert_chart(last + 3, 0, province)
    districts = wb.add_chart({"type": "column"})
    for index in range(len(plan.indicators)):
        districts.add_series(
            {
                "name": ["Biểu đồ", 4 + index, 0],
                "categories": ["Biểu đồ", 3, 2, 3, 1 + len(lines)],
                "values": ["Biểu đồ", 4 + index, helper + 2, 4 + index, helper + 1 + len(lines)],
            }
        )
    whole = "Các khu vực" if book.split else ("Các đơn vị" if chosen else "Các huyện")
    districts.show_blanks_as("gap")
    districts.set_title({"name": (f"{whole} cao nhất và thấp nhất" if chosen else whole)
                         + ": % chỉ tiêu giai đoạn đã đạt, theo chỉ tiêu"})
    districts.set_y_axis({"num_format": "0%", "min": 0})
    districts.set_legend({"position": "right"})
    districts.set_size({"width": 1000, "height": 520})
    ws.insert_chart(last + 31, 0, districts)
    # The figures on the first page, then one chart to a page (each a row below its page break).
    book.page(ws, None)
    ws.set_h_pagebreaks([last + 2, last + 30])

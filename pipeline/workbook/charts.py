"""«Biểu đồ»: progress against the phase targets, read from «Tổng hợp». With many units (a province's
communes, a country's), the units' chart shows the CHART_UNITS // 2 furthest ahead and the as many
furthest behind, by their mean share of target, not a bar for each."""

from __future__ import annotations

from xlsxwriter.utility import xl_col_to_name

from ..consolidate import mean_share, share, total_progress
from ..plan import Unit
from .book import SUMMARY, Book

CHART_UNITS = 20


def shown_units(book: Book) -> tuple[list[Unit], str]:
    """The units the chart shows, and how they were chosen (empty when they are all shown)."""
    if len(book.districts) <= CHART_UNITS:
        return book.districts, ""
    ranked = sorted(book.districts, key=lambda u: -mean_share(book.plan, book.result, u.code))
    half = CHART_UNITS // 2
    return ranked[:half] + ranked[-half:], (
        f"{half} đơn vị có tỷ lệ bình quân các chỉ tiêu cao nhất và {half} đơn vị thấp nhất (trong "
        f"{len(book.districts)} đơn vị; số liệu của mọi đơn vị ở trang «{SUMMARY}»)")


def write(book: Book, wb, ws) -> None:
    plan, s = book.plan, book.styles
    units, chosen = shown_units(book)
    book.title(ws, "BIỂU ĐỒ TIẾN ĐỘ SO VỚI CHỈ TIÊU GIAI ĐOẠN",
               f"Số liệu lấy từ trang «{SUMMARY}»." + (f" Biểu đồ các đơn vị: {chosen}." if chosen else ""))
    ws.write_string(3, 0, "Chỉ tiêu", s["header"])
    ws.write_string(3, 1, "Toàn tỉnh", s["header"])
    for k, unit in enumerate(units):
        ws.write_string(3, 2 + k, unit.name, s["header"])
    quoted = f"'{SUMMARY}'"
    for index, indicator in enumerate(plan.indicators):
        row = 4 + index
        ws.write_string(row, 0, f"{indicator.no}. {indicator.short_name}", s["text"])
        share_col = book.summary_cols[indicator.code] + 3
        for col, unit_key in enumerate(["total", *[u.code for u in units]], start=1):
            source_row = book.summary_rows[unit_key]
            target = (
                plan.totals["total"][indicator.code]
                if unit_key == "total"
                else plan.targets[unit_key][indicator.code]
            )
            cumulative = (
                total_progress(book.result, book.units, indicator.code)
                if unit_key == "total"
                else book.result.progress[unit_key][indicator.code].cumulative
            )
            cached = share(cumulative or 0, target)
            ws.write_formula(
                row,
                col,
                f"=N({quoted}!{xl_col_to_name(share_col)}{source_row + 1})",
                s["percent"],
                cached or 0,
            )
    last = 3 + len(plan.indicators)
    ws.set_column(0, 0, 42)
    ws.set_column(1, 1 + len(units), 10)
    province = wb.add_chart({"type": "bar"})
    province.add_series(
        {
            "name": "Toàn tỉnh",
            "categories": ["Biểu đồ", 4, 0, last, 0],
            "values": ["Biểu đồ", 4, 1, last, 1],
            "data_labels": {"value": True, "num_format": "0%"},
            "fill": {"color": "#2F5597"},
        }
    )
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
                "categories": ["Biểu đồ", 3, 2, 3, 1 + len(units)],
                "values": ["Biểu đồ", 4 + index, 2, 4 + index, 1 + len(units)],
            }
        )
    districts.set_title({"name": ("Các đơn vị cao nhất và thấp nhất" if chosen else "Các huyện")
                         + ": % chỉ tiêu giai đoạn đã đạt, theo chỉ tiêu"})
    districts.set_y_axis({"num_format": "0%", "min": 0})
    districts.set_legend({"position": "right"})
    districts.set_size({"width": 1000, "height": 520})
    ws.insert_chart(last + 31, 0, districts)
    # The figures on the first page, then one chart to a page (each a row below its page break).
    book.page(ws, None)
    ws.set_h_pagebreaks([last + 2, last + 30])

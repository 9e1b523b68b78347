"""«Tổng hợp»: the appendix's layout, targets, cumulative figures and % of target, live formulas."""

from __future__ import annotations

from ..consolidate import share, total_progress
from ..vietnamese import round_title
from .book import PROGRESS_BANDS, Book, cell


def write(book: Book, ws) -> None:
    plan, result, s = book.plan, book.result, book.styles
    book.title(
        ws,
        f"TỔNG HỢP KẾT QUẢ THỰC HIỆN DỰ ÁN 8 – {round_title(result.round).upper()}",
        f"Theo biểu chỉ tiêu kèm {plan.document}. Lũy kế: tổ, nhóm, CLB, địa chỉ (tồn tại và duy "
        "trì) lấy số mới nhất; cuộc, cán bộ (hoạt động) cộng dồn các năm. Căn cứ: «Chính thức» là "
        "số cập nhật cả năm, «Ước tính» có năm dựa trên số ước tháng 9.",
    )
    top, sub = 3, 4
    first = book.grouped_header(
        ws, ["TT", "Đơn vị", "Số bản ĐBKK", "Căn cứ số liệu"],
        [(f"{i.no}. {i.short_name} ({i.unit})", ["Chỉ tiêu", "Lũy kế", "% chỉ tiêu"]) for i in plan.indicators],
        heights=(62, 15),
    )
    for k, indicator in enumerate(plan.indicators):
        book.summary_cols[indicator.code] = first + 3 * k
    ws.set_column(0, 0, 5)
    ws.set_column(1, 1, 20)
    ws.set_column(2, 3, 11)
    ws.set_column(first, first + 3 * len(plan.indicators) - 1, 9)
    ws.freeze_panes(sub + 1, 2)

    total_row, province_row, districts_row = sub + 1, sub + 2, sub + 3
    rows = {"total": total_row, plan.province_unit.code: province_row}
    rows.update({u.code: districts_row + 1 + i for i, u in enumerate(book.districts)})
    book.summary_rows = rows
    first_d, last_d = districts_row + 1, districts_row + len(book.districts)
    labels = [
        (total_row, "", "Tổng cộng"),
        (province_row, "I", plan.province_unit.name),
        (districts_row, "II", "Cấp huyện"),
    ]
    for row, number, name in labels:
        ws.write_string(row, 0, number, s["bold_text"])
        ws.write_string(row, 1, name, s["bold_text"])
    villages = sum(u.villages or 0 for u in book.districts)
    ws.write_formula(total_row, 2, f"={cell(districts_row, 2)}", s["bold_number"], villages)
    ws.write_blank(province_row, 2, None, s["number"])
    ws.write_formula(
        districts_row, 2, f"=SUM({cell(first_d, 2)}:{cell(last_d, 2)})", s["bold_number"], villages
    )
    for row in (total_row, districts_row):
        ws.write_blank(row, 3, None, s["bold_text"])
    ws.write_string(province_row, 3, book.basis(plan.province_unit.code), s["text"])
    for unit in book.districts:
        row = rows[unit.code]
        ws.write_string(row, 0, unit.appendix_no, s["text"])
        ws.write_string(row, 1, unit.name, s["text"])
        ws.write_number(row, 2, unit.villages or 0, s["number"])
        ws.write_string(row, 3, book.basis(unit.code), s["text"])

    for indicator in plan.indicators:
        col, code = book.summary_cols[indicator.code], indicator.code
        for unit in book.units:
            row = rows[unit.code]
            ws.write_number(row, col, plan.targets[unit.code][code], s["number"])
            book.put(ws, row, col + 1, result.progress[unit.code][code].cumulative, "number")
        district_target = sum(plan.targets[u.code][code] for u in book.districts)
        figures = {
            districts_row: (district_target, total_progress(result, book.districts, code)),
            total_row: (plan.totals["total"][code], total_progress(result, book.units, code)),
        }
        for offset in (0, 1):
            c = col + offset
            ws.write_formula(
                districts_row,
                c,
                f"=SUM({cell(first_d, c)}:{cell(last_d, c)})",
                s["bold_number"],
                figures[districts_row][offset] or 0,
            )
            ws.write_formula(
                total_row,
                c,
                f"={cell(province_row, c)}+{cell(districts_row, c)}",
                s["bold_number"],
                figures[total_row][offset] or 0,
            )
        for unit in book.units:
            figures[rows[unit.code]] = (
                plan.targets[unit.code][code],
                result.progress[unit.code][code].cumulative,
            )
        for row, (target, cumulative) in figures.items():
            cached = share(cumulative or 0, target)
            ws.write_formula(
                row,
                col + 2,
                f'=IF({cell(row, col)}>0,{cell(row, col + 1)}/{cell(row, col)},"")',
                s["percent"],
                cached if cached is not None else "",
            )
        for band in PROGRESS_BANDS:
            rule = {k: v for k, v in band.items() if k != "style"}
            ws.conditional_format(
                total_row, col + 2, last_d, col + 2, {**rule, "format": s[band["style"]]}
            )
    legend = last_d + 2
    ws.write_string(legend, 1, "Mức hoàn thành:", s["italic"])
    for offset, (style, label) in enumerate(
        (("band_low", "dưới 50%"), ("band_mid", "50–99%"), ("band_high", "từ 100%"))
    ):
        ws.write_string(legend, 2 + offset, label, s[f"{style}_cell"])
    book.page(ws, sub, fit_width=False)
    ws.repeat_rows(top, sub)
    # The appendix is 37 columns wide: print four indicators to an A4 page, units repeated.
    ws.repeat_columns(0, 3)
    ws.set_print_scale(80)
    ws.set_v_pagebreaks([first + 12 * page for page in range(1, -(-len(plan.indicators) // 4))])

"""«Giai đoạn»: the end-of-phase view, the province's figure for each year of the phase, the phase
total against each target and its completion time, and the outcome."""

from __future__ import annotations

from pipeline.core.vietnamese import round_title
from pipeline.figures.consolidate import total_progress
from pipeline.figures.phase import baseline_total, phase_outcome, phase_years, year_figure
from pipeline.workbook.book import Book, cell, sum_or_blank


def write(book: Book, ws) -> None:
    plan, result, s = book.plan, book.result, book.styles
    rnd = result.round
    years = phase_years(plan, result)
    headers = ["TT", "Chỉ tiêu", "Đơn vị tính", "Chỉ tiêu giai đoạn", "Khai trước năm đầu báo cáo",
               *[str(y) for y in years], "Lũy kế giai đoạn", "% chỉ tiêu", "Thời gian hoàn thành", "Kết quả"]
    widths = [5, 40, 9, 11, 10, *[9] * len(years), 11, 9, 13, 16]
    last = len(headers) - 1
    ws.merge_range(0, 0, 0, last, f"KẾT QUẢ THỰC HIỆN DỰ ÁN 8 GIAI ĐOẠN {plan.phase} – TOÀN TỈNH", s["title_block"])
    ws.merge_range(1, 0, 1, last, (
        f"Số liệu đến {round_title(rnd).lower()}. Số của mỗi năm lấy từ kỳ cập nhật cả năm; số có phần là số ước "
        "tháng 9 được in nghiêng. Lũy kế: tổ, nhóm, CLB, địa chỉ lấy số mới nhất; cuộc, cán bộ cộng dồn các năm "
        "(kể cả số lũy kế đơn vị khai trước năm đầu)."), s["italic_block"])
    ws.set_row(1, 45)
    book.headers(ws, 3, headers, widths)
    ws.set_row(3, 45)
    units = list(plan.roots)
    estimated_years: set[int] = set()
    for index, indicator in enumerate(plan.indicators):
        row, code = 4 + index, indicator.code
        ws.set_row(row, 30)  # room for a short name on two lines
        target = plan.totals["total"][code]
        ws.write_number(row, 0, indicator.no, s["text"])
        ws.write_string(row, 1, f"{indicator.short_name}", s["wrap"])
        ws.write_string(row, 2, indicator.unit, s["text"])
        ws.write_number(row, 3, target, s["number"])
        before = baseline_total(result, units, code) if indicator.kind == "flow" else None
        book.put(ws, row, 4, before, "number")
        row_estimated = False
        for offset, year in enumerate(years):
            value, estimated = year_figure(plan, result, units, code, year)
            book.put(ws, row, 5 + offset, value, "estimate_number" if estimated else "number")
            if estimated:
                estimated_years.add(year)
                row_estimated = True
        col = 5 + len(years)
        cumulative = total_progress(result, units, code)
        # a cumulative that rests on an estimate is one too: in italics, as its years are
        style = "bold_estimate_number" if row_estimated else "bold_number"
        if indicator.kind == "flow":
            ws.write_formula(row, col, sum_or_blank(f"{cell(row, 4)}:{cell(row, col - 1)}"), s[style],
                             cumulative if cumulative is not None else "")
        else:
            book.put(ws, row, col, cumulative, style)
        book.rate(ws, row, col + 1, col, 3, cumulative / target if target and cumulative is not None else None)
        ws.write_string(row, col + 2, indicator.window, s["text"])
        ws.write_string(row, col + 3, phase_outcome(indicator, cumulative, target, rnd.year, rnd.kind == "update"),
                        s["wrap"])
    note = 5 + len(plan.indicators)
    if estimated_years:
        ws.write_string(note, 1, "Số in nghiêng: có phần là số ước thực hiện (chưa có số cả năm), và lũy kế có số "
                        "ấy – năm " + ", ".join(str(y) for y in sorted(estimated_years)) + ".", s["italic"])
    ws.write_string(note + 1, 1, "Lũy kế từng đơn vị và từng năm: trang «Theo năm»; nguồn từng số: «Truy nguồn».",
                    s["italic"])
    book.page(ws, 3)

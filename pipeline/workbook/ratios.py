"""«Tỷ lệ»: numerators and denominators; the province's ratio from the summed parts."""

from __future__ import annotations

from pipeline.figures.consolidate import ratio_total, share
from pipeline.workbook.book import LINE_WIDTHS, SUBMISSION_COLUMNS, Book, cell, sum_or_blank


def write(book: Book, ws) -> None:
    plan, result, s = book.plan, book.result, book.styles
    book.title(
        ws,
        "CÁC CHỈ TIÊU TỶ LỆ",
        "Tỷ lệ của tỉnh được tính lại từ tổng tử số và tổng mẫu số, không lấy trung bình các tỷ lệ.",
    )
    sub = 4
    book.grouped_header(
        ws, SUBMISSION_COLUMNS,
        [(f"{r.name} (mục tiêu {r.target_percent}%)", ["Tử số", "Mẫu số", "Tỷ lệ"]) for r in plan.ratios],
        heights=(75, 15),
    )
    for col, width in enumerate(LINE_WIDTHS):
        ws.set_column(col, col, width)
    ws.set_column(3, 4 + 3 * len(plan.ratios), 11)
    first = sub + 1
    lines = book.reporting_lines()
    for index, line in enumerate(lines):
        row = first + index
        book.line_columns(ws, row, line)
        for k, ratio in enumerate(plan.ratios):
            numerator, denominator = ratio_total(result, book.reporting_in(line), ratio.code)
            book.ratio_cells(ws, row, 4 + 3 * k, numerator, denominator, bold=False)
    total = first + len(lines)
    every = [u for line in lines for u in book.reporting_in(line)]
    ws.write_string(total, 1, book.total_label, s["bold_text"])
    for k, ratio in enumerate(plan.ratios):
        col = 4 + 3 * k
        numerator, denominator = ratio_total(result, every, ratio.code)
        for offset, cached in ((0, numerator), (1, denominator)):
            c = col + offset
            ws.write_formula(
                total, c, sum_or_blank(f"{cell(first, c)}:{cell(total - 1, c)}"), s["bold_number"],
                cached if cached is not None else ""
            )
        book.rate(ws, total, col + 2, col, col + 1, share(numerator, denominator))
    book.table_end(ws, sub, total, 4 + 3 * len(plan.ratios))

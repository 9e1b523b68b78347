"""«Chỉ tiêu – số liệu»: every indicator input of the accepted file of each unit."""

from __future__ import annotations

from pipeline.core.vietnamese import round_title
from pipeline.plan import form
from pipeline.workbook.book import SUBMISSION_COLUMNS, Book

PER_PAGE = 3  # indicators side by side on one A4 page
WIDTHS = (5, 13, 24, 10)  # of the SUBMISSION_COLUMNS


def write(book: Book, ws) -> None:
    plan, result = book.plan, book.result
    measures = [(form.PREVIOUS, form.PREVIOUS_LABEL), *form.MEASURES[result.round.kind]]
    sub = 4
    first = len(SUBMISSION_COLUMNS)
    book.block_heading(ws, 2, f"SỐ LIỆU CÁC ĐƠN VỊ BÁO CÁO – {round_title(result.round).upper()}",
                       book.detail("Giá trị của tệp được tiếp nhận của mỗi đơn vị; trang và ô nguồn của từng giá trị "
                                   "ở trang «Truy nguồn»."),
                       WIDTHS, first, PER_PAGE * len(measures), first + len(plan.indicators) * len(measures) - 1,
                       10)
    first = book.grouped_header(
        ws, SUBMISSION_COLUMNS,
        [(f"{i.no}. {i.short_name}", [label for _, label in measures]) for i in plan.indicators],
    )
    col = first + len(plan.indicators) * len(measures)
    for column, width in enumerate(WIDTHS):
        ws.set_column(column, column, width)
    ws.set_column(first, col, 10)
    for index, unit in enumerate(book.reporting):
        row = sub + 1 + index
        book.submission_columns(ws, row, unit, WIDTHS)
        figures = [result.number(unit.code, form.field_name(indicator.code, measure))
                   for indicator in plan.indicators for measure, _ in measures]
        book.put_row(ws, row, figures, ["number"] * len(figures), col=first)
    book.table_end(ws, sub, sub + len(book.reporting), col, fit_width=False)
    # The unit and its file repeated at the left of each page.
    book.print_in_blocks(ws, (3, sub), len(SUBMISSION_COLUMNS), first, len(measures), len(plan.indicators),
                         PER_PAGE, 85)

"""«Chỉ tiêu – số liệu»: every indicator input of the accepted file of each unit."""

from __future__ import annotations

from pipeline.core.vietnamese import round_title
from pipeline.plan import form
from pipeline.workbook.book import SUBMISSION_COLUMNS, Book

PER_PAGE = 3  # indicators side by side on one A4 page


def write(book: Book, ws) -> None:
    plan, result = book.plan, book.result
    measures = [(form.PREVIOUS, form.PREVIOUS_LABEL), *form.MEASURES[result.round.kind]]
    book.title(
        ws,
        f"SỐ LIỆU CÁC ĐƠN VỊ BÁO CÁO – {round_title(result.round).upper()}",
        book.detail("Giá trị của tệp được tiếp nhận của mỗi đơn vị; trang và ô nguồn của từng giá trị ở trang "
                    "«Truy nguồn»."),
        across=len(SUBMISSION_COLUMNS) + PER_PAGE * len(measures),
    )
    sub = 4
    first = book.grouped_header(
        ws, SUBMISSION_COLUMNS,
        [(f"{i.no}. {i.short_name}", [label for _, label in measures]) for i in plan.indicators],
    )
    col = first + len(plan.indicators) * len(measures)
    ws.set_column(0, 0, 5)
    ws.set_column(1, 1, 13)
    ws.set_column(2, 2, 24)
    ws.set_column(3, col, 10)
    for index, unit in enumerate(book.reporting):
        row = sub + 1 + index
        book.submission_columns(ws, row, unit)
        col = 4
        for indicator in plan.indicators:
            for measure, _ in measures:
                book.put(
                    ws,
                    row,
                    col,
                    result.number(unit.code, form.field_name(indicator.code, measure)),
                    "number",
                )
                col += 1
    book.table_end(ws, sub, sub + len(book.reporting), col, fit_width=False)
    # The unit and its file repeated at the left of each page.
    book.print_in_blocks(ws, (3, sub), len(SUBMISSION_COLUMNS), first, len(measures), len(plan.indicators),
                         PER_PAGE, 85)

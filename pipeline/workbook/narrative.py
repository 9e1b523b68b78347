"""«Thuyết minh»: the units' own words, always as text, and the notes per indicator."""

from __future__ import annotations

from datetime import date

from pipeline.core.vietnamese import format_date
from pipeline.plan import form
from pipeline.workbook.book import Book


def write(book: Book, ws) -> None:
    result, s = book.result, book.styles
    book.title(
        ws,
        "THUYẾT MINH CỦA CÁC ĐƠN VỊ",
        book.detail("Nguyên văn nội dung các đơn vị ghi ở trang «Thuyết minh» và cột «Ghi chú» của mẫu báo cáo."),
    )
    headers = ["Mã", "Đơn vị", *[label for _, label, _ in form.NARRATIVE], "Ngày lập báo cáo"]
    book.headers(ws, 3, headers, [6, 16, 50, 50, 50, 22, 16, 14])
    row = 4
    for unit in book.reporting:
        if unit.code not in result.reported:
            continue
        ws.write_string(row, 0, unit.code, s["wrap"])
        ws.write_string(row, 1, unit.name, s["wrap"])
        for offset, (key, _, _) in enumerate(form.NARRATIVE):
            book.put(ws, row, 2 + offset, result.text(unit.code, form.field_name(key, "text")), "wrap")
        day = result.text(unit.code, "in_report_date")
        book.put(
            ws,
            row,
            2 + len(form.NARRATIVE),
            format_date(date.fromisoformat(day)) if day else None,
            "wrap",
        )
        row += 1
    book.table_end(ws, 3, row - 1, len(headers))
    notes_row = row + 2
    ws.write_string(notes_row, 0, "Ghi chú theo chỉ tiêu", s["bold"])
    for col, label in enumerate(["Mã", "Đơn vị", "Chỉ tiêu", "Ghi chú"]):
        ws.write_string(notes_row + 1, col, label, s["header"])
    row = notes_row + 2
    for unit in book.reporting:
        for indicator in book.plan.indicators:
            note = result.text(unit.code, form.field_name(indicator.code, "note"))
            if note:
                for col, value in enumerate([unit.code, unit.name, indicator.short_name, note]):
                    ws.write_string(row, col, value, s["wrap"])
                row += 1

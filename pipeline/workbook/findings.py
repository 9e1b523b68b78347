"""«Lỗi và cảnh báo»: every finding of the round's files."""

from __future__ import annotations

from pipeline.core.findings import SEVERITY_LABELS
from pipeline.core.vietnamese import round_title
from pipeline.workbook.book import STATUS_LABELS, Book, fitted_height


def write(book: Book, ws) -> None:
    result = book.result
    book.title(ws, f"LỖI VÀ LƯU Ý CỦA CÁC TỆP – {round_title(result.round).upper()}", book.detail(""))
    # "Loại": the rule's Vietnamese name beside its code (a finding recorded before rules had names shows
    # its code alone there)
    headers = ["Mã sổ ghi", "Tệp", "Đơn vị", "Trạng thái tệp", "Mức độ", "Loại", "Mã", "Trang", "Ô", "Nội dung"]
    widths = [9, 30, 8, 16, 8, 24, 22, 12, 8, 90]
    book.headers(ws, 3, headers, widths)
    row = 4
    for record in book.records(this_round=True):
        for finding in result.findings.get(record.id, []):
            values = [
                record.id,
                record.shown_name,
                record.unit,
                STATUS_LABELS.get(record.status, record.status),
                SEVERITY_LABELS[finding.severity],
                str(finding.params.get("title") or finding.code),
                finding.code,
                finding.sheet,
                finding.cell,
                finding.message,
            ]
            for col, value in enumerate(values):
                book.put(ws, row, col, value, "plain" if col == 0 else "wrap")
            ws.set_row(row, fitted_height((str(v), w) for v, w in zip(values, widths, strict=True) if v))
            row += 1
    book.table_end(ws, 3, row - 1, len(headers))

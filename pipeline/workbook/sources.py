"""«Nguồn dữ liệu»: every file the round rests on, with its SHA-256, superseded ones too."""

from __future__ import annotations

from pipeline.workbook.book import STATUS_LABELS, Book

STYLES = ["plain"] + ["text"] * 9  # the ledger id without a thousands separator


def write(book: Book, ws) -> None:
    book.title(
        ws,
        "NGUỒN DỮ LIỆU: MỌI TỆP ĐÃ NHẬN",
        "Bản gốc nguyên vẹn của mỗi tệp nằm ở «Lưu tại», kiểm chứng bằng SHA-256.",
    )
    headers = [
        "Mã sổ ghi",
        "Tệp gốc",
        "Người gửi",
        "Ngày nhận",
        "Đơn vị",
        "Kỳ báo cáo",
        "Phiên bản mẫu",
        "Trạng thái",
        "SHA-256",
        "Lưu tại",
    ]
    book.headers(ws, 3, headers, [9, 32, 24, 20, 8, 12, 9, 18, 66, 60])
    records = sorted(book.records(this_round=False, every_area=True), key=lambda r: r.id)
    for index, record in enumerate(records):
        values = [
            record.id,
            record.shown_name,
            record.sender,
            record.received_at,
            record.unit,
            record.round,
            record.template_version,
            STATUS_LABELS.get(record.status, record.status),
            record.sha256,
            record.stored_path,
        ]
        book.put_row(ws, 4 + index, values, STYLES)
    book.table_end(ws, 3, 3 + len(records), len(headers))

"""«Các phần»: in a workbook split by area, each area's detail workbook, with the SHA-256 of the file
as it was when this summary was written: an auditor follows an area's line on «Tổng hợp» to the
matching total line of that file, and from there to every source cell."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from pipeline.workbook.book import Book


def write(book: Book, ws) -> Callable[[Path], None]:
    """Lays the sheet out; the digests are filled by the function it returns, given the summary's
    folder, once the areas' workbooks are written (the summary is laid out while they are)."""
    s = book.styles
    book.title(ws, "CÁC PHẦN CHI TIẾT THEO KHU VỰC",
               "Số của mỗi khu vực ở trang «Tổng hợp» là dòng «Cộng …» của tệp chi tiết khu vực đó; tệp chi tiết "
               "có từng đơn vị, số liệu từng năm, lỗi và cảnh báo, và nguồn của từng số (trang «Truy nguồn»). "
               "Kiểm chứng tệp bằng SHA-256.")
    headers = ["TT", "Khu vực", "Số đơn vị", "Tệp chi tiết", "SHA-256"]
    book.headers(ws, 3, headers, [6, 28, 9, 52, 66])
    for index, line in enumerate(book.lines):
        for col, value in enumerate([line.number, line.name, len(line.units), line.part]):
            book.put(ws, 4 + index, col, value, "number" if isinstance(value, int) else "text")
    ws.write_string(5 + len(book.lines), 1, "Đường dẫn tệp chi tiết tính từ thư mục chứa tệp này.", s["italic"])
    book.table_end(ws, 3, 3 + len(book.lines), len(headers))

    def digests(folder: Path) -> None:
        for index, line in enumerate(book.lines):
            path = folder / line.part
            book.put(ws, 4 + index, 4, hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "Chưa lập",
                     "text")
    return digests

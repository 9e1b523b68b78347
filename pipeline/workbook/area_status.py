"""«Tình hình nộp báo cáo» of a summary split by area: per area (and the province level), how many
units reported, on time or late, were returned or have sent nothing; each unit's line is in its
area's detail workbook."""

from __future__ import annotations

from pipeline.core.vietnamese import format_date, round_title
from pipeline.figures.timeliness import UnitState, tally, unit_states
from pipeline.workbook.book import Book, Line, cell, unit_line

HEADERS = ["TT", "Khu vực / đơn vị", "Số đơn vị", "Đã báo cáo", "Đúng hạn", "Trễ hạn",
           "Đã gửi, chưa tính (bị trả lại, chờ xác nhận, gửi sau khi chốt)", "Chưa gửi", "Tỷ lệ đã báo cáo",
           "Chi tiết từng đơn vị"]


def counts(book: Book, line: Line, states: dict[str, UnitState]) -> list[int]:
    """Units, reported, on time, late, sent but not counted, nothing sent: the one judgement of every
    output (figures/timeliness.py)."""
    n = tally(states[u.code] for u in book.reporting_in(line))
    return [n.units, n.reported, n.on_time, n.late, n.not_counted, n.missing]


def write(book: Book, ws) -> None:
    result, s = book.result, book.styles
    rnd = result.round
    book.title(ws, f"TÌNH HÌNH NỘP BÁO CÁO – {round_title(rnd).upper()}",
               f"Hạn nộp của các đơn vị: {format_date(rnd.district_deadline)}. Từng đơn vị (tệp, ngày nhận, số lỗi) "
               "ở trang cùng tên của tệp chi tiết khu vực (cột cuối; danh sách ở trang «Các phần»).")
    book.headers(ws, 3, HEADERS, [6, 28, 9, 10, 9, 9, 14, 9, 11, 44])
    ws.set_row(3, 75)
    states = {s.unit.code: s for s in unit_states(book.plan.units, result.round_records, result.reported,
                                                  result.approved, rnd)}
    lines = [unit_line(u) for u in book.reporting] + book.lines
    first = 4
    for index, line in enumerate(lines):
        row = first + index
        ws.write_string(row, 0, line.number, s["text"])
        ws.write_string(row, 1, line.name, s["text"])
        figures = counts(book, line, states)
        for col, value in enumerate(figures, start=2):
            ws.write_number(row, col, value, s["number"])
        book.rate(ws, row, 8, 3, 2, _share(figures))
        book.put(ws, row, 9, line.part or "Tệp này (các trang chi tiết)")
    total = first + len(lines)
    ws.write_string(total, 1, book.total_label, s["bold_text"])
    every = [sum(column) for column in zip(*(counts(book, line, states) for line in lines), strict=True)]
    for col, value in enumerate(every, start=2):
        ws.write_formula(total, col, f"=SUM({cell(first, col)}:{cell(total - 1, col)})", s["bold_number"], value)
    book.rate(ws, total, 8, 3, 2, _share(every))
    ws.autofilter(3, 0, total - 1, len(HEADERS) - 1)
    ws.freeze_panes(4, 2)
    book.page(ws, 3)


def _share(row: list[int]) -> float | None:
    return row[1] / row[0] if row[0] else None

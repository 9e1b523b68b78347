"""«Tình hình nộp báo cáo»: who reported, when, how late, with how many findings."""

from __future__ import annotations

from pipeline.core.vietnamese import format_date, round_title, senders_word
from pipeline.figures.timeliness import days_late, first_sent, received_day, sent_by_unit, supplemented_late
from pipeline.workbook.book import STATUS_LABELS, Book


def write(book: Book, ws) -> None:
    result, s = book.result, book.styles
    rnd = result.round
    book.title(
        ws,
        f"TÌNH HÌNH NỘP BÁO CÁO – {round_title(rnd).upper()}",
        f"Hạn nộp của các {senders_word(book.plan.units_for(rnd))}: {format_date(rnd.district_deadline)}. "
        "Ngày nhận là ngày gửi thư "
        "(nếu tệp đến qua thư điện tử) hoặc ngày tệp được đưa vào hộp thư đến.",
    )
    headers = [
        "Mã",
        "Đơn vị",
        "Đã báo cáo",
        "Tệp",
        "Ngày nhận",
        "Hạn nộp",
        "Đúng hạn",
        "Số ngày trễ",
        "Trạng thái",
        "Số lỗi",
        "Số lưu ý",
        "Số tệp đã gửi",
    ]
    book.headers(ws, 3, headers, [6, 18, 11, 34, 12, 12, 10, 10, 20, 8, 8, 10])
    # timeliness: the unit's first file, as every output judges it (figures/timeliness.py)
    files, first = sent_by_unit(result.round_records), first_sent(result.round_records)
    for index, unit in enumerate(book.reporting):
        row = 4 + index
        sent = files.get(unit.code, [])
        record = result.reported.get(unit.code) or (sent[-1] if sent else None)
        accepted = unit.code in result.reported
        received = received_day(record) if record else None
        opening = first.get(unit.code, record)
        late = days_late(opening, rnd) if opening else None
        later = accepted and opening is not None and supplemented_late(opening, record, rnd)
        findings = result.findings.get(record.id, []) if record else []
        values = [
            unit.code,
            unit.name,
            "Có" if accepted else ("Bị trả lại" if sent else "Chưa"),
            record.shown_name if record else None,
            format_date(received) if received else None,
            format_date(rnd.district_deadline),
            ("Có" if late == 0 else "Trễ") if accepted and late is not None else None,
            late if accepted and late is not None else None,
            (STATUS_LABELS.get(record.status, record.status) + (" – bổ sung sau hạn" if later else ""))
            if record else "Chưa nhận",
            sum(f.severity == "error" for f in findings) if record else None,
            sum(f.severity == "warning" for f in findings) if record else None,
            len(sent),
        ]
        for col, value in enumerate(values):
            book.put(ws, row, col, value, "number" if isinstance(value, int) else "text")
    last = 3 + len(book.reporting)
    summary = last + 2
    reported = sum(u.code in result.reported for u in book.reporting)
    on_time = sum(1 for u in book.reporting if (r := result.reported.get(u.code))
                  and days_late(first.get(u.code, r), rnd) == 0)
    count = len(book.reporting)
    for offset, (label, column, done) in enumerate(
        (("Tỷ lệ đơn vị đã báo cáo", "C", reported), ("Tỷ lệ đơn vị báo cáo đúng hạn", "G", on_time))
    ):
        ws.write_string(summary + offset, 1, label, s["bold_text"])
        if count:
            ws.write_formula(summary + offset, 2, f'=COUNTIF({column}5:{column}{last + 1},"Có")/{count}',
                             s["percent"], done / count)
        else:  # an area whose units all ended before this round: no rate, and no division by zero
            ws.write_string(summary + offset, 2, "–", s["text"])
            ws.write_string(summary + offset, 3, "không có đơn vị báo cáo trong kỳ này", s["text"])
    ws.autofilter(3, 0, last, len(headers) - 1)
    ws.freeze_panes(4, 2)
    book.page(ws, 3)

"""«Tình hình nộp báo cáo»: who reported, when, how late, with how many findings."""

from __future__ import annotations

from pipeline.core.vietnamese import format_date, round_title, senders_word
from pipeline.figures.timeliness import received_day, tally, unit_states
from pipeline.workbook.book import STATUS_LABELS, Book, fitted_height

WRAPPED = (1, 2, 3)  # the unit, its state and its file: wrapped, each row as tall as they need


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
        "Tình trạng",
        "Tệp",
        "Ngày nhận",
        "Hạn nộp",
        "Đúng hạn",
        "Số ngày trễ",
        "Trạng thái tệp",
        "Số lỗi",
        "Số lưu ý",
        "Số tệp đã gửi",
    ]
    widths = [6, 18, 22, 30, 12, 12, 10, 10, 20, 8, 8, 10]
    book.headers(ws, 3, headers, widths)
    # the one judgement of every output (figures/timeliness.py): sent is sent, timeliness by the first file
    states = unit_states(book.reporting, result.round_records, result.reported, result.approved, rnd)
    for index, state in enumerate(states):
        row = 4 + index
        record = state.record
        findings = result.findings.get(record.id, []) if record else []
        values = [
            state.unit.code,
            state.unit.name,
            state.words,
            record.shown_name if record else None,
            format_date(received_day(record)) if record else None,
            format_date(rnd.district_deadline),
            ("Trễ" if state.days_late else "Có") if state.counted else None,
            state.days_late if state.counted else None,
            STATUS_LABELS.get(record.status, record.status) if record else "Chưa nhận",
            sum(f.severity == "error" for f in findings) if record else None,
            sum(f.severity == "warning" for f in findings) if record else None,
            state.files,
        ]
        book.put_row(ws, row, values, ["number" if isinstance(value, int) else "wrap" if col in WRAPPED else "text"
                                       for col, value in enumerate(values)])
        ws.set_row(row, fitted_height([(state.unit.name, widths[1]), (state.words, widths[2]),
                                       (record.shown_name if record else "", widths[3])]))
    last = 3 + len(states)
    summary = last + 2
    n = tally(states)
    count = n.units
    on_time = f"G5:G{last + 1}"  # «Có» or «Trễ» for a counted unit, blank for any other
    lines = (
        ("Tỷ lệ đơn vị đã báo cáo", f'=(COUNTIF({on_time},"Có")+COUNTIF({on_time},"Trễ"))/{count}', n.reported),
        ("Tỷ lệ đơn vị báo cáo đúng hạn", f'=COUNTIF({on_time},"Có")/{count}', n.on_time),
        ("Tỷ lệ đơn vị đã gửi tệp (kể cả tệp bị trả lại)", f'=COUNTIF(L5:L{last + 1},">0")/{count}',
         n.units - n.missing),
    )
    for offset, (label, formula, done) in enumerate(lines):
        ws.write_string(summary + offset, 1, label, s["bold_wrap"])
        ws.set_row(summary + offset, fitted_height([(label, widths[1])]))
        if count:
            ws.write_formula(summary + offset, 2, formula, s["percent"], done / count)
        else:  # an area whose units all ended before this round: no rate, and no division by zero
            ws.write_string(summary + offset, 2, "–", s["text"])
            ws.write_string(summary + offset, 3, "không có đơn vị báo cáo trong kỳ này", s["text"])
    ws.autofilter(3, 0, last, len(headers) - 1)
    ws.freeze_panes(4, 2)
    book.page(ws, 3)

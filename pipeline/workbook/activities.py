"""«Hoạt động»: what each unit reported on the activities without numeric targets, with the count
of units that carried each out and the sums of events and participants (live formulas)."""

from __future__ import annotations

from pipeline.core.vietnamese import round_title
from pipeline.plan import activities, form
from pipeline.workbook.book import Book, cell

WIDTHS = [7, 20, 16, 12, 12, 40]


def write(book: Book, ws) -> None:
    plan, result, s = book.plan, book.result, book.styles
    asks = list(activities.ASKS)
    headers = ["Mã", "Đơn vị", *[activities.ASKS[a][1] for a in asks]]
    book.title(ws, f"CÁC HOẠT ĐỘNG KHÔNG CÓ CHỈ TIÊU SỐ – {round_title(result.round).upper()}",
               book.detail("Theo tệp được tiếp nhận của mỗi đơn vị; ô trống: kế hoạch không hỏi, hoặc đơn vị chưa "
                           "báo cáo."),
               across=tuple(WIDTHS))
    widths = WIDTHS
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    row = 3
    rnd = result.round
    for activity in (a for a in plan.activities if rnd.regular or a.code in rnd.activities):
        ws.merge_range(row, 0, row, len(headers) - 1, f"{activity.group}. {activity.name}", s["group"])
        ws.set_row(row, 30)
        book.headers(ws, row + 1, headers, widths)
        first = row + 2
        for offset, unit in enumerate(book.reporting):
            line = first + offset
            ws.write_string(line, 0, unit.code, s["text"])
            ws.write_string(line, 1, unit.name, s["text"])
            for col, ask in enumerate(asks, start=2):
                name = form.field_name(activities.subject(activity.code), ask)
                if ask == "done":
                    done = result.number(unit.code, name)
                    book.put(ws, line, col, None if done is None else bool(done))
                elif ask == "note":
                    book.put(ws, line, col, result.text(unit.code, name), "wrap")
                else:
                    book.put(ws, line, col, result.number(unit.code, name), "number")
        last = first + len(book.reporting) - 1
        total = last + 1
        ws.write_string(total, 1, "Cộng", s["bold_text"])
        done_count = sum(1 for u in book.reporting if result.number(
            u.code, form.field_name(activities.subject(activity.code), "done")))
        ws.write_formula(total, 2, f'=COUNTIF({cell(first, 2)}:{cell(last, 2)},"{activities.YES}")',
                         s["bold_number"], done_count)
        for col, ask in ((3, "events"), (4, "participants")):
            figure = sum(result.number(u.code, form.field_name(activities.subject(activity.code), ask)) or 0
                         for u in book.reporting)
            ws.write_formula(total, col, f"=SUM({cell(first, col)}:{cell(last, col)})", s["bold_number"], figure)
        row = total + 2
    book.page(ws, None)

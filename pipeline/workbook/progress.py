"""«Tiến độ»: each unit and indicator against the share of the target the schedule expects by the end
of the round's year (pipeline/schedule.py), coloured by status."""

from __future__ import annotations

from pipeline.core.vietnamese import format_percent, round_title
from pipeline.figures.consolidate import Standing, group_standing, group_target, standing
from pipeline.plan import schedule
from pipeline.plan.model import Unit
from pipeline.workbook.book import Book, allocated

STATUS_STYLES = {schedule.DONE: "band_high_cell", schedule.ON_TRACK: "on_track", schedule.BEHIND: "band_mid_cell",
                 schedule.OVERDUE: "band_low_cell", schedule.NO_DATA: "text", schedule.NO_TARGET: "text"}


def write(book: Book, ws) -> None:
    plan, result, s = book.plan, book.result, book.styles
    rnd = result.round
    basis = "số thực hiện cả năm" if rnd.kind == "update" else "có số ước thực hiện cả năm"
    book.title(
        ws,
        f"TIẾN ĐỘ SO VỚI THỜI GIAN HOÀN THÀNH – {round_title(rnd).upper()}",
        f"Lũy kế đến hết năm {rnd.year} ({basis}) "
        "so với phần chỉ tiêu cần đạt theo thời gian hoàn thành ghi ở phụ lục: khoảng năm chia đều mỗi năm, "
        "danh sách năm chia đều cho các năm đó (có thể đổi trong schedule.csv của kế hoạch).",
    )
    headers = ["Mã", "Đơn vị"] + [
        f"{i.no}. {i.short_name}\nHoàn thành: {i.window}\nCần đạt đến hết {rnd.year}: "
        f"{format_percent(schedule.expected_share(i.milestones, rnd.year))}"
        for i in plan.indicators]
    book.headers(ws, 3, headers, [6, 20, *[19] * len(plan.indicators)])
    ws.set_row(3, 120)
    lines = set(book.units)  # the allocation's lines (a successor's figures are in its former unit's)
    whole = standing(plan, result, "total") if book.area is None else _area_standing(book, book.area.units)
    rows = [("", book.total_label, whole),
            *((u.code, u.name, standing(plan, result, u.code)) for u in book.members if u in lines)]
    if book.split and book.area is None:
        rows += [(line.number, line.name, _area_standing(book, line.units)) for line in book.lines]
    for index, (code, name, table) in enumerate(rows):
        row = 4 + index
        ws.set_row(row, 44)  # a status (up to two lines) and its percentage
        ws.write_string(row, 0, code, s["bold_text" if index == 0 else "text"])
        ws.write_string(row, 1, name, s["bold_text" if index == 0 else "text"])
        for col, indicator in enumerate(plan.indicators, start=2):
            mark = table[indicator.code]
            text = schedule.LABELS[mark.status]
            if mark.cumulative is not None and mark.target:
                text += f"\n({format_percent(mark.cumulative / mark.target)})"
            ws.write_string(row, col, text, s[STATUS_STYLES[mark.status]])
    legend = 5 + len(rows)
    ws.write_string(legend, 1, "Chú thích:", s["italic"])
    for offset, state in enumerate((schedule.DONE, schedule.ON_TRACK, schedule.BEHIND, schedule.OVERDUE)):
        ws.write_string(legend + offset, 2, schedule.LABELS[state], s[STATUS_STYLES[state]])
        ws.set_row(legend + offset, 30)
    ws.freeze_panes(4, 2)
    book.page(ws, 3)


def _area_standing(book: Book, members: tuple[Unit, ...]) -> dict[str, Standing]:
    units = allocated(members)
    targets = {i.code: group_target(book.plan, units, i.code) for i in book.plan.indicators}
    return group_standing(book.plan, book.result, units, targets)

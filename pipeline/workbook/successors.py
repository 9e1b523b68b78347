"""«Theo đơn vị mới»: the units formed in a change (communes since 1 July 2025), each with the former
units whose lines it goes on and its own year's and cumulative figures; «Tổng hợp» keeps the former
units' view."""

from __future__ import annotations

from pipeline.core.vietnamese import format_date
from pipeline.plan.model import Plan, Unit
from pipeline.workbook.book import Book, fitted_height

WIDTHS = (7, 16, 16, 10)  # code, unit, the units it continues, since
BLOCK_WIDTH = 9
PER_PAGE = 3  # indicators side by side on one A4 page

def write(book: Book, ws) -> None:
    plan, result, s = book.plan, book.result, book.styles
    year = result.round.year
    day = result.round.district_deadline
    current = [u for u in book.members if u.valid_from is not None and u.valid_from <= day
               and (u.valid_to is None or day < u.valid_to)]
    headers = ["Mã", "Đơn vị", "Kế tục", "Từ ngày"]
    groups = [(f"{i.no}. {i.short_name} ({i.unit})", [f"Năm {year}", "Lũy kế", "Chỉ tiêu riêng", "% chỉ tiêu riêng"])
              for i in plan.indicators]
    first = len(headers)
    book.block_heading(ws, 2, "SỐ LIỆU THEO ĐƠN VỊ MỚI (ĐƠN VỊ KẾ TỤC)",
                       "Mỗi đơn vị mới với số liệu của chính đơn vị đó; trang «Tổng hợp» cộng các số này vào đơn vị "
                       "cũ (hoạt động: cộng dồn; tổ, nhóm, CLB: lấy số hiện có của các đơn vị mới). Chỉ tiêu riêng: "
                       "khi kế hoạch giao chỉ tiêu cho đơn vị mới.", WIDTHS, first, 4 * PER_PAGE,
                       first + 4 * len(plan.indicators) - 1, BLOCK_WIDTH)
    first = book.grouped_header(ws, headers, groups, heights=(48, 30))
    for col, width in enumerate(WIDTHS):
        ws.set_column(col, col, width)
    ws.set_column(first, first + 4 * len(plan.indicators) - 1, BLOCK_WIDTH)
    row = 5
    for unit in current:
        progress = result.own_progress(unit.code)
        ws.write_string(row, 0, unit.code, s["text"])
        ws.write_string(row, 1, unit.name, s["wrap"])
        ws.write_string(row, 2, _continues(plan, unit), s["wrap"])
        ws.set_row(row, fitted_height([(unit.name, WIDTHS[1]), (_continues(plan, unit), WIDTHS[2])]))
        ws.write_string(row, 3, format_date(unit.valid_from) if unit.valid_from else "", s["text"])
        for k, indicator in enumerate(plan.indicators):
            col, figure = first + 4 * k, progress[indicator.code]
            this_year = figure.years.get(year)
            book.put(ws, row, col, this_year.value if this_year else None, "number")
            book.put(ws, row, col + 1, figure.cumulative, "number")
            target = plan.targets[unit.code][indicator.code] if plan.has_targets(unit.code) else None
            book.put(ws, row, col + 2, target or None, "number")
            if target:
                book.rate(ws, row, col + 3, col + 1, col + 2, (figure.cumulative or 0) / target)
            else:
                ws.write_blank(row, col + 3, None, s["text"])
        row += 1
    book.print_in_blocks(ws, (3, 4), len(headers), first, 4, len(plan.indicators), PER_PAGE, 85)


def _continues(plan: Plan, unit: Unit) -> str:
    """Whose line the unit's figures go on: 'Mộc Châu', 'Mộc Châu (tính cả), Vân Hồ' or none."""
    if not unit.former:
        return "Ngoài phân bổ chỉ tiêu"
    shares = dict(unit.shares)
    return ", ".join(plan.unit(c).name + ("" if len(unit.former) == 1 else f" ({shares.get(c, 0)}%)")
                     for c in unit.former)

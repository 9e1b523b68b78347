"""«Tổng hợp»: the appendix's layout, targets, the year's figure, cumulative figures and % of target,
live formulas. Also the report's annex (the same sheet alone, with the line that ties it to the
report)."""

from __future__ import annotations

from pipeline.core.vietnamese import round_title
from pipeline.figures.consolidate import group_target, share, total_progress, year_total
from pipeline.figures.report_figures import last_round, successors_reporting
from pipeline.workbook.book import (
    BASIS_LABELS,
    PROGRESS_BANDS,
    Book,
    Line,
    allocated,
    cell,
    fitted_height,
    sum_or_blank,
    unit_line,
)

# Each indicator's columns, in order; Book.summary_cols holds the first (the target).
BLOCK = ("target", "year", "cumulative", "percent")
PER_PAGE = 3  # indicators printed side by side on one A4 page, units repeated at the left
FIXED = ["TT", "Đơn vị", "Số bản ĐBKK", "Căn cứ số liệu"]
WIDTHS = (4, 15, 8, 16)  # of the FIXED columns
BLOCK_WIDTH = 8.5


def labels(book: Book) -> list[str]:
    rnd = book.result.round
    if rnd.kind == "annual":
        return ["Chỉ tiêu giai đoạn", f"Ước TH năm {rnd.year}", "Ước lũy kế", "% chỉ tiêu"]
    return ["Chỉ tiêu giai đoạn", f"TH năm {rnd.year}", "Lũy kế", "% chỉ tiêu"]


def note(book: Book) -> str:
    rnd = book.result.round
    estimate = ("Số năm và lũy kế có số ước thực hiện cả năm (báo cáo tháng 9). " if rnd.kind == "annual" else "")
    return (f"Theo biểu chỉ tiêu kèm {book.plan.document}. {estimate}Lũy kế: tổ, nhóm, CLB, địa chỉ (tồn tại và "
            "duy trì) lấy số mới nhất; cuộc, cán bộ (hoạt động) cộng dồn các năm. Căn cứ: «Chính thức» là số "
            "cập nhật cả năm, «Ước tính» có năm dựa trên số ước tháng 9. Đơn vị chưa báo cáo kỳ này giữ số liệu "
            "đã tiếp nhận gần nhất (ghi ở cột Căn cứ).")


def basis(book: Book, unit: str) -> str:
    text = book.basis(unit)
    if unit in book.result.reported or text == BASIS_LABELS[None]:
        return text
    plan = book.plan
    counts = successors_reporting(plan, book.result, plan.unit(unit))
    if counts:  # ended before this round: its successors report in its place
        return f"{text}; {counts[0]}/{counts[1]} đơn vị kế tục báo cáo kỳ này"
    source = last_round(book.plan, book.result, unit)
    return f"{text}; chưa báo cáo kỳ này, số liệu {round_title(source)}" if source else text


def write(book: Book, ws, *, annex_line: str = "") -> None:
    plan, result = book.plan, book.result
    title = f"TỔNG HỢP KẾT QUẢ THỰC HIỆN DỰ ÁN 8 – {round_title(result.round).upper()}"
    if book.area is not None:
        title += f" – {book.area.name.upper()}"
    heading = 3 if annex_line else 2  # the header starts where it always has: the auditors' and tests' rows
    book.block_heading(ws, heading, f"PHỤ LỤC: {title}" if annex_line else title,
                       "\n".join([annex_line, note(book)] if annex_line else [note(book)]), WIDTHS,
                       len(FIXED), len(BLOCK) * PER_PAGE, len(FIXED) + len(BLOCK) * len(plan.indicators) - 1,
                       BLOCK_WIDTH)
    top = heading + 1
    first = book.grouped_header(
        ws, FIXED, [(f"{i.no}. {i.short_name} ({i.unit})", labels(book)) for i in plan.indicators],
        heights=(62, 30), top=top,
    )
    for k, indicator in enumerate(plan.indicators):
        book.summary_cols[indicator.code] = first + len(BLOCK) * k
    for col, width in enumerate(WIDTHS):
        ws.set_column(col, col, width)
    ws.set_column(first, first + len(BLOCK) * len(plan.indicators) - 1, BLOCK_WIDTH)
    sub = top + 1
    ws.freeze_panes(sub + 1, 2)
    rows = _unit_rows(book, ws, sub)
    last_d = max(rows.values())
    if not book.lines:
        last_d = max(last_d, rows["total"])
    for indicator in plan.indicators:
        _indicator_columns(book, ws, indicator, rows)
    _legend(book, ws, last_d + 2)
    book.print_in_blocks(ws, (top, sub), len(FIXED), first, len(BLOCK), len(plan.indicators), PER_PAGE, 88)


OUTSIDE_HEADING = "Đơn vị ngoài phân bổ chỉ tiêu"


def _sections(book: Book) -> tuple[list, list]:
    """The lines under «II» (districts or areas) and under «III» (units outside the allocation, which the
    whole workbook shows apart; an area's part lists them among its lines)."""
    if book.area is not None or not book.outside:
        return book.lines, []
    outside = {u.code for u in book.outside}
    return [ln for ln in book.lines if ln.key not in outside], [ln for ln in book.lines if ln.key in outside]


def _unit_rows(book: Book, ws, sub: int) -> dict[str, int]:
    """Rows from `sub` + 1: the total, the province level (I), the districts or areas (II) under their
    subtotal and the units outside the allocation (III) under theirs; a part of a split workbook has its
    area's total and its units only."""
    plan, s = book.plan, book.styles
    total_row = sub + 1
    rows = {"total": total_row}
    if book.area is None:
        rows |= {plan.province_unit.code: sub + 2, "districts": sub + 3}
        heads = [(total_row, "", "Tổng cộng"), (sub + 2, "I", plan.province_unit.name),
                 (sub + 3, "II", "Các khu vực" if book.split else "Cấp huyện")]
    else:
        heads = [(total_row, "", f"Cộng {book.area.name}")]
    subtotal, first_d, last_d = _span(book, rows)
    district_lines, outside_lines = _sections(book)
    rows.update({line.key: first_d + i for i, line in enumerate(district_lines)})
    if outside_lines:
        rows["outside"] = last_d + 1
        heads.append((last_d + 1, "III", OUTSIDE_HEADING))
        rows.update({line.key: last_d + 2 + i for i, line in enumerate(outside_lines)})
        ws.write_blank(last_d + 1, 2, None, s["bold_number"])
    book.summary_rows = {k: v for k, v in rows.items() if k not in ("districts", "outside")}
    for row, number, name in heads:
        ws.write_string(row, 0, number, s["bold_text"])
        ws.write_string(row, 1, name, s["bold_text"])
        ws.write_blank(row, 3, None, s["bold_text"])
    covered = _covered(book)  # a total says how many units' figures it holds
    ws.write_string(total_row, 3, covered, s["wrap"])
    ws.set_row(total_row, fitted_height([(covered, WIDTHS[3])]))
    villages = sum(u.villages or 0 for u in book.districts)
    if subtotal != total_row:
        ws.write_formula(total_row, 2, f"={cell(subtotal, 2)}", s["bold_number"], villages)
        ws.write_blank(sub + 2, 2, None, s["number"])
        text = basis(book, plan.province_unit.code)
        ws.write_string(sub + 2, 3, text, s["wrap"])
        ws.set_row(sub + 2, fitted_height([(text, WIDTHS[3])]))
    ws.write_formula(subtotal, 2, f"=SUM({cell(first_d, 2)}:{cell(last_d, 2)})", s["bold_number"], villages)
    for line in book.lines:
        row = rows[line.key]
        ws.write_string(row, 0, line.number, s["text"])
        ws.write_string(row, 1, line.name, s["wrap"])
        ws.write_number(row, 2, sum(u.villages or 0 for u in allocated(line.units)), s["number"])
        text = line_basis(book, line)
        ws.write_string(row, 3, text, s["wrap"])
        ws.set_row(row, fitted_height([(line.name, WIDTHS[1]), (text, WIDTHS[3])]))
    return rows


def _covered(book: Book) -> str:
    """How many of the book's units the totals hold figures of (this round's, or kept from an earlier one)."""
    units = [u for line in book.reporting_lines() for u in book.reporting_in(line)]
    known = sum(any(p.cumulative is not None for p in book.result.own_progress(u.code).values()) for u in units)
    return f"Số liệu của {known}/{len(units)} đơn vị"


def _span(book: Book, rows: dict[str, int]) -> tuple[int, int, int]:
    """Section II's subtotal row (in an area's workbook, its total), its first and its last line's row."""
    subtotal = rows.get("districts", rows["total"])
    return subtotal, subtotal + 1, subtotal + len(_sections(book)[0])


def line_basis(book: Book, line: Line) -> str:
    """A unit's basis; an area's: estimates if any, and how many of its units reported this round."""
    if len(line.units) == 1 and not line.part:
        return basis(book, line.key)
    texts = {book.basis(u.code) for u in allocated(line.units)}
    text = next((BASIS_LABELS[k] for k in ("estimate", "final") if BASIS_LABELS[k] in texts), BASIS_LABELS[None])
    reporting = book.reporting_in(line)
    if not reporting:
        return f"{text}; không có đơn vị báo cáo kỳ này"
    reported = sum(u.code in book.result.reported for u in reporting)
    return f"{text}; {reported}/{len(reporting)} đơn vị báo cáo kỳ này"


def _indicator_columns(book: Book, ws, indicator, rows: dict[str, int]) -> None:
    plan, result, s = book.plan, book.result, book.styles
    col, code, year = book.summary_cols[indicator.code], indicator.code, result.round.year
    figures: dict[int, tuple[int, int | None]] = {}
    lines = ([unit_line(plan.province_unit)] if book.area is None else []) + book.lines
    for line in lines:
        units = allocated(line.units)
        row, target = rows[line.key], group_target(plan, units, code)
        cumulative = total_progress(result, units, code)
        ws.write_number(row, col, target, s["number"])
        book.put(ws, row, col + 1, year_total(result, units, code, year), "number")
        book.put(ws, row, col + 2, cumulative, "number")
        figures[row] = (target, cumulative)
    district_lines, outside_lines = _sections(book)
    districts = [u for line in district_lines for u in allocated(line.units)]
    subtotal, first_d, last_d = _span(book, rows)
    sums = {"districts": (group_target(plan, districts, code), year_total(result, districts, code, year),
                          total_progress(result, districts, code))}
    if outside_lines:
        outside = [u for line in outside_lines for u in line.units]
        sums["outside"] = (0, year_total(result, outside, code, year), total_progress(result, outside, code))
    if book.area is None:
        sums["total"] = (plan.totals["total"][code], year_total(result, book.units, code, year),
                         total_progress(result, book.units, code))
    for offset in range(3):
        c = col + offset
        ws.write_formula(subtotal, c, sum_or_blank(f"{cell(first_d, c)}:{cell(last_d, c)}"), s["bold_number"],
                         _cached(sums["districts"][offset]))
        parts = [rows[plan.province_unit.code], rows["districts"]] if book.area is None else []
        if outside_lines:
            first_o, last_o = rows["outside"] + 1, rows["outside"] + len(outside_lines)
            ws.write_formula(rows["outside"], c, sum_or_blank(f"{cell(first_o, c)}:{cell(last_o, c)}"),
                             s["bold_number"], _cached(sums["outside"][offset]))
            parts.append(rows["outside"])
        if book.area is None:
            ws.write_formula(rows["total"], c, sum_or_blank(",".join(cell(r, c) for r in parts)),
                             s["bold_number"], _cached(sums["total"][offset]))
    figures.update({rows.get(k, subtotal): (v[0], v[2]) for k, v in sums.items()})
    for line in outside_lines:  # no target: the cells say so instead of showing 0 and no rate
        ws.write_string(rows[line.key], col, "–", s["number"])
        figures.pop(rows[line.key], None)
        ws.write_string(rows[line.key], col + 3, "", s["percent"])
    if outside_lines:
        ws.write_string(rows["outside"], col, "–", s["bold_number"])
        figures.pop(rows["outside"], None)
        ws.write_string(rows["outside"], col + 3, "", s["percent"])
    for row, (target, cumulative) in figures.items():
        # no figure is no rate: blank, never a red 0.0% (a unit that has not reported has done nothing
        # the table can know of)
        share_now = share(cumulative, target)
        target_cell, cumulative_cell = cell(row, col), cell(row, col + 2)
        ws.write_formula(row, col + 3, f'=IF(AND({target_cell}>0,ISNUMBER({cumulative_cell})),'
                                       f'{cumulative_cell}/{target_cell},"")',
                         s["percent"], share_now if share_now is not None else "")
    for band in PROGRESS_BANDS:
        rule = {k: v for k, v in band.items() if k != "style"}
        ws.conditional_format(rows["total"], col + 3, last_d, col + 3, {**rule, "format": s[band["style"]]})


def _cached(value: float | None) -> float | str:
    return value if value is not None else ""


def _legend(book: Book, ws, row: int) -> None:
    """In the columns repeated on every printed page, so each page carries it whole."""
    s = book.styles
    ws.write_string(row, 1, "Mức hoàn thành:", s["italic"])
    for offset, (style, label) in enumerate((("band_low", "dưới 50%"), ("band_mid", "50–99%"),
                                             ("band_high", "từ 100%"))):
        ws.write_string(row + 1 + offset, 1, label, s[f"{style}_cell"])

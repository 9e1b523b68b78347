"""«Theo năm»: each year's figure and the cumulative one, per indicator and unit."""

from __future__ import annotations

from pipeline.figures.consolidate import Consolidation, total_progress, year_total
from pipeline.plan import areas
from pipeline.plan.model import Unit
from pipeline.workbook.book import BASIS_LABELS, Book, cell, sum_or_blank


def write(book: Book, ws) -> None:
    plan, result, s = book.plan, book.result, book.styles
    years = sorted({r.year for r in plan.rounds_through(result.round.id)})
    book.title(
        ws,
        "KẾT QUẢ TỪNG NĂM VÀ LŨY KẾ",
        "Số của mỗi năm lấy từ kỳ cập nhật cả năm nếu có, nếu không từ số ước tháng 9. "
        "«Trước kỳ» là số lũy kế do đơn vị tự khai ở kỳ đầu tiên (chỉ với hoạt động).",
    )
    headers = ["Mã", "Đơn vị", "Trước kỳ", *[str(y) for y in years], "Lũy kế", "Căn cứ"]
    ws.set_column(0, 0, 6)
    ws.set_column(1, 1, 20)
    ws.set_column(2, len(headers) - 2, 10)
    ws.set_column(len(headers) - 1, len(headers) - 1, 14)
    row = 3
    lines = _rows(book)  # the same for every indicator: a national summary's areas are 3,321 units to sort
    for indicator in plan.indicators:
        rule = "lũy kế = số mới nhất" if indicator.kind == "stock" else "lũy kế = cộng dồn các năm"
        ws.merge_range(
            row,
            0,
            row,
            len(headers) - 1,
            f"{indicator.no}. {indicator.name} ({indicator.unit}) – {rule}",
            s["group"],
        )
        ws.set_row(row, 30)  # a long indicator name wraps inside its band instead of running off the page
        row += 1
        for col, label in enumerate(headers):
            ws.write_string(row, col, label, s["header"])
        row += 1
        first = row
        for code, name, units in lines:
            ws.write_string(row, 0, code, s["text"])
            ws.write_string(row, 1, name, s["text"])
            book.put(ws, row, 2, _baseline(result, units, indicator.code), "number")
            for offset, year in enumerate(years):
                book.put(ws, row, 3 + offset, year_total(result, units, indicator.code, year), "number")
            cumulative_col = 3 + len(years)
            progress = result.progress[units[0].code][indicator.code] if len(units) == 1 else None
            if progress is not None and indicator.kind == "flow" and progress.cumulative is not None:
                ws.write_formula(
                    row,
                    cumulative_col,
                    f"=SUM({cell(row, 2)}:{cell(row, cumulative_col - 1)})",
                    s["number"],
                    progress.cumulative,
                )
            else:
                book.put(ws, row, cumulative_col, total_progress(result, units, indicator.code), "number")
            bases = {result.progress[u.code][indicator.code].basis for u in units}
            ws.write_string(row, cumulative_col + 1, BASIS_LABELS[_basis(bases)], s["text"])
            row += 1
        ws.write_string(row, 1, "Tổng cộng", s["bold_text"])
        totals = [_baseline(result, book.units, indicator.code)]
        totals += [year_total(result, book.units, indicator.code, y) for y in years]
        totals += [total_progress(result, book.units, indicator.code)]
        for offset, cached in enumerate(totals):
            col = 2 + offset
            ws.write_formula(row, col, sum_or_blank(f"{cell(first, col)}:{cell(row - 1, col)}"), s["bold_number"],
                             cached if cached is not None else "")
        row += 2
    book.page(ws, 0)


def _rows(book: Book) -> list[tuple[str, str, list[Unit]]]:
    """Each unit that succeeds none; in a summary split by area, those in no area, then each area's."""
    if not (book.split and book.area is None):
        return [(u.code, u.name, [u]) for u in book.units]
    roots = {u.code for u in book.units}
    own = [(u.code, u.name, [u]) for u in book.units if areas.area_of(book.plan, u.code) is None]
    return own + [(line.number, line.name, [u for u in line.units if u.code in roots]) for line in book.lines]


def _baseline(result: Consolidation, units: list[Unit], indicator: str) -> int | None:
    known = [p.baseline.value for u in units if (p := result.progress[u.code][indicator]).baseline]
    return sum(known) if known else None


def _basis(bases: set[str | None]) -> str | None:
    return "estimate" if "estimate" in bases else ("final" if "final" in bases else None)

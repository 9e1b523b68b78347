"""«Theo năm»: each year's figure and the cumulative one, per indicator and unit."""

from __future__ import annotations

from ..consolidate import total_progress, year_total
from .book import BASIS_LABELS, Book, cell


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
        for unit in book.units:
            progress = result.progress[unit.code][indicator.code]
            ws.write_string(row, 0, unit.code, s["text"])
            ws.write_string(row, 1, unit.name, s["text"])
            book.put(ws, row, 2, progress.baseline.value if progress.baseline else None, "number")
            for offset, year in enumerate(years):
                source = progress.years.get(year)
                book.put(ws, row, 3 + offset, source.value if source else None, "number")
            cumulative_col = 3 + len(years)
            if indicator.kind == "flow" and progress.cumulative is not None:
                ws.write_formula(
                    row,
                    cumulative_col,
                    f"=SUM({cell(row, 2)}:{cell(row, cumulative_col - 1)})",
                    s["number"],
                    progress.cumulative,
                )
            else:
                book.put(ws, row, cumulative_col, progress.cumulative, "number")
            ws.write_string(row, cumulative_col + 1, BASIS_LABELS[progress.basis], s["text"])
            row += 1
        ws.write_string(row, 1, "Tổng cộng", s["bold_text"])
        totals = [
            sum(
                p.baseline.value
                for u in book.units
                if (p := result.progress[u.code][indicator.code]).baseline
            )
        ]
        totals += [year_total(result, book.units, indicator.code, y) or 0 for y in years]
        totals += [total_progress(result, book.units, indicator.code) or 0]
        for offset, cached in enumerate(totals):
            col = 2 + offset
            ws.write_formula(
                row, col, f"=SUM({cell(first, col)}:{cell(row - 1, col)})", s["bold_number"], cached
            )
        row += 2
    book.page(ws, 0)

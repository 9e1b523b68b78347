"""«Kinh phí»: allocated and disbursed per source, with rates."""

from __future__ import annotations

from pipeline.figures.consolidate import Consolidation, share
from pipeline.plan import form
from pipeline.plan.model import Unit
from pipeline.workbook.book import LINE_WIDTHS, SUBMISSION_COLUMNS, Book, cell, fitted_height, sum_or_blank


def write(book: Book, ws) -> None:
    plan, result, s = book.plan, book.result, book.styles
    sources = plan.budget_sources
    disbursed_label = form.DISBURSED_LABELS[result.round.kind]
    book.title(ws, f"KINH PHÍ THỰC HIỆN DỰ ÁN 8 NĂM {result.round.year} (đơn vị: {plan.budget_unit})")
    sub = 4
    groups = [(source.name, f"budget_{source.code}") for source in sources] + [("Tổng các nguồn", "")]
    book.grouped_header(
        ws, SUBMISSION_COLUMNS,
        [(name, [form.ALLOCATED_LABEL, disbursed_label, "Tỷ lệ giải ngân"]) for name, _ in groups],
    )
    for col, width in enumerate(LINE_WIDTHS):
        ws.set_column(col, col, width)
    ws.set_column(3, 4 + 3 * len(groups), 13)
    first = sub + 1
    total_col = 4 + 3 * len(sources)
    lines = book.reporting_lines()
    for index, line in enumerate(lines):
        row = first + index
        book.line_columns(ws, row, line)
        units = book.reporting_in(line)
        sums: list[float | None] = [None, None]
        for k, (_, subject) in enumerate(groups[:-1]):
            col = 4 + 3 * k
            allocated = _sum(result, units, form.field_name(subject, "allocated"))
            disbursed = _sum(result, units, form.field_name(subject, "disbursed"))
            sums = [_plus(sums[0], allocated), _plus(sums[1], disbursed)]
            book.put(ws, row, col, allocated, "money")
            book.put(ws, row, col + 1, disbursed, "money")
            book.rate(ws, row, col + 2, col + 1, col, share(disbursed, allocated))
        for offset in (0, 1):
            cells = ",".join(cell(row, 4 + 3 * k + offset) for k in range(len(sources)))
            line_sum = sums[offset]
            ws.write_formula(row, total_col + offset, sum_or_blank(cells), s["money"],
                             line_sum if line_sum is not None else "")
        book.rate(ws, row, total_col + 2, total_col + 1, total_col, share(sums[1], sums[0]))
    total = first + len(lines)
    every = [u for line in lines for u in book.reporting_in(line)]
    ws.write_string(total, 1, book.total_label, s["bold_text"])
    reported = sum(u.code in result.reported for u in every)
    covered = f"Số liệu của {reported}/{len(every)} đơn vị đã báo cáo kỳ này"  # a total says whom it holds
    ws.write_string(total, 2, covered, s["wrap"])
    ws.set_row(total, fitted_height([(covered, LINE_WIDTHS[2])]))
    for k in range(len(groups)):
        col = 4 + 3 * k
        cached: list[float | None] = [None, None]
        for offset in (0, 1):
            measure = ("allocated", "disbursed")[offset]
            subjects = [f"budget_{src.code}" for src in sources] if k == len(sources) else [groups[k][1]]
            known = [n for u in every for subj in subjects
                     if (n := result.number(u.code, form.field_name(subj, measure))) is not None]
            cached[offset] = sum(known) if known else None
            ws.write_formula(
                total,
                col + offset,
                sum_or_blank(f"{cell(first, col + offset)}:{cell(total - 1, col + offset)}"),
                s["money_total"],
                cached[offset] if cached[offset] is not None else "",
            )
        book.rate(ws, total, col + 2, col + 1, col, share(cached[1], cached[0]))
    book.table_end(ws, sub, total, 4 + 3 * len(groups))


def _plus(total: float | None, more: float | None) -> float | None:
    return more if total is None else total if more is None else total + more


def _sum(result: Consolidation, units: list[Unit], name: str) -> int | float | None:
    """One unit's figure, or the sum of those the units gave (None when none gave one)."""
    known = [n for u in units if (n := result.number(u.code, name)) is not None]
    return sum(known) if known else None

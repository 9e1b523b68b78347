"""«Kinh phí»: allocated and disbursed per budget source, the totals and rates as formulas."""

from __future__ import annotations

from pipeline.core.xlsx import cell_name
from pipeline.plan import form
from pipeline.templates.cells import Cells


def write(t: Cells, ws) -> None:
    plan, rnd, s = t.plan, t.rnd, t.styles
    headers = ["TT", "Nguồn vốn", f"{form.ALLOCATED_LABEL} {rnd.year}",
               form.DISBURSED_LABELS[rnd.kind], "Tỷ lệ giải ngân"]
    widths = [6, 50, 18, 18, 12]
    header_row = t.head(ws, f"KINH PHÍ THỰC HIỆN DỰ ÁN 8 NĂM {rnd.year}",
                           f"Đơn vị báo cáo: {t.unit.name} – đơn vị tính: {plan.budget_unit}",
                           headers, widths, 32)
    first = header_row + 1
    for index, source in enumerate(plan.budget_sources):
        row = first + index
        t.fixed(ws, row, 0, index + 1, s["center"])
        t.fixed(ws, row, 1, source.name, s["cell"])
        t.input(ws, row, 2, form.field_name(f"budget_{source.code}", "allocated"))
        t.input(ws, row, 3, form.field_name(f"budget_{source.code}", "disbursed"))
        _rate(t, ws, row, f"budget_{source.code}")
    total = first + len(plan.budget_sources)
    t.fixed(ws, total, 0, "", s["bold_cell"])
    t.fixed(ws, total, 1, "Tổng cộng", s["bold_cell"])
    for col in (2, 3):
        top, bottom = cell_name(first, col), cell_name(total - 1, col)
        t.formula(ws, total, col, f"=SUM({top}:{bottom})", s["money_total"], 0,
                     form.output_name("budget_total", "allocated" if col == 2 else "disbursed"))
    _rate(t, ws, total, "budget_total")
    t.page(ws, header_row, len(headers))


def _rate(t: Cells, ws, row: int, subject: str) -> None:
    allocated, disbursed = cell_name(row, 2), cell_name(row, 3)
    t.formula(ws, row, 4, f'=IF(N({allocated})>0,N({disbursed})/{allocated},"")',
                 t.styles["percent"], "", form.output_name(subject, "rate"))

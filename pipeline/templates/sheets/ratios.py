"""«Tỷ lệ»: the plan's ratio targets, numerator and denominator typed, the ratio computed."""

from __future__ import annotations

from pipeline.core.xlsx import cell_name
from pipeline.plan import form
from pipeline.templates.cells import Cells, row_height


def write(t: Cells, ws) -> None:
    plan, s = t.plan, t.styles
    headers = ["TT", "Chỉ tiêu", "Mục tiêu", "Tử số", "Số lượng (tử số)", "Mẫu số",
               "Số lượng (mẫu số)", "Tỷ lệ đạt"]
    widths = [6, 40, 10, 30, 12, 30, 12, 10]
    header_row = t.head(ws, "CÁC CHỈ TIÊU TỶ LỆ", f"Đơn vị báo cáo: {t.unit.name}", headers, widths, 32)
    for index, ratio in enumerate(plan.ratios):
        row = header_row + 1 + index
        t.fixed(ws, row, 0, index + 1, s["center"])
        t.fixed(ws, row, 1, ratio.name, s["cell"])
        t.fixed(ws, row, 2, ratio.target_percent / 100, s["percent"])
        t.fixed(ws, row, 3, ratio.numerator, s["cell"])
        t.fixed(ws, row, 5, ratio.denominator, s["cell"])
        longest = max((ratio.name, widths[1]), (ratio.numerator, widths[3]),
                      (ratio.denominator, widths[5]), key=lambda p: len(p[0]) / p[1])
        ws.set_row(row, row_height(*longest))
        t.input(ws, row, 4, form.field_name(ratio.code, "num"))
        t.input(ws, row, 6, form.field_name(ratio.code, "den"))
        num, den = cell_name(row, 4), cell_name(row, 6)
        t.formula(ws, row, 7, f'=IF(N({den})>0,{num}/{den},"")', s["percent"], "",
                     form.output_name(ratio.code, "share"))
    t.page(ws, header_row, len(headers))

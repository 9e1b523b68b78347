"""«Thuyết minh»: the unit's own words (highlights, difficulties, proposals), who prepared the report
and when."""

from __future__ import annotations

from pipeline.plan import form
from pipeline.templates.cells import Cells


def write(t: Cells, ws) -> None:
    s = t.styles
    ws.set_column(0, 0, 6)
    ws.set_column(1, 1, 28)
    ws.set_column(2, 2, 90)
    t.merged(ws, 0, 0, 2, "THUYẾT MINH BÁO CÁO", s["title"])
    t.merged(ws, 1, 0, 2, f"Đơn vị báo cáo: {t.unit.name}", s["subtitle"])
    row = 3
    for number, (key, label, length) in enumerate(form.NARRATIVE, start=1):
        t.fixed(ws, row, 0, number, s["center"])
        t.fixed(ws, row, 1, label, s["cell"])
        t.input(ws, row, 2, form.field_name(key, "text"))
        ws.set_row(row, 120 if length > 500 else 22)
        row += 1
    t.fixed(ws, row, 0, len(form.NARRATIVE) + 1, s["center"])
    t.fixed(ws, row, 1, "Ngày lập báo cáo", s["cell"])
    t.input(ws, row, 2, "in_report_date")
    ws.set_row(row, 22)
    t.page(ws, 0, 3)
    ws.set_portrait()

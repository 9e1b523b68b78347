"""The template's sheet «Hoạt động»: one row per activity of the plan without a numeric target, an
input cell for each thing the plan asks about it (done, events, participants, note)."""

from __future__ import annotations

from pipeline.plan import activities, form
from pipeline.templates.cells import Cells


def write(template: Cells, ws) -> None:
    plan, rnd, s = template.plan, template.rnd, template.styles
    listed = [a for a in plan.activities if rnd.regular or a.code in rnd.activities]
    asks = list(activities.ASKS)
    headers = ["TT", "Hoạt động", *[activities.ASKS[a][1] for a in asks]]
    widths = [6, 50, 16, 14, 14, 40]
    header_row = template.head(ws, "CÁC HOẠT ĐỘNG KHÔNG CÓ CHỈ TIÊU SỐ",
                               f"Đơn vị báo cáo: {template.unit.name}. Ghi kết quả năm {template.rnd.year}; "
                               "ô màu xám: kế hoạch không hỏi.", headers, widths, 32)
    row = header_row + 1
    for group, title in plan.groups.items():
        members = [a for a in listed if a.group == group]
        if not members:
            continue
        template.merged(ws, row, 0, len(headers) - 1, f"{group}. {title}", s["group"])
        row += 1
        for number, activity in enumerate(members, start=1):
            template.fixed(ws, row, 0, f"{group}.{number}", s["center"])
            template.fixed(ws, row, 1, activity.name, s["cell"])
            for col, ask in enumerate(asks, start=2):
                if ask in activity.asks:
                    template.input(ws, row, col, form.field_name(activities.subject(activity.code), ask))
                else:
                    ws.write_blank(row, col, None, s["number"])
            row += 1
    template.page(ws, header_row, len(headers))

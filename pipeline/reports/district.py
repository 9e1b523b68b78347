"""What a district's (a unit's) own report says, as template variables (district_report.docx,
district_update_report.docx): its figures against its targets, ratios, budget and its own words."""

from __future__ import annotations

from datetime import date

from pipeline.core.vietnamese import bare_name, format_percent, place
from pipeline.figures.consolidate import Consolidation
from pipeline.figures.report_figures import unit_figure
from pipeline.plan import form
from pipeline.plan.model import Plan, Unit
from pipeline.reports.parts import Labels, budget, figure_row, figure_text, issuer_line, labels_context, place_date
from pipeline.reports.schedule import unit_schedule
from pipeline.reports.sentences import percent


def district_context(plan: Plan, result: Consolidation, unit: Unit) -> dict:
    rnd = result.round
    record = result.reported[unit.code]
    update = rnd.kind == "update"
    typed_day = result.text(unit.code, "in_report_date")
    day = date.fromisoformat(typed_day) if typed_day else rnd.district_deadline
    figures = {i.code: unit_figure(plan, result, unit, i.code) for i in plan.indicators}
    labels = Labels(rnd, list(figures.values()))
    standing = unit_schedule(plan, result, unit.code)
    untargeted = {} if plan.has_targets(unit.code) else {"target": "–", "percent": "–"}
    rows = [{"no": i.no, "name": i.name, **figure_row(labels, figures[i.code]), **standing[i.code], **untargeted}
            for i in plan.indicators]
    narratives = [
        {"title": label, "text": result.text(unit.code, form.field_name(key, "text")) or "(không nêu)"}
        for key, label, _ in form.NARRATIVE[:3]
    ]
    return {
        "draft": False,
        "parent": issuer_line(plan.reporting_body),
        # the place glued with no-break spaces: a narrow header cell wraps before it, never inside it
        # ("HỘI LHPN HUYỆN BẮC / YÊN" was printed)
        "issuer": "HỘI LHPN " + place(unit).upper().replace(" ", "\u00a0"),
        "recipients": [f"{plan.reporting_body} (b/c);", f"UBND {place(unit)} (b/c);", "Lưu: VT."],
        "place_date": place_date(bare_name(unit), day),
        "subject": (
            f"{'Bổ sung số liệu thực hiện' if update else 'Kết quả thực hiện'} Dự án 8 năm "
            f"{rnd.year} trên địa bàn {place(unit)}"
        ),
        "intro": (
            f"Thực hiện {plan.document}, Hội LHPN {place(unit)} báo cáo "
            f"{'số liệu thực hiện cả năm' if update else 'kết quả thực hiện năm'} {rnd.year} "
            f"(theo biểu báo cáo gửi Hội LHPN tỉnh, mã tiếp nhận {record.id:06d}) như sau:"
        ),
        **labels_context(labels),
        "indicator_rows": rows,
        "ratios": [
            {"name": r.name, "numerator": figure_text(p.numerator), "denominator": figure_text(p.denominator),
             "percent": percent(p.numerator, p.denominator), "target": format_percent(r.target_percent / 100)}
            for r in plan.ratios
            if (p := result.ratios[unit.code][r.code]) is not None
        ],
        "budget_unit": plan.budget_unit,
        "disbursed_label": form.DISBURSED_LABELS[rnd.kind],
        **budget(plan, result, [unit], reported_only=False),
        "narratives": narratives,
        # the chair named in the plan (units.csv `chair`), or a blank line to sign by hand: never the
        # preparer, who typed the figures but does not sign for the Union's standing committee
        "signer": unit.chair,
    }

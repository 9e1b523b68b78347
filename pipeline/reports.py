"""Render the reports of a round from its consolidation (jinja2 templates in report_templates/)."""

from __future__ import annotations

from pathlib import Path

import jinja2

from .atomic import write_text
from .consolidate import Consolidation, total_progress
from .plan import Plan
from .vietnamese import format_number, format_percent, round_title

TEMPLATE_DIR = Path(__file__).resolve().parent / "report_templates"
NO_DATA = "chưa báo cáo"


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def report_context(plan: Plan, result: Consolidation) -> dict:
    rnd = result.round
    units = list(plan.units)
    deadline = rnd.province_deadline
    groups = []
    for code, title in plan.groups.items():
        rows = []
        for indicator in (i for i in plan.indicators if i.group == code):
            target = sum(plan.targets[u.code][indicator.code] for u in units)
            cumulative = total_progress(result, units, indicator.code)
            rows.append({
                "no": indicator.no,
                "name": indicator.name,
                "unit": indicator.unit,
                "target": format_number(target),
                "cumulative": format_number(cumulative) if cumulative is not None else NO_DATA,
                "percent": format_percent(cumulative / target) if cumulative is not None and target else "–",
            })
        if rows:
            groups.append({"code": code, "title": title, "rows": rows})
    ratios = []
    for ratio in plan.ratios:
        parts = [result.ratios[u.code][ratio.code] for u in units]
        nums = [p.numerator for p in parts if p.numerator is not None]
        dens = [p.denominator for p in parts if p.denominator is not None]
        num, den = (sum(nums) if nums else None), (sum(dens) if dens else None)
        ratios.append({
            "name": ratio.name,
            "numerator": format_number(num) if num is not None else NO_DATA,
            "denominator": format_number(den) if den is not None else NO_DATA,
            "percent": format_percent(num / den) if num is not None and den else "–",
            "target": format_percent(ratio.target_percent / 100),
        })
    unit_rows = []
    for unit in units:
        values = [result.progress[unit.code][i.code].cumulative for i in plan.indicators]
        missing = all(v is None for v in values)
        unit_rows.append({
            "name": unit.name,
            "missing": missing,
            "figures": [format_number(v) if v is not None else NO_DATA for v in values],
        })
    return {
        "title": f"Báo cáo Dự án 8 – {round_title(rnd)}",
        "issuer": plan.reporting_body.upper().replace("HỘI LIÊN HIỆP PHỤ NỮ", "HỘI LHPN"),
        "issuer_short": plan.reporting_body,
        "place_date": f"{plan.province}, ngày {deadline.day} tháng {deadline.month} năm {deadline.year}",
        "subject": f"{round_title(rnd)} thực hiện {plan.short_title}",
        "document": plan.document,
        "reported_count": len(result.reported),
        "unit_count": len(units),
        "missing_units": [u.name for u in units if u.code not in result.reported],
        "groups": groups,
        "ratios": ratios,
        "unit_table": {"headers": [f"{i.no}. {i.short_name}" for i in plan.indicators], "rows": unit_rows},
    }


def report_name(round_id: str) -> str:
    return f"bao-cao_{round_id}.html"


def write_province_report(plan: Plan, result: Consolidation, out_dir: Path) -> Path:
    html = _environment().get_template("province_report.html.j2").render(report_context(plan, result))
    path = Path(out_dir) / result.round.id / report_name(result.round.id)
    write_text(path, html)
    return path

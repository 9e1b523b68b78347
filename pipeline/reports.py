"""The reports of a round, rendered from its consolidation: the province's report (Word and HTML)
with its annex, the January/February update with what changed, and one report per district.

Templates live in report_templates/ (docxtpl for Word, jinja2 for HTML); their README says which
variables they receive. Figures are written as Vietnamese documents write them (1.234; 14,99%).
"""

from __future__ import annotations

import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

import jinja2
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage

from . import form, provincial
from .atomic import atomic_path, write_text
from .consolidate import Consolidation, ratio_total, share, total_progress
from .plan import Plan, Round, Unit
from .reproducible import normalize_package
from .schedule_report import schedule_context, unit_schedule
from .vietnamese import format_date, format_number, format_percent, round_title

TEMPLATE_DIR = Path(__file__).resolve().parent / "report_templates"
NO_DATA = "chưa báo cáo"
# Reports are drafts ("DỰ THẢO") until this many days before the province's deadline.
FINAL_BEFORE_DEADLINE = timedelta(days=5)


def is_draft(rnd: Round, today: date) -> bool:
    return today < rnd.province_deadline - FINAL_BEFORE_DEADLINE


def _number(value) -> str:
    return format_number(value) if value is not None else NO_DATA


def _percent(part, whole) -> str:
    value = share(part, whole)
    return format_percent(value) if value is not None else "–"


def _place_date(place: str, day: date) -> str:
    return f"{place}, ngày {day.day} tháng {day.month} năm {day.year}"


def _issuer(name: str) -> str:
    return name.upper().replace("HỘI LIÊN HIỆP PHỤ NỮ", "HỘI LHPN")


# -- the province's report -------------------------------------------------------------------------


def province_context(plan: Plan, result: Consolidation) -> dict:
    rnd = result.round
    units = list(plan.units)
    update = rnd.kind == "update"
    reported = [u for u in units if u.code in result.reported]
    on_time = [
        u
        for u in reported
        if date.fromisoformat(result.reported[u.code].received_at[:10]) <= rnd.district_deadline
    ]
    indicator_rows, groups = [], []
    for code, title in plan.groups.items():
        rows = []
        for indicator in (i for i in plan.indicators if i.group == code):
            target = plan.totals["total"][indicator.code]
            cumulative = total_progress(result, units, indicator.code)
            row = {
                "no": indicator.no,
                "name": indicator.name,
                "unit": indicator.unit,
                "target": format_number(target),
                "cumulative": _number(cumulative),
                "percent": _percent(cumulative, target),
            }
            row["sentence"] = (
                f"{indicator.name}: lũy kế {row['cumulative']}/{row['target']} {indicator.unit}, đạt "
                f"{row['percent']} chỉ tiêu giai đoạn."
                if cumulative is not None
                else f"{indicator.name}: chưa có số liệu được báo cáo."
            )
            rows.append(row)
            indicator_rows.append(row)
        if rows:
            groups.append({"code": code, "title": title, "rows": rows})
    unit_tables = []
    for number, indicator in enumerate(plan.indicators, start=2):
        rows = []
        for unit in units:
            target = plan.targets[unit.code][indicator.code]
            cumulative = result.progress[unit.code][indicator.code].cumulative
            rows.append(
                {
                    "unit": unit.name,
                    "target": format_number(target),
                    "cumulative": _number(cumulative),
                    "percent": _percent(cumulative, target),
                }
            )
        unit_tables.append({"number": number, "title": f"{indicator.name} ({indicator.unit})", "rows": rows})
    allocated, disbursed = _budget_totals(plan, result, units)
    return {
        "draft": False,
        "title": f"Báo cáo Dự án 8 – {round_title(rnd)}",
        "issuer": _issuer(plan.reporting_body),
        "issuer_short": plan.reporting_body,
        "place_date": _place_date(plan.province, rnd.province_deadline),
        "subject": (
            f"Bổ sung số liệu thực hiện năm {rnd.year} Dự án 8 “Thực hiện bình đẳng giới và giải quyết "
            "những vấn đề cấp thiết đối với phụ nữ và trẻ em” trên địa bàn tỉnh"
            if update
            else f"Kết quả thực hiện Dự án 8 “Thực hiện bình đẳng giới và giải quyết những vấn đề cấp thiết "
            f"đối với phụ nữ và trẻ em” năm {rnd.year} trên địa bàn tỉnh"
        ),
        "intro": (
            f"Thực hiện {plan.document} và chế độ báo cáo tại mục V.5 của Kế hoạch, {plan.reporting_body} "
            + ("báo cáo bổ sung số liệu thực hiện cả năm " if update else "báo cáo kết quả thực hiện năm ")
            + f"{rnd.year} như sau:"
        ),
        "document": plan.document,
        "reporting_sentence": (
            f"Đến ngày báo cáo, {len(reported)}/{len(units)} đơn vị (cấp tỉnh và {len(plan.districts)} huyện) đã gửi "
            f"báo cáo được tiếp nhận; {len(on_time)} đơn vị gửi đúng hạn "
            f"({format_date(rnd.district_deadline)})."
        ),
        "reported_count": len(reported),
        "unit_count": len(units),
        "missing_units": [u.name for u in units if u.code not in result.reported],
        "groups": groups,
        "indicator_rows": indicator_rows,
        "unit_tables": unit_tables,
        "ratios": _ratio_rows(plan, result, units),
        "budget_unit": plan.budget_unit,
        "disbursed_label": form.DISBURSED_LABELS[rnd.kind],
        "budget_rows": _budget_rows(plan, result, units),
        "budget_sentence": (
            f"Tổng kế hoạch vốn được giao năm {rnd.year} của các đơn vị đã báo cáo là "
            f"{format_number(allocated)} {plan.budget_unit}; đã giải ngân {format_number(disbursed)} "
            f"{plan.budget_unit}, đạt {_percent(disbursed, allocated)}."
        ),
        "narratives": _narratives(plan, result, units),
        "changes": _changes(plan, result) if update else [],
        "changes_sentence": _changes_sentence(plan, result) if update else "",
        "annex_title": f"KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU DỰ ÁN 8 – {round_title(rnd).upper()}",
        "annex_file": provincial.workbook_name(rnd.id).replace("tong-hop", "phu-luc"),
        "annex_headers": [f"{i.no}. {i.short_name} ({i.unit})" for i in plan.indicators],
        "annex_rows": _annex_rows(plan, result),
        "signer": "",
        "update": update,
        **schedule_context(plan, result),
    }


def _ratio_rows(plan: Plan, result: Consolidation, units: list[Unit]) -> list[dict]:
    rows = []
    for ratio in plan.ratios:
        numerator, denominator = ratio_total(result, units, ratio.code)
        rows.append(
            {
                "name": ratio.name,
                "numerator": _number(numerator),
                "denominator": _number(denominator),
                "percent": _percent(numerator, denominator),
                "target": format_percent(ratio.target_percent / 100),
            }
        )
    return rows


def _budget_totals(plan: Plan, result: Consolidation, units: list[Unit]) -> tuple[float, float]:
    allocated = disbursed = 0.0
    for unit in units:
        for source in plan.budget_sources:
            allocated += result.number(unit.code, form.field_name(f"budget_{source.code}", "allocated")) or 0
            disbursed += result.number(unit.code, form.field_name(f"budget_{source.code}", "disbursed")) or 0
    return allocated, disbursed


def _budget_rows(plan: Plan, result: Consolidation, units: list[Unit]) -> list[dict]:
    rows = []
    for source in plan.budget_sources:
        subject = f"budget_{source.code}"
        allocated = sum(result.number(u.code, form.field_name(subject, "allocated")) or 0 for u in units)
        disbursed = sum(result.number(u.code, form.field_name(subject, "disbursed")) or 0 for u in units)
        rows.append(
            {
                "name": source.name,
                "allocated": format_number(allocated),
                "disbursed": format_number(disbursed),
                "rate": _percent(disbursed, allocated),
            }
        )
    allocated, disbursed = _budget_totals(plan, result, units)
    rows.append(
        {
            "name": "Tổng cộng",
            "allocated": format_number(allocated),
            "disbursed": format_number(disbursed),
            "rate": _percent(disbursed, allocated),
        }
    )
    return rows


def _narratives(plan: Plan, result: Consolidation, units: list[Unit]) -> list[dict]:
    parts = []
    for key, label, _ in form.NARRATIVE[:3]:
        entries = [
            {"unit": u.name, "text": text}
            for u in units
            if (text := result.text(u.code, form.field_name(key, "text")))
        ]
        parts.append({"title": label, "entries": entries})
    return parts


def _changes(plan: Plan, result: Consolidation) -> list[dict]:
    """Every value whose full-year figure differs from the September estimate, unit by unit."""
    rows = []
    for unit in plan.units:
        estimates = result.estimates.get(unit.code)
        if estimates is None or unit.code not in result.reported:
            continue
        for indicator in plan.indicators:
            actual = result.number(unit.code, form.field_name(indicator.code, "actual"))
            estimate = estimates.get(indicator.code)
            if actual is None or estimate is None or actual == estimate:
                continue
            difference = int(actual) - estimate
            rows.append(
                {
                    "unit": unit.name,
                    "unit_code": unit.code,
                    "indicator": indicator.short_name,
                    "indicator_code": indicator.code,
                    "estimate": format_number(estimate),
                    "actual": format_number(actual),
                    "difference": ("+" if difference > 0 else "") + format_number(difference),
                }
            )
    return rows


def _changes_sentence(plan: Plan, result: Consolidation) -> str:
    compared = [u for u in plan.units if u.code in result.reported and u.code in result.estimates]
    changes = _changes(plan, result)
    without = [u.name for u in plan.units if u.code in result.reported and u.code not in result.estimates]
    sentence = f"So sánh được {len(compared)} đơn vị có cả số ước tháng 9 và số thực hiện cả năm: " + (
        f"{len(changes)} số liệu thay đổi (bảng dưới)." if changes else "không có số liệu nào thay đổi."
    )
    if without:
        sentence += f" Không có số ước tháng 9 để so sánh: {', '.join(without)}."
    return sentence


def _annex_rows(plan: Plan, result: Consolidation) -> list[dict]:
    def cells(units: list[Unit], targets: dict[str, int]) -> list[str]:
        out = []
        for indicator in plan.indicators:
            cumulative = total_progress(result, units, indicator.code)
            target = targets[indicator.code]
            out.append(
                f"{_number(cumulative)}/{format_number(target)} ({_percent(cumulative, target)})"
                if cumulative is not None
                else f"–/{format_number(target)}"
            )
        return out

    districts = list(plan.districts)
    rows = [
        {
            "no": "",
            "name": "Tổng cộng",
            "villages": format_number(plan.total_villages),
            "cells": cells(list(plan.units), plan.totals["total"]),
        },
        {
            "no": "I",
            "name": plan.province_unit.name,
            "villages": "",
            "cells": cells([plan.province_unit], plan.targets[plan.province_unit.code]),
        },
        {
            "no": "II",
            "name": "Cấp huyện",
            "villages": format_number(plan.total_villages),
            "cells": cells(districts, plan.totals["districts"]),
        },
    ]
    for unit in districts:
        rows.append(
            {
                "no": unit.appendix_no,
                "name": unit.name,
                "villages": format_number(unit.villages),
                "cells": cells([unit], plan.targets[unit.code]),
            }
        )
    return rows


# -- a district's report ---------------------------------------------------------------------------


def district_context(plan: Plan, result: Consolidation, unit: Unit) -> dict:
    rnd = result.round
    record = result.reported[unit.code]
    year_measure = form.YEAR_MEASURE[rnd.kind]
    typed_day = result.text(unit.code, "in_report_date")
    day = date.fromisoformat(typed_day) if typed_day else rnd.district_deadline
    rows = []
    standing = unit_schedule(plan, result, unit.code)
    for indicator in plan.indicators:
        target = plan.targets[unit.code][indicator.code]
        cumulative = result.progress[unit.code][indicator.code].cumulative
        rows.append(
            {
                "no": indicator.no,
                "name": indicator.name,
                "target": format_number(target),
                "year": _number(result.number(unit.code, form.field_name(indicator.code, year_measure))),
                "cumulative": _number(cumulative),
                "percent": _percent(cumulative, target),
                **standing[indicator.code],
            }
        )
    allocated, disbursed = _budget_totals(plan, result, [unit])
    narratives = [
        {"title": label, "text": result.text(unit.code, form.field_name(key, "text")) or "(không nêu)"}
        for key, label, _ in form.NARRATIVE[:3]
    ]
    return {
        "draft": False,
        "issuer": f"HỘI LHPN HUYỆN {unit.name.upper()}",
        "place_date": _place_date(unit.name, day),
        "subject": (
            f"{'Bổ sung số liệu thực hiện' if rnd.kind == 'update' else 'Kết quả thực hiện'} Dự án 8 năm "
            f"{rnd.year} trên địa bàn huyện {unit.name}"
        ),
        "intro": (
            f"Thực hiện {plan.document}, Hội LHPN huyện {unit.name} báo cáo "
            f"{'số liệu thực hiện cả năm' if rnd.kind == 'update' else 'kết quả thực hiện năm'} {rnd.year} "
            f"(theo biểu báo cáo gửi Hội LHPN tỉnh, mã tiếp nhận {record.id:06d}) như sau:"
        ),
        "year_label": "Thực hiện cả năm" if rnd.kind == "update" else "Ước thực hiện cả năm",
        "indicator_rows": rows,
        "ratios": [
            {
                "name": r.name,
                "numerator": _number(p.numerator),
                "denominator": _number(p.denominator),
                "percent": _percent(p.numerator, p.denominator),
                "target": format_percent(r.target_percent / 100),
            }
            for r in plan.ratios
            if (p := result.ratios[unit.code][r.code]) is not None
        ],
        "budget_unit": plan.budget_unit,
        "disbursed_label": form.DISBURSED_LABELS[rnd.kind],
        "budget_rows": _budget_rows(plan, result, [unit]),
        "budget_sentence": (
            f"Kế hoạch vốn được giao {format_number(allocated)} {plan.budget_unit}; đã giải ngân "
            f"{format_number(disbursed)} {plan.budget_unit}, đạt {_percent(disbursed, allocated)}."
        ),
        "narratives": narratives,
        "signer": result.text(unit.code, form.field_name("preparer", "text")) or "",
    }


# -- writing ---------------------------------------------------------------------------------------


def report_names(round_id: str) -> dict[str, str]:
    return {
        "docx": f"bao-cao_{round_id}.docx",
        "html": f"bao-cao_{round_id}.html",
        "annex": f"phu-luc_{round_id}.xlsx",
    }


def _html_environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def _render_docx(
    template: str, context: dict, target: Path, moment: datetime, chart: Path | None = None
) -> Path:
    document = DocxTemplate(TEMPLATE_DIR / template)
    if chart is not None:
        context = {**context, "chart": InlineImage(document, str(chart), width=Mm(160))}
    else:
        context = {**context, "chart": ""}
    document.render(context, jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined))
    with atomic_path(target) as tmp:
        document.save(tmp)
        normalize_package(tmp, moment)
    return target


def _progress_chart(plan: Plan, result: Consolidation, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    units = list(plan.units)
    labels = [f"{i.no}. {i.short_name}" for i in plan.indicators]
    shares = [
        100 * (share(total_progress(result, units, i.code), plan.totals["total"][i.code]) or 0)
        for i in plan.indicators
    ]
    figure, axes = pyplot.subplots(figsize=(8, 5.2), dpi=150)
    bars = axes.barh(labels[::-1], shares[::-1], color="#2F5597")
    axes.axvline(100, color="#C00000", linewidth=1)
    axes.bar_label(bars, labels=[format_percent(v / 100) for v in shares[::-1]], padding=3, fontsize=8)
    axes.set_xlabel("% chỉ tiêu giai đoạn đã đạt (toàn tỉnh)")
    axes.set_xlim(0, max(110, max(shares) * 1.15))
    axes.tick_params(labelsize=8)
    figure.tight_layout()
    figure.savefig(path, format="png", metadata={"Software": None})
    pyplot.close(figure)
    return path


def write_reports(plan: Plan, result: Consolidation, out_dir: Path, *, draft: bool = False) -> list[Path]:
    """Every report of the round; the same consolidation always gives the same files."""
    rnd = result.round
    folder = Path(out_dir) / rnd.id
    names = report_names(rnd.id)
    moment = provincial.generated_at(result)
    context = province_context(plan, result) | {"draft": draft}
    written = []
    html = _html_environment().get_template("province_report.html.j2").render(context)
    write_text(folder / names["html"], html)
    written.append(folder / names["html"])
    with tempfile.TemporaryDirectory(prefix="p8-report-") as scratch:
        chart = _progress_chart(plan, result, Path(scratch) / "tien-do.png") if rnd.kind == "annual" else None
        template = "update_report.docx" if rnd.kind == "update" else "province_report.docx"
        written.append(_render_docx(template, context, folder / names["docx"], moment, chart))
    written.append(provincial.write_annex(plan, result, folder / names["annex"]))
    for unit in plan.districts:
        if unit.code in result.reported:
            target = folder / "huyen" / f"bao-cao_{rnd.id}_{unit.code}_{unit.slug}.docx"
            written.append(
                _render_docx("district_report.docx", district_context(plan, result, unit), target, moment)
            )
    return written

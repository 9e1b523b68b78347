"""What the province's report of a round says, as template variables (Word and HTML, the annual
report and the January/February update); a unit's own report is in district.py.

Every figure comes from `figures.report_figures` (the year beside the cumulative figure, estimates
marked) and is written by `sentences`; the Word and HTML templates only lay it out.
reports/templates/README.md lists the variables.
"""

from __future__ import annotations

from collections.abc import Callable

from pipeline.core import locations
from pipeline.core.vietnamese import LEVEL_WORDS, format_date, format_number, format_percent, round_title
from pipeline.figures.consolidate import Consolidation, mean_share, ratio_total, share, standings, total_progress
from pipeline.figures.report_figures import coverage, last_round, province_figure, successors_reporting, unit_figure
from pipeline.figures.timeliness import unit_states
from pipeline.plan import activities, form
from pipeline.plan.model import Plan, Unit
from pipeline.reports.assessment import assessment_context
from pipeline.reports.parts import Labels, budget, figure_row, figure_text, issuer_line, labels_context, place_date
from pipeline.reports.schedule import schedule_context
from pipeline.reports.sentences import (
    change_sentence,
    changes_sentence,
    coverage_sentence,
    indicator_sentence,
    percent,
    reporting_sentence,
    who_reports,
)

# A table of units in the province's report lists them all up to UNITS_IN_TABLES; beyond (a province's
# communes, a country's), the UNITS_SHOWN furthest ahead and behind, and names the file that has all.
UNITS_IN_TABLES = 30
UNITS_SHOWN = 20


# -- the province's report -------------------------------------------------------------------------


def province_context(plan: Plan, result: Consolidation) -> dict:
    rnd = result.round
    update = rnd.kind == "update"
    cover = coverage(plan, result)
    figures = {i.code: province_figure(plan, result, i.code) for i in plan.indicators}
    labels = Labels(rnd, list(figures.values()))
    states = unit_states(plan.units_for(rnd), result.round_records, result.reported, result.approved, rnd)
    indicator_rows, groups = [], []
    for code, title in plan.groups.items():
        rows = []
        for indicator in (i for i in plan.indicators if i.group == code):
            figure = figures[indicator.code]
            rows.append({"no": indicator.no, "name": indicator.name, "unit": indicator.unit,
                         **figure_row(labels, figure), "sentence": indicator_sentence(rnd, indicator, figure)})
        indicator_rows += rows
        if rows:
            groups.append({"code": code, "title": title, "rows": rows})
    table = standings(plan, result)
    return {
        "draft": False,
        "title": f"Báo cáo Dự án 8 – {round_title(rnd)}",
        "issuer": issuer_line(plan.reporting_body),
        "issuer_short": plan.reporting_body,
        "place_date": place_date(plan.province, rnd.province_deadline),
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
        "reporting_sentence": reporting_sentence(rnd, states, who_reports(plan, rnd, {u.code for u in cover.reported})),
        "change_sentence": change_sentence(plan, rnd),
        "coverage_sentence": coverage_sentence(rnd, cover),
        "reported_count": len(cover.reported),
        "unit_count": cover.units,
        "missing_units": [u.name for u in plan.units_for(rnd) if u.code not in result.reported],
        "groups": groups,
        "indicator_rows": indicator_rows,
        **labels_context(labels),
        "unit_tables": _unit_tables(plan, result),
        "activity_rows": activity_rows(plan, result),
        "ratios": _ratio_rows(plan, result),
        "budget_unit": plan.budget_unit,
        "disbursed_label": form.DISBURSED_LABELS[rnd.kind],
        **budget(plan, result, list(plan.units_for(rnd)), reported_only=True),
        "changes": _changes(plan, result) if update else [],
        "changes_sentence": _changes_summary(plan, result) if update else "",
        "annex_title": f"KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU DỰ ÁN 8 – {round_title(rnd).upper()}",
        "annex_line": annex_line(plan, rnd),
        "annex_cell_note": (f"Mỗi ô: {labels.cumulative.lower()} / chỉ tiêu giai đoạn (% chỉ tiêu); «–» là chưa "
                            "có số liệu."),
        "annex_file": locations.annex_name(rnd.id),
        "annex_headers": [f"{i.no}. {i.short_name} ({i.unit})" for i in plan.indicators],
        "annex_rows": _annex_rows(plan, result),
        "signer": "",
        "update": update,
        **schedule_context(plan, result, table, locations.workbook_name(rnd.id)),
        **assessment_context(plan, result, table, cover),
    }


def annex_line(plan: Plan, rnd) -> str:
    """The line that ties an annex to its report (the number and day are the clerk's to fill)."""
    return (f"(Kèm theo Báo cáo số …/BC-HLHPN ngày … tháng … năm {rnd.province_deadline.year} "
            f"của {plan.reporting_body})")


def activity_rows(plan: Plan, result: Consolidation, chosen: list[activities.Activity] | None = None) -> list[dict]:
    """Each activity without a numeric target (`chosen`: those the round asks; default all), summed
    over the units that reported this round."""
    rows = []
    reported = [u for u in plan.units_for(result.round) if u.code in result.reported]
    for activity in plan.activities if chosen is None else chosen:
        sums = {ask: sum(n for u in reported if (n := result.number(
            u.code, form.field_name(activities.subject(activity.code), ask))) is not None) for ask in activity.asks}
        parts = [f"{int(sums.get('done', 0))}/{len(reported)} đơn vị đã báo cáo có thực hiện"]
        if "events" in activity.asks:
            parts.append(f"{format_number(sums['events'])} cuộc, sự kiện")
        if "participants" in activity.asks:
            parts.append(f"{format_number(sums['participants'])} người tham gia")
        rows.append({"group": activity.group, "name": activity.name,
                     "sentence": f"{activity.name}: " + "; ".join(parts) + "."})
    return rows


def _unit_tables(plan: Plan, result: Consolidation) -> list[dict]:
    tables = []
    annex = locations.annex_name(result.round.id)
    for number, indicator in enumerate(plan.indicators, start=2):
        # The full figures made only for the units shown: a country has thousands.
        shown, chosen = furthest(list(plan.lines_for(result.round)), _share_of(plan, result, indicator.code), annex)
        figures = {u.code: unit_figure(plan, result, u, indicator.code) for u in shown}
        labels = Labels(result.round, list(figures.values()))
        rows = [{"unit": u.name, **figure_row(labels, figures[u.code]), "note": _unit_note(plan, result, u),
                 **({} if plan.has_targets(u.code) else {"target": "–", "percent": "–"})} for u in shown]
        tables.append({"number": number, "title": f"{indicator.name} ({indicator.unit}){chosen}", "rows": rows,
                       **labels_context(labels)})
    return tables


def _share_of(plan: Plan, result: Consolidation, indicator: str) -> Callable[[Unit], float | None]:
    """A unit's cumulative figure as a share of its target: its Figure.share, without the Figure."""
    return lambda unit: share(result.progress[unit.code][indicator].cumulative, plan.targets[unit.code][indicator])


def furthest(units: list[Unit], progress: Callable[[Unit], float | None], where: str) -> tuple[list[Unit], str]:
    """A table of more than UNITS_IN_TABLES units shows the UNITS_SHOWN // 2 furthest ahead and as many
    furthest behind (no figure counts as behind), and says so, naming `where` every unit is."""
    if len(units) <= UNITS_IN_TABLES:
        return units, ""
    half = UNITS_SHOWN // 2
    shares = {u.code: progress(u) for u in units}
    ranked = sorted(units, key=lambda u: float("inf") if (s := shares[u.code]) is None else -s)
    return ranked[:half] + ranked[-half:], (
        f" – {half} đơn vị có tỷ lệ đạt cao nhất và {half} đơn vị thấp nhất trong {format_number(len(units))} "
        f"đơn vị (số liệu từng đơn vị: tệp {where})")


def _unit_note(plan: Plan, result: Consolidation, unit: Unit) -> str:
    if unit.code in result.reported:
        return ""
    if not unit.valid_on(result.round.district_deadline):
        counts = successors_reporting(plan, result, unit)
        if counts and unit.valid_to:
            return (f"Từ {format_date(unit.valid_to)} thay bằng {counts[1]} đơn vị kế tục, {counts[0]}/"
                    f"{counts[1]} đã báo cáo kỳ này; số liệu gồm cả các đơn vị này")
        return "Không báo cáo kỳ này"
    source = last_round(plan, result, unit.code)
    return f"Chưa báo cáo kỳ này; số liệu {round_title(source)}" if source else "Chưa có số liệu"


def _ratio_rows(plan: Plan, result: Consolidation) -> list[dict]:
    rows = []
    for ratio in plan.ratios:
        numerator, denominator = ratio_total(result, list(plan.roots), ratio.code)
        rows.append({"name": ratio.name, "numerator": figure_text(numerator), "denominator": figure_text(denominator),
                     "percent": percent(numerator, denominator), "target": format_percent(ratio.target_percent / 100)})
    return rows


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
            rows.append({"unit": unit.name, "unit_code": unit.code, "indicator": indicator.short_name,
                         "indicator_code": indicator.code, "estimate": format_number(estimate),
                         "actual": format_number(actual),
                         "difference": ("+" if difference > 0 else "") + format_number(difference)})
    return rows


def _changes_summary(plan: Plan, result: Consolidation) -> str:
    compared = [u for u in plan.units if u.code in result.reported and u.code in result.estimates]
    without = [u.name for u in plan.units if u.code in result.reported and u.code not in result.estimates]
    return changes_sentence(len(compared), len(_changes(plan, result)), without)


def _annex_rows(plan: Plan, result: Consolidation) -> list[dict]:
    def cells(units: list[Unit], targets: dict[str, int]) -> list[str]:
        out = []
        for indicator in plan.indicators:
            cumulative, target = total_progress(result, units, indicator.code), targets[indicator.code]
            out.append(f"{figure_text(cumulative)}/{format_number(target)} ({percent(cumulative, target)})"
                       if cumulative is not None else f"–/{format_number(target)}")
        return out

    def name(unit: Unit) -> str:
        counts = successors_reporting(plan, result, unit)
        if counts:
            return f"{unit.name} ({counts[0]}/{counts[1]} đơn vị kế tục đã báo cáo kỳ này)"
        return unit.name + ("" if unit.code in result.reported else " (chưa báo cáo kỳ này)")

    districts = list(plan.allocated)
    section_two = f"Cấp {LEVEL_WORDS.get(plan.allocated_level, 'dưới tỉnh')}"
    villages = format_number(plan.total_villages) if plan.total_villages else ""  # a plan may allocate none
    rows = [
        {"no": "", "name": "Tổng cộng", "villages": villages,
         "cells": cells(list(plan.roots), plan.totals["total"])},
        {"no": "I", "name": name(plan.province_unit), "villages": "",
         "cells": cells([plan.province_unit], plan.targets[plan.province_unit.code])},
        {"no": "II", "name": section_two, "villages": villages,
         "cells": cells(districts, plan.totals["districts"])},
    ]
    annex = locations.annex_name(result.round.id)
    shown, chosen = furthest(districts, lambda u: mean_share(plan, result, [u]), annex)
    rows += [{"no": u.appendix_no, "name": name(u), "villages": format_number(u.villages),
              "cells": cells([u], plan.targets[u.code])} for u in shown]
    if chosen:
        rows.append({"no": "", "name": f"Trên đây{chosen.replace(' – ', ': ', 1)}, theo tỷ lệ bình quân các chỉ tiêu.",
                     "villages": "", "cells": ["" for _ in plan.indicators]})
    outside = [u for u in plan.lines_for(result.round) if u in plan.outside_allocation]
    if outside:
        def figures(units: list[Unit]) -> list[str]:  # no target: the figure alone, «–» for none
            return [format_number(total_progress(result, units, i.code)) for i in plan.indicators]
        rows.append({"no": "III", "name": "Đơn vị ngoài phân bổ chỉ tiêu", "villages": "", "cells": figures(outside)})
        rows += [{"no": "", "name": name(u), "villages": "", "cells": figures([u])} for u in outside]
    return rows + _successor_rows(plan, result)


def _successor_rows(plan: Plan, result: Consolidation) -> list[dict]:
    """The view by current units: each unit that continues a former one, with its own figures, under
    a heading that says they are already in the lines above (never to be added again)."""
    rnd = result.round
    units = [u for u in plan.units_for(rnd) if u.former]
    if not units:
        return []
    heading = "Theo đơn vị mới (đã tính ở dòng đơn vị cũ, không cộng thêm)"
    rows = [{"no": "", "name": heading, "villages": "", "cells": ["" for _ in plan.indicators]}]
    for unit in units:
        own = result.own_progress(unit.code)
        counted = ", ".join(plan.unit(c).name + ("" if p == 100 else f" {p}%") for c, p in unit.shares)
        missing = "" if unit.code in result.reported else "; chưa báo cáo kỳ này"
        label = f"{unit.name} (tính cho {counted}{missing})"
        rows.append({"no": "", "name": label, "villages": "",
                     "cells": [format_number(own[i.code].cumulative) for i in plan.indicators]})
    return rows


# -- a district's report ---------------------------------------------------------------------------



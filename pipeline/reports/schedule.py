"""The reports' words on progress against the schedule (tiến độ): a sentence for the province, one
row per indicator, and the units behind schedule or overdue, worst first."""

from __future__ import annotations

from pipeline.core.vietnamese import format_percent, listed
from pipeline.figures.consolidate import Consolidation, Standing, standing
from pipeline.plan import schedule
from pipeline.plan.model import Plan
from pipeline.reports.sentences import percent

RANK = {schedule.OVERDUE: 0, schedule.BEHIND: 1}
# With more units than LAGGING_UNITS (a province's communes, a country's), the report lists the
# LAGGING_SHOWN worst cases and names the workbook sheet that has them all.
LAGGING_UNITS = 30
LAGGING_SHOWN = 30
COUNTED = (schedule.DONE, schedule.ON_TRACK, schedule.BEHIND, schedule.OVERDUE)


def _achieved(standing: Standing) -> str:
    return percent(standing.cumulative, standing.target)


def schedule_context(plan: Plan, result: Consolidation, table: dict[str, dict[str, Standing]],
                     workbook: str = "") -> dict:
    """`table`: consolidate.standings of the round (the report computes it once for every section);
    `workbook`: the file whose sheet «Tiến độ» has every case (named when the report lists a few)."""
    rnd = result.round
    basis = (f"lũy kế có số thực hiện cả năm {rnd.year}" if rnd.kind == "update"
             else f"ước lũy kế có số ước thực hiện cả năm {rnd.year}")
    indicators = []
    for indicator in plan.indicators:
        standing = table["total"][indicator.code]
        indicators.append({"no": indicator.no, "name": indicator.short_name, "window": indicator.window,
                           "expected": format_percent(standing.expected), "achieved": _achieved(standing),
                           "status": schedule.LABELS[standing.status]})
    counts = {state: sum(1 for s in table["total"].values() if s.status == state) for state in COUNTED}
    parts = [f"{count} chỉ tiêu {schedule.LABELS[state].lower()}" for state, count in counts.items() if count]
    lagging = sorted(
        ((unit, indicator, table[unit.code][indicator.code]) for unit in plan.units for indicator in plan.indicators
         if table[unit.code][indicator.code].status in RANK),
        key=lambda entry: (RANK[entry[2].status],
                           -(entry[2].expected - (entry[2].cumulative or 0) / entry[2].target)))
    overdue = sum(1 for *_, s in lagging if s.status == schedule.OVERDUE)
    shown = lagging if len(plan.units) <= LAGGING_UNITS else lagging[:LAGGING_SHOWN]
    return {
        "schedule_sentence": (
            f"Đến hết năm {rnd.year} (theo {basis}), so với thời gian hoàn thành ghi "
            f"trong phụ lục của Kế hoạch, toàn tỉnh có " + (listed(parts) if parts else "chưa có số liệu") + "."),
        "schedule_rows": indicators,
        "lagging_sentence": (
            f"Các đơn vị chậm tiến độ hoặc quá hạn ({len(lagging)} trường hợp"
            + (f", trong đó {overdue} quá hạn chưa hoàn thành), xếp từ quá hạn đến chậm nhiều nhất:" if overdue
               else ", chưa có trường hợp quá hạn), xếp từ chậm nhiều nhất:") if lagging
            else "Không có đơn vị nào chậm tiến độ hoặc quá hạn.")
            + (f" Dưới đây là {len(shown)} trường hợp đầu; mọi trường hợp ở trang «Tiến độ» của tệp "
               f"{workbook}." if len(shown) < len(lagging) else ""),
        "lagging_rows": [
            {"unit": unit.name, "indicator": f"{indicator.no}. {indicator.short_name}", "window": indicator.window,
             "expected": format_percent(standing.expected), "achieved": _achieved(standing),
             "status": schedule.LABELS[standing.status]}
            for unit, indicator, standing in shown],
    }


def unit_schedule(plan: Plan, result: Consolidation, unit: str) -> dict[str, dict[str, str]]:
    """For a district report: indicator -> its completion time and the unit's status."""
    table = standing(plan, result, unit)
    return {i.code: {"window": i.window, "status": schedule.LABELS[table[i.code].status]} for i in plan.indicators}

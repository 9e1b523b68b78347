"""The end-of-phase report (báo cáo giai đoạn): each year of the phase, the phase total against each
target and its completion time, the indicators and units that did not reach their targets.

It rests on the consolidation of the latest round with data: each year's figure comes from that
year's update round when there is one, else from its September estimate, and is then worded as an
estimate. A unit's figures follow the missing-unit rule of `figures`.
"""

from __future__ import annotations

from pipeline.core.vietnamese import format_number, listed, round_title
from pipeline.figures.consolidate import Consolidation, Progress, standings
from pipeline.figures.phase import baseline_total, phase_outcome, phase_years, year_figure
from pipeline.figures.report_figures import coverage, province_figure
from pipeline.plan.model import Indicator, Plan, Unit
from pipeline.reports.assessment import assessment_context
from pipeline.reports.parts import issuer_line, place_date
from pipeline.reports.sentences import coverage_sentence, cumulative_word, percent

ESTIMATE = " (ước)"


def _years_text(plan: Plan, result: Consolidation, units: list[Unit], indicator: Indicator) -> str:
    parts = []
    for year in phase_years(plan, result):
        value, estimated = year_figure(plan, result, units, indicator.code, year)
        parts.append(f"{year}: {format_number(value) if value is not None else 'chưa có số liệu'}"
                     + (ESTIMATE if estimated else ""))
    return "; ".join(parts)


def phase_context(plan: Plan, result: Consolidation) -> dict:
    rnd, units = result.round, list(plan.roots)
    years = phase_years(plan, result)
    closed = rnd.kind == "update"
    rows, short = [], []
    for indicator in plan.indicators:
        figure = province_figure(plan, result, indicator.code)
        result_word = phase_outcome(indicator, figure.cumulative, figure.target, rnd.year, closed)
        before = baseline_total(result, units, indicator.code) if indicator.kind == "flow" else None
        row = {"no": indicator.no, "name": indicator.name, "short_name": indicator.short_name,
               "unit": indicator.unit, "target": format_number(figure.target),
               "years": _years_text(plan, result, units, indicator),
               "before": format_number(before) if before is not None else "",
               "cumulative": _figure(figure.cumulative, figure.cumulative_estimated),
               "cumulative_word": cumulative_word(figure), "percent": percent(figure.cumulative, figure.target),
               "window": indicator.window, "outcome": result_word}
        before_text = f"lũy kế các đơn vị khai trước năm đầu báo cáo {row['before']}; " if row["before"] else ""
        row["sentence"] = (f"{indicator.name}: từng năm – {row['years']}; {before_text}{row['cumulative_word']} giai "
                           f"đoạn {_figure(figure.cumulative)}/{row['target']} {indicator.unit}, đạt {row['percent']} "
                           f"chỉ tiêu (thời gian hoàn thành {indicator.window}: {result_word.lower()}).")
        rows.append(row)
        if figure.cumulative is None or figure.cumulative < figure.target:
            missing = figure.target - (figure.cumulative or 0)
            short.append(f"{indicator.short_name} (đạt {row['percent']}, còn thiếu {format_number(missing)} "
                         f"{indicator.unit})")
    table = standings(plan, result)
    cover = coverage(plan, result)
    estimated_years = sorted({y for i in plan.indicators for y in years
                              if year_figure(plan, result, units, i.code, y)[1]})
    return {
        "draft": False,
        "title": f"Báo cáo tổng kết Dự án 8 giai đoạn {plan.phase}",
        "issuer": issuer_line(plan.reporting_body),
        "place_date": place_date(plan.province, rnd.province_deadline),
        "subject": (f"Tổng kết thực hiện Dự án 8 “Thực hiện bình đẳng giới và giải quyết những vấn đề cấp thiết đối "
                    f"với phụ nữ và trẻ em” giai đoạn {plan.phase} trên địa bàn tỉnh"),
        "intro": (f"Thực hiện {plan.document}, {plan.reporting_body} báo cáo tổng kết kết quả thực hiện Dự án 8 giai "
                  f"đoạn {plan.phase} (số liệu các năm {years[0]}–{years[-1]}, đến {round_title(rnd).lower()}) "
                  "như sau:"),
        "basis_sentence": _basis_sentence(years, estimated_years),
        "coverage_sentence": coverage_sentence(rnd, cover),
        "rows": rows,
        "short_sentence": ("Các chỉ tiêu chưa đạt chỉ tiêu giai đoạn của toàn tỉnh: " + listed(short) + "."
                           if short else "Toàn tỉnh đạt tất cả các chỉ tiêu giai đoạn."),
        "unit_rows": _unit_rows(plan, result, closed),
        "signer": "",
        **assessment_context(plan, result, table, cover),
    }


def _figure(value: int | None, estimated: bool = False) -> str:
    """A figure as a table shows it: marked «(ước)» when part of it is a September estimate."""
    if value is None:
        return "chưa có số liệu"
    return format_number(value) + (ESTIMATE if estimated else "")


def _basis_sentence(years: list[int], estimated: list[int]) -> str:
    if not estimated:
        return f"Số liệu từng năm {years[0]}–{years[-1]} là số thực hiện cả năm do các đơn vị báo cáo."
    return (f"Số liệu năm {listed([str(y) for y in estimated])} có phần là số ước thực hiện (báo cáo tháng 9, chưa có "
            "số thực hiện cả năm), được ghi “(ước)”; lũy kế có số ước được ghi “(ước)” trong bảng và “ước lũy kế” "
            "trong lời văn.")


def _unit_rows(plan: Plan, result: Consolidation, closed: bool) -> list[dict]:
    """Each unit and indicator below its own target, the furthest behind first."""
    rows = []
    for unit in plan.units:
        for indicator in plan.indicators:
            target = plan.targets[unit.code][indicator.code]
            progress: Progress = result.progress[unit.code][indicator.code]
            if not target or (progress.cumulative is not None and progress.cumulative >= target):
                continue
            share = (progress.cumulative or 0) / target
            rows.append((share, {
                "unit": unit.name, "indicator": f"{indicator.no}. {indicator.short_name}",
                "target": format_number(target),
                "cumulative": _figure(progress.cumulative, progress.basis == "estimate"),
                "percent": percent(progress.cumulative, target), "window": indicator.window,
                "outcome": phase_outcome(indicator, progress.cumulative, target, result.round.year, closed)}))
    return [row for _, row in sorted(rows, key=lambda entry: entry[0])]

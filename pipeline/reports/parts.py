"""The parts the reports of a round share: the letterhead lines, the figure cells with their estimate
marks and the headings that say which figures are estimates, the budget table."""

from __future__ import annotations

from datetime import date

from pipeline.core.vietnamese import format_number
from pipeline.figures.consolidate import Consolidation
from pipeline.figures.report_figures import Figure
from pipeline.plan import form
from pipeline.plan.model import Plan, Unit
from pipeline.reports.sentences import percent

NO_DATA = "chưa báo cáo"


ESTIMATE_MARK = "*"


def figure_text(value) -> str:
    return format_number(value) if value is not None else NO_DATA


def place_date(place: str, day: date) -> str:
    return f"{place}, ngày {day.day} tháng {day.month} năm {day.year}"


def issuer_line(name: str) -> str:
    return name.upper().replace("HỘI LIÊN HIỆP PHỤ NỮ", "HỘI LHPN")


class Labels:
    """Column headings and cell marks for the year's and the cumulative figures of one table: a
    column whose every figure rests on an estimate is headed as one ("Ước lũy kế"); in a column that
    mixes both, each estimated figure carries a mark that the note under the table explains."""

    def __init__(self, rnd, figures: list[Figure]):
        known = [f for f in figures if f.cumulative is not None]
        years = [f for f in figures if f.year is not None]
        self.annual = rnd.kind == "annual"
        self.all_cumulative = bool(known) and all(f.cumulative_estimated for f in known)
        self.all_year = self.annual or (bool(years) and all(f.year_estimated for f in years))
        self.year = f"Năm {rnd.year}: ước thực hiện cả năm" if self.all_year else f"Thực hiện năm {rnd.year}"
        self.ytd = f"Năm {rnd.year}: đến thời điểm báo cáo"
        self.cumulative = "Ước lũy kế" if self.all_cumulative else "Lũy kế"
        mixed = any(f.cumulative_estimated for f in known) and not self.all_cumulative
        mixed |= any(f.year_estimated for f in years) and not self.all_year
        self.note = (f"({ESTIMATE_MARK}) Số có dấu {ESTIMATE_MARK} gồm số ước thực hiện báo cáo tháng 9 (đơn vị chưa "
                     "gửi số liệu thực hiện cả năm)." if mixed else "")

    def year_cell(self, figure: Figure) -> str:
        mark = ESTIMATE_MARK if figure.year_estimated and not self.all_year else ""
        return figure_text(figure.year) + (mark if figure.year is not None else "")

    def cumulative_cell(self, figure: Figure) -> str:
        mark = ESTIMATE_MARK if figure.cumulative_estimated and not self.all_cumulative else ""
        return figure_text(figure.cumulative) + (mark if figure.cumulative is not None else "")


def figure_row(labels: Labels, figure: Figure) -> dict:
    return {
        "target": format_number(figure.target),
        "ytd": figure_text(figure.ytd),
        "year": labels.year_cell(figure),
        "cumulative": labels.cumulative_cell(figure),
        "percent": percent(figure.cumulative, figure.target),
    }


def labels_context(labels: Labels) -> dict:
    return {"ytd_label": labels.ytd, "year_label": labels.year, "cumulative_label": labels.cumulative,
            "estimate_note": labels.note}


def budget(plan: Plan, result: Consolidation, units: list[Unit], *, reported_only: bool) -> dict:
    def amount(unit: Unit, subject: str, measure: str) -> float:
        return result.number(unit.code, form.field_name(subject, measure)) or 0

    rows, allocated, disbursed = [], 0.0, 0.0
    for source in plan.budget_sources:
        subject = f"budget_{source.code}"
        given = sum(amount(u, subject, "allocated") for u in units)
        spent = sum(amount(u, subject, "disbursed") for u in units)
        allocated, disbursed = allocated + given, disbursed + spent
        rows.append({"name": source.name, "allocated": format_number(given), "disbursed": format_number(spent),
                     "rate": percent(spent, given)})
    rows.append({"name": "Tổng cộng", "allocated": format_number(allocated), "disbursed": format_number(disbursed),
                 "rate": percent(disbursed, allocated)})
    whose = "của các đơn vị đã báo cáo kỳ này " if reported_only else ""
    return {"budget_rows": rows, "budget_sentence": (
        f"Tổng kế hoạch vốn được giao năm {result.round.year} {whose}là {format_number(allocated)} "
        f"{plan.budget_unit}; đã giải ngân {format_number(disbursed)} {plan.budget_unit}, đạt "
        f"{percent(disbursed, allocated)}.")}

"""The next phase started from the current plan (`plan --new-phase 2026-2030`): the units that exist
on its first day, the indicators, groups, ratios and budget sources carried over for editing, no
targets yet, and the rounds of every year at the regime's dates, taken from the current plan's own
rounds (deadlines are data: the officer changes them in the workbook)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from pipeline.core.errors import UsageError
from pipeline.plan.csv_rows import ascii_slug
from pipeline.plan.model import Plan, Round

# Kế hoạch 286, V.5: units report by 10/9 and update by 25/01 of the next year; the province by 20/9
# and 05/02. Used only when the current plan has no round of that kind to take the dates from.
REGIME = {"annual": ((1, 1), (0, 9, 10), (0, 9, 20)), "update": ((11, 1), (1, 1, 25), (1, 2, 5))}


def phase_span(text: str) -> tuple[int, int] | None:
    """(first year, last year) of a phase written «2026-2030» (or with an en dash, spaces); None otherwise."""
    match = re.fullmatch(r"\s*(\d{4})\s*[-–]\s*(\d{4})\s*", text)
    if not match or int(match.group(1)) > int(match.group(2)):
        return None
    return int(match.group(1)), int(match.group(2))


def phase_years(text: str) -> tuple[int, int]:
    span = phase_span(text)
    if span is None:
        raise UsageError(f"giai đoạn «{text}» phải ghi năm đầu-năm cuối, ví dụ 2026-2030.")
    return span


def next_phase(plan: Plan, phase: str) -> Plan:
    first, last = phase_years(phase)
    start = date(first, 1, 1)
    units = tuple(replace(u, valid_from=None, valid_to=None, former=(), attribution=())
                  for u in plan.units if u.valid_on(start))
    below = [u for u in units if u.level != "province"]
    numbered = {u.code: str(n) for n, u in enumerate(below, 1)}
    units = tuple(replace(u, appendix_no=numbered.get(u.code, u.appendix_no), villages=None)
                  if u.level != "province" else u for u in units)
    window = f"{first}-{last}"
    indicators = tuple(replace(i, window=window, milestones=()) for i in plan.indicators)
    kept = {u.code for u in units}
    return replace(
        plan,
        id=f"{ascii_slug(plan.province) if plan.province else 'ke-hoach'}-{first}-{last}",
        document="", title="", short_title="", phase=f"{first}-{last}",
        units=units, indicators=indicators,
        rounds=tuple(r for year in range(first, last + 1) for r in _rounds(plan, year)),
        adhoc_rounds=(), activities=(),
        targets={u.code: dict.fromkeys((i.code for i in indicators), 0) for u in units},
        totals={key: dict.fromkeys((i.code for i in indicators), 0) for key in ("total", "districts")},
        total_villages=0,
        targeted=tuple(u.code for u in units if u.reports),
        formed_from=tuple(f for f in plan.formed_from if f.code in kept),
    )


def _rounds(plan: Plan, year: int) -> list[Round]:
    """The annual and update rounds of `year`, at the dates of the current plan's last round of each kind."""
    found = []
    for kind, (opens, unit_day, province_day) in REGIME.items():
        model = next((r for r in reversed(plan.rounds) if r.kind == kind), None)
        if model is not None:
            opens = (model.opens.month, model.opens.day) if model.opens.year == model.year else opens
            unit_day = (model.district_deadline.year - model.year, model.district_deadline.month,
                        model.district_deadline.day)
            province_day = (model.province_deadline.year - model.year, model.province_deadline.month,
                            model.province_deadline.day)
        found.append(Round(id=f"{year}-{kind}", year=year, kind=kind, opens=date(year, *opens),
                           district_deadline=date(year + unit_day[0], *unit_day[1:]),
                           province_deadline=date(year + province_day[0], *province_day[1:])))
    return found

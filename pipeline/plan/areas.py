"""Areas: a plan with many units (a province's communes, a country's) names the area each unit belongs
to (units.csv column `area`: a former district, a province). The provincial workbook is then written
as a summary with one line per area and one detail workbook per area, each rewritten only when a file
of its own units changes.

A plan of more than AREA_UNITS units that names no area is split all the same: one workbook of 3,321
unit lines took 20 s to open and LibreOffice could not print it in ten minutes. Its areas come from its
own structure: the former unit a unit's line continues (a commune's former district), or, in a plan
without one, groups of AREA_UNITS units in the plan's order."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.core.errors import PlanError
from pipeline.plan.csv_rows import ascii_slug
from pipeline.plan.model import Plan, Round, Unit


@dataclass(frozen=True)
class Area:
    slug: str  # ASCII, for the detail workbook's file name
    name: str
    units: tuple[Unit, ...]  # in the plan's order


def check(units: list[Unit]) -> None:
    """Either no unit names an area, or every unit but the province level does (the province level's
    line stands on its own); a successor is in its former unit's area, whose line it continues."""
    named = [u for u in units if u.area]
    if not named:
        return
    province = [u for u in units if u.level == "province" and u.area]
    if province:
        raise PlanError(f"units.csv: đơn vị cấp tỉnh {province[0].code} không thuộc khu vực nào; hãy để trống "
                        "cột «area» của nó.")
    missing = [u for u in units if not u.area and u.level != "province"]
    if missing:
        raise PlanError(f"units.csv: khi đã chia khu vực, mọi đơn vị (trừ cấp tỉnh) phải có cột «area»; "
                        f"còn trống ở {', '.join(f'{u.code} ({u.name})' for u in missing[:5])}"
                        f"{' …' if len(missing) > 5 else ''}.")
    by_code = {u.code: u for u in units}
    for unit in units:
        for code, _ in unit.shares:
            former = by_code.get(code)
            if former is not None and former.area != unit.area:
                raise PlanError(f"units.csv: số liệu của đơn vị {unit.code} ({unit.name}) tính cho {former.code} "
                                f"({former.name}) nên nó phải cùng khu vực «{former.area}», đang ghi «{unit.area}».")
    slugs: dict[str, str] = {}
    for name in dict.fromkeys(u.area for u in named):
        clash = slugs.setdefault(ascii_slug(name), name)
        if clash != name:
            raise PlanError(f"units.csv: hai khu vực «{clash}» và «{name}» có cùng tên không dấu; "
                            "hãy đặt tên khác nhau.")


AREA_UNITS = 200  # units a single provincial workbook serves well; beyond, it is split by area
OUTSIDE = "Ngoài phân bổ chỉ tiêu"  # the area of units with no target that continue no allocated unit


def of(plan: Plan) -> tuple[Area, ...]:
    """The plan's areas in the order their first unit appears: those units.csv names, else, for a plan of
    more than AREA_UNITS units, those of its structure; empty for a smaller plan that names none."""
    def make() -> tuple[Area, ...]:
        members: dict[str, list[Unit]] = {}
        for unit, name in _area_names(plan).items():
            members.setdefault(name, []).append(unit)
        return tuple(Area(ascii_slug(name), name, tuple(units)) for name, units in members.items())
    return plan.derived((of,), make)


def _area_names(plan: Plan) -> dict[Unit, str]:
    if any(u.area for u in plan.units):
        return {u: u.area for u in plan.units if u.area}
    units = [u for u in plan.units if u.level != "province"]
    if len(units) <= AREA_UNITS:
        return {}
    if any(u.former for u in units):  # a successor goes with the unit whose line it continues
        by_code = {u.code: u for u in plan.units}
        outside = set(plan.outside_allocation)

        def root(unit: Unit) -> Unit:
            seen = set()
            while unit.former and unit.former[0] in by_code and unit.code not in seen:
                seen.add(unit.code)
                unit = by_code[unit.former[0]]
            return unit
        return {u: OUTSIDE if u in outside else root(u).name for u in units}
    names = {}
    for start in range(0, len(units), AREA_UNITS):
        group = units[start:start + AREA_UNITS]
        for unit in group:
            names[unit] = f"Nhóm {start // AREA_UNITS + 1} ({group[0].name} – {group[-1].name})"
    return names


def for_round(plan: Plan, rnd: Round) -> tuple[Area, ...]:
    """The areas with a workbook of their own in a round: none in an adhoc round, whose answers stay
    in one workbook."""
    return of(plan) if rnd.regular else ()


def reporting(plan: Plan, rnd: Round, area: Area) -> list[Unit]:
    """The area's units that report in `rnd` (plan.units_for), in the plan's order."""
    # Their codes, once per round (a unit's hash hashes all its fields: 3,321 units, for each of 34 areas)
    day = rnd.district_deadline
    listed = plan.derived((reporting, day), lambda: frozenset(u.code for u in plan.units_for(rnd)))
    return [u for u in area.units if u.code in listed]


def area_of(plan: Plan, unit: str) -> Area | None:
    by_unit = plan.derived((area_of,), lambda: {u.code: a for a in of(plan) for u in a.units})
    return by_unit.get(unit)

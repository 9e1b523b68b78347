"""The plan as data: units over time, indicators, ratios, budget sources, rounds and targets."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from pipeline.plan import adhoc
from pipeline.plan.activities import Activity
from pipeline.plan.adhoc import Question

T = TypeVar("T")

UNIT_LEVELS = ("province", "district", "commune", "department")
# Levels whose targets the plan's appendix allocates (a row in targets.csv is required for them).
ALLOCATED_LEVELS = ("province", "district")
INDICATOR_KINDS = ("stock", "flow")
ROUND_KINDS = ("annual", "update", adhoc.KIND)


@dataclass(frozen=True)
class Unit:
    code: str
    level: str
    name: str
    slug: str
    villages: int | None
    appendix_no: str
    senders: tuple[str, ...] = ()  # known e-mail addresses, lower case (units.csv column `senders`)
    valid_from: date | None = None  # the unit reports in rounds whose district deadline falls in
    valid_to: date | None = None  # [valid_from, valid_to); empty: no bound
    former: tuple[str, ...] = ()  # the units it succeeds (units.csv column `former`): it continues their lines
    area: str = ""  # the area it belongs to (units.csv column `area`): the workbook's detail is split by area
    # Which of its former units its figures count toward, in percent (units.csv column `attribution`);
    # empty with one former unit: all of it.
    attribution: tuple[tuple[str, int], ...] = ()
    reports: bool = True  # units.csv column `reports`: the officer may leave a unit out of the rounds
    kind: str = ""  # units.csv column `kind`: huyện, xã, phường… as letters and reports name the unit
    # units.csv column `chair`: who signs the unit's own report for its Women's Union (TM. BAN THƯỜNG VỤ /
    # CHỦ TỊCH); empty: the line is left blank for a handwritten name, never filled with the preparer
    chair: str = ""

    @property
    def shares(self) -> tuple[tuple[str, int], ...]:
        """(former unit, percent) for each former unit its figures count toward; the percents add up to 100."""
        if self.attribution:
            return self.attribution
        return ((self.former[0], 100),) if len(self.former) == 1 else ()

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day < self.valid_to)


@dataclass(frozen=True)
class FormerUnit:
    """A former commune, ward or township that a unit of the plan was formed from (formed_from.csv):
    kept for traceability, never a reporting unit of this plan."""

    code: str  # the unit of the plan it became part of
    former_code: str
    former_name: str
    former_district_code: str
    former_district_name: str
    change: str


@dataclass(frozen=True)
class Indicator:
    code: str
    no: int
    group: str
    kind: str
    unit: str
    window: str
    name: str
    short_name: str
    milestones: tuple[tuple[int, float], ...] = ()  # schedule.py: share of the target expected by each year


@dataclass(frozen=True)
class Ratio:
    code: str
    group: str
    target_percent: int
    name: str
    numerator: str
    denominator: str

    kind = "ratio"
    unit = "%"


@dataclass(frozen=True)
class BudgetSource:
    code: str
    name: str


@dataclass(frozen=True)
class Round:
    id: str
    year: int
    kind: str
    district_deadline: date
    province_deadline: date
    opens: date  # submissions received before this day are refused as early
    name: str = ""  # the display name (rounds.csv column `name`); required for an adhoc round
    # An adhoc round (adhoc.py): what it asks of each unit.
    indicators: tuple[str, ...] = ()
    activities: tuple[str, ...] = ()
    questions: tuple[Question, ...] = ()

    @property
    def regular(self) -> bool:
        """An annual or update round: its figures build the cumulative figures of the phase."""
        return self.kind != adhoc.KIND


@dataclass(frozen=True)
class Plan:
    id: str
    document: str
    title: str
    short_title: str
    phase: str
    province: str
    reporting_body: str
    groups: dict[str, str]
    units: tuple[Unit, ...]
    indicators: tuple[Indicator, ...]
    ratios: tuple[Ratio, ...]
    rounds: tuple[Round, ...]  # the annual and update rounds, in reporting order
    budget_sources: tuple[BudgetSource, ...]
    targets: dict[str, dict[str, int]]
    totals: dict[str, dict[str, int]]
    total_villages: int
    budget_unit: str
    activities: tuple[Activity, ...] = ()
    adhoc_rounds: tuple[Round, ...] = ()
    targeted: tuple[str, ...] = ()  # the units with a row of targets.csv (others have no target), in order
    formed_from: tuple[FormerUnit, ...] = ()  # formed_from.csv: the former units each unit was formed from

    @property
    def all_rounds(self) -> tuple[Round, ...]:
        """Regular and adhoc rounds, by district deadline (regular first on the same day)."""
        return tuple(sorted(self.rounds + self.adhoc_rounds, key=lambda r: (r.district_deadline, not r.regular)))

    def has_targets(self, code: str) -> bool:
        """Whether unit `code` has a row of targets.csv (else the template shows that it has none)."""
        return code in self._targeted

    @property
    def province_unit(self) -> Unit:
        return next(u for u in self.units if u.level == "province")

    @functools.cached_property
    def allocated(self) -> tuple[Unit, ...]:
        """Section II of the allocation: the units below the province level that have targets of their
        own and continue no other unit (the districts of Kế hoạch 286; the communes of a plan that
        allocates to communes)."""
        return tuple(u for u in self.units
                     if u.level != "province" and not u.former and (self.has_targets(u.code) or u.level == "district"))

    @property
    def allocated_level(self) -> str:
        """The level of section II (district in Kế hoạch 286), for the words that name it."""
        levels = {u.level for u in self.allocated}
        return levels.pop() if len(levels) == 1 else ""

    @property
    def roots(self) -> tuple[Unit, ...]:
        """The units that succeed no other: summing over them counts every figure once (a former
        unit's figures include its successors')."""
        return tuple(u for u in self.units if not u.former)

    def successors(self, code: str) -> tuple[Unit, ...]:
        """The units whose figures count toward `code`'s line, in whole or in part (`Unit.shares`)."""
        return self._successors.get(code, ())

    @functools.cached_property
    def outside_allocation(self) -> tuple[Unit, ...]:
        """Units with no target of their own that continue no allocated unit (the wards formed from the
        city the appendix leaves out): their figures stand on their own line in the province's total."""
        return tuple(u for u in self.units if u.level not in ALLOCATED_LEVELS and not u.former
                     and not self.has_targets(u.code))

    def formed_from_of(self, code: str) -> tuple[FormerUnit, ...]:
        return tuple(f for f in self.formed_from if f.code == code)

    def lines_for(self, rnd: Round) -> tuple[Unit, ...]:
        """The lines of the plan's allocation view of `rnd`: the units that succeed none (the province
        level, the districts and units outside the allocation), from the day they exist. Summed, they
        count every figure once."""
        day = rnd.district_deadline
        return tuple(u for u in self.roots if u.valid_from is None or u.valid_from <= day)

    def units_for(self, rnd: Round) -> tuple[Unit, ...]:
        """The units that report in `rnd`: valid on its district deadline, unless the officer left them out."""
        day = rnd.district_deadline
        return self.derived((Plan.units_for, day),
                            lambda: tuple(u for u in self.units if u.valid_on(day) and u.reports))

    def left_out(self, rnd: Round) -> tuple[Unit, ...]:
        """Units valid in `rnd` that the officer left out of it (units.csv column `reports`)."""
        day = rnd.district_deadline
        return tuple(u for u in self.units if u.valid_on(day) and not u.reports)

    def has_unit(self, code: str) -> bool:
        return code in self._units_by_code

    def unit(self, code: str) -> Unit:
        try:
            return self._units_by_code[code]
        except KeyError:
            raise KeyError(code) from None

    def derived(self, key: tuple, make: Callable[[], T]) -> T:
        """What is derived from the plan alone (a round's inputs, its rules' comparisons), made once
        and kept with the plan so that each file checked does not derive it again. `key` is the
        function that derives it, then its arguments: two functions never share an entry, and a
        renamed one keeps its own."""
        if not callable(key[0]):
            raise TypeError(f"Plan.derived: the key starts with the deriving function, not {key[0]!r}")
        if key not in self._derived:
            self._derived[key] = make()
        return self._derived[key]  # type: ignore[return-value]

    @functools.cached_property
    def _derived(self) -> dict[tuple, object]:
        return {}

    # Lookups by code, built once: a national plan has thousands of units.
    @functools.cached_property
    def _targeted(self) -> frozenset[str]:  # has_targets: asked for every file, template and report
        return frozenset(self.targeted)

    @functools.cached_property
    def _units_by_code(self) -> dict[str, Unit]:
        found: dict[str, Unit] = {}
        for unit in self.units:
            found.setdefault(unit.code, unit)
        return found

    @functools.cached_property
    def _successors(self) -> dict[str, tuple[Unit, ...]]:
        found: dict[str, list[Unit]] = {}
        for unit in self.units:
            for former, percent in unit.shares:
                if percent:
                    found.setdefault(former, []).append(unit)
        return {code: tuple(units) for code, units in found.items()}

    def round(self, round_id: str) -> Round:
        try:
            return self._rounds_by_id[round_id]
        except KeyError:
            raise KeyError(round_id) from None

    @functools.cached_property
    def _rounds_by_id(self) -> dict[str, Round]:
        found: dict[str, Round] = {}
        for rnd in self.rounds + self.adhoc_rounds:
            found.setdefault(rnd.id, rnd)
        return found

    def rounds_through(self, round_id: str) -> tuple[Round, ...]:
        """The regular rounds up to and including `round_id`, in reporting order."""
        index = [r.id for r in self.rounds].index(round_id)
        return self.rounds[: index + 1]

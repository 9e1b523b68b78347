"""Progress against the schedule (tiến độ): how much of each target the plan expects by the end of
each year, and where a unit stands against it.

Each indicator has a completion time in the plan's appendix ("2022-2024", "2023 và 2025", …). By
default a range expects an equal share of the target each year ("2022-2024": a third by the end of
2022, two thirds by 2023, all by 2024), and a list of years an equal share in each year listed
("2023 và 2025": half by 2023, all by 2025). `schedule.csv` in the plan folder replaces that, per
indicator, with the officer's own milestones. The rule is stated for the officer in plan/README.md.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from pipeline.core.errors import PlanError

DONE, ON_TRACK, BEHIND, OVERDUE, NO_DATA, NO_TARGET = "done", "on_track", "behind", "overdue", "no_data", "no_target"
LABELS = {
    DONE: "Đã hoàn thành",
    ON_TRACK: "Đúng tiến độ",
    BEHIND: "Chậm tiến độ",
    OVERDUE: "Quá hạn chưa hoàn thành",
    NO_DATA: "Chưa có số liệu",
    NO_TARGET: "Không giao chỉ tiêu",
}
Milestones = tuple[tuple[int, float], ...]  # (year, share of the target expected by its end), by year

_RANGE = re.compile(r"^\s*(\d{4})\s*[-–]\s*(\d{4})\s*$")
_YEAR = re.compile(r"\d{4}")
_LIST_GLUE = re.compile(r"(\d{4}|\bvà\b|,|;|\s)")


def from_window(window: str, where: str = "indicators.csv") -> Milestones:
    """The default milestones of a completion time as the appendix writes it."""
    match = _RANGE.match(window)
    if match:
        first, last = int(match.group(1)), int(match.group(2))
        if last < first:
            raise PlanError(f"{where}: thời gian hoàn thành «{window}» kết thúc trước khi bắt đầu.")
        count = last - first + 1
        return tuple((year, (year - first + 1) / count) for year in range(first, last + 1))
    years = sorted({int(y) for y in _YEAR.findall(window)})
    if not years or _LIST_GLUE.sub("", window):
        raise PlanError(f"{where}: thời gian hoàn thành «{window}» không phải là một năm, một khoảng năm "
                        "(2022-2024) hay danh sách năm (2023 và 2025).")
    return tuple((year, (index + 1) / len(years)) for index, year in enumerate(years))


def load_overrides(folder: Path, codes: set[str]) -> dict[str, Milestones]:
    """schedule.csv (optional): columns indicator, year, percent — the share of the phase target
    expected by the end of that year. An indicator listed here takes these milestones only."""
    path = Path(folder) / "schedule.csv"
    if not path.is_file():
        return {}
    found: dict[str, list[tuple[int, float]]] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if not {"indicator", "year", "percent"} <= set(reader.fieldnames or []):
            raise PlanError(f"{path}: dòng tiêu đề cần các cột indicator, year, percent.")
        for cells in reader:
            where = f"schedule.csv, dòng {reader.line_num}"
            code = (cells.get("indicator") or "").strip()
            if not code:
                continue
            if code not in codes:
                raise PlanError(f"{where}: không có chỉ tiêu mã «{code}» trong indicators.csv.")
            try:
                year, percent = int(cells["year"]), float(cells["percent"].replace(",", "."))
            except (TypeError, ValueError):
                raise PlanError(f"{where}: cột year phải là một năm, cột percent phải là một số.") from None
            if not 0 <= percent <= 100:
                raise PlanError(f"{where}: percent phải từ 0 đến 100, đang ghi {percent:g}.")
            found.setdefault(code, []).append((year, percent / 100))
    result = {}
    for code, steps in found.items():
        steps.sort()
        shares = [share for _, share in steps]
        if len({year for year, _ in steps}) != len(steps) or shares != sorted(shares) or shares[-1] != 1:
            raise PlanError(f"{path}: các mốc của «{code}» phải mỗi năm một dòng, không giảm dần, và kết thúc "
                            "ở 100.")
        result[code] = tuple(steps)
    return result


def expected_share(milestones: Milestones, year: int) -> float:
    """The share of the target expected by the end of `year`."""
    share = 0.0
    for step_year, step_share in milestones:
        if step_year <= year:
            share = step_share
    return share


def due_year(milestones: Milestones) -> int:
    return milestones[-1][0]


def status(cumulative: int | None, target: int, milestones: Milestones, year: int, *, year_closed: bool) -> str:
    """Where a figure for the end of `year` stands. `year_closed`: the figure is the year's actual
    (an update round), so a completion time that ends with this year has passed."""
    if not target:
        return NO_TARGET
    if cumulative is None:
        return NO_DATA
    if cumulative >= target:
        return DONE
    last = due_year(milestones)
    if year > last or (year == last and year_closed):
        return OVERDUE
    return ON_TRACK if cumulative >= expected_share(milestones, year) * target else BEHIND

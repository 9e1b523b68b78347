"""A plan workbook read and checked in an isolated worker (`plan --from-workbook`): the same guard as a
unit's report, its sheets' values read with calamine, then the checker (plan/book_check.py), so that
nothing the file holds is parsed or walked outside the worker's limits."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.intake import guard
from pipeline.intake.xlsx_reader import Workbook
from pipeline.plan import book_layout
from pipeline.plan.book_check import Checked, check_book

# A plan of a whole country has some 3,400 units; the rest is room for the officer's spare rows.
MAX_ROWS = 20_000
MAX_COLS = 200


@dataclass
class PlanSheets:
    problem: str | None = None  # the guard's finding code, when the file is refused
    grids: dict[str, list[list]] = field(default_factory=dict)  # sheet -> rows of values (str, float, date…)
    formulas: dict[str, dict[str, str]] = field(default_factory=dict)  # sheet -> {cell: formula or error}
    clipped: list[str] = field(default_factory=list)  # sheets that held more than MAX_ROWS x MAX_COLS
    checked: Checked | None = None  # the plan folder's files, or every error found


def examine_plan_book(name: str, data: bytes) -> PlanSheets:
    """The worker's task: the file read, then checked; only the result goes back, not the sheets."""
    found = read_plan_book(name, data)
    if found.problem is None:
        found.checked = check_book(found.grids, found.formulas)
        found.grids, found.formulas = {}, {}
    return found


def read_plan_book(name: str, data: bytes) -> PlanSheets:
    verdict = guard.inspect(name, data)
    if verdict.problem:
        return PlanSheets(problem=verdict.problem)
    if verdict.kind != "xlsx":
        return PlanSheets(problem="file-xlsm" if verdict.kind == "xlsm" else "file-not-xlsx")
    book = Workbook(data, verdict.special)
    found = PlanSheets()
    for sheet in book_layout.SHEETS[1:]:
        if sheet not in book.sheet_parts:
            continue
        grid = book.grid(sheet)
        if len(grid) > MAX_ROWS or any(len(row) > MAX_COLS for row in grid[:MAX_ROWS]):
            found.clipped.append(sheet)
        found.grids[sheet] = [list(row[:MAX_COLS]) for row in grid[:MAX_ROWS]]
        found.formulas[sheet] = {cell: text for cell, (_kind, text) in
                                 verdict.special.get(book.sheet_parts[sheet], {}).items()}
    return found

"""A plan workbook read in an isolated worker (`plan --from-workbook`): the same guard as a unit's
report, then its sheets' values as plain data for the checker (plan/book_check.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.intake import guard
from pipeline.intake.xlsx_reader import Workbook
from pipeline.plan import book_layout

# A plan of a whole country has some 3,400 units; the rest is room for the officer's spare rows.
MAX_ROWS = 20_000
MAX_COLS = 200


@dataclass
class PlanSheets:
    problem: str | None = None  # the guard's finding code, when the file is refused
    grids: dict[str, list[list]] = field(default_factory=dict)  # sheet -> rows of values (str, float, date…)
    formulas: dict[str, dict[str, str]] = field(default_factory=dict)  # sheet -> {cell: formula or error}
    clipped: list[str] = field(default_factory=list)  # sheets that held more than MAX_ROWS x MAX_COLS


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

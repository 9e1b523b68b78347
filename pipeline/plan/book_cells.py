"""Reading the plan workbook's cells: each value checked against its column (plan/book_layout.py) and
turned into what the plan folder's files hold. A problem becomes a `BookError` located at its cell,
and reading goes on, so the officer gets every error of the workbook at once."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pipeline.core.sender_text import HIDDEN
from pipeline.core.xlsx import cell_name
from pipeline.plan import book_layout as L

# What a spreadsheet would run as a formula if the text were opened from a CSV file.
_FORMULA_START = ("=", "+", "@")
_DAY_MONTH_YEAR = re.compile(r"^\s*(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})\s*$")
MAX_TEXT = 2000


@dataclass(frozen=True)
class BookError:
    """One problem of the workbook: a stable code, the cell (or sheet) it is in, and the message."""

    code: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class BookRow:
    """A data row of a table sheet: its values by the folder's column, and where each came from."""

    sheet: str
    row: int  # 0-based
    values: dict[str, Any] = field(default_factory=dict)  # str, int or date, None when empty or wrong
    cols: dict[str, int] = field(default_factory=dict)

    def at(self, key: str) -> str:
        return L.where(self.sheet, self.row, self.cols.get(key, 0))

    def text(self, key: str) -> str:
        value = self.values.get(key)
        return "" if value is None else str(value)


class Cells:
    """A sheet's grid as the worker read it, and the errors found so far."""

    def __init__(self, grids: dict[str, list[list]], formulas: dict[str, dict[str, str]]):
        self.grids, self.formulas = grids, formulas
        self.errors: list[BookError] = []

    def error(self, code: str, where: str, message: str) -> None:
        self.errors.append(BookError(code, where, message))

    def raw(self, sheet: str, row: int, col: int) -> object:
        grid = self.grids.get(sheet) or []
        if row < len(grid) and col < len(grid[row]):
            value = grid[row][col]
            return "" if value is None else value
        return ""

    def rows(self, sheet: str) -> int:
        return len(self.grids.get(sheet) or [])

    def width(self, sheet: str) -> int:
        return max((len(r) for r in self.grids.get(sheet) or []), default=0)

    def value(self, sheet: str, row: int, col: int, kind: str, label: str, *,
              choices: dict[str, str] | None = None, required: bool = False) -> object:
        """The cell as the folder holds it: str, int or date; None when empty or wrong (then the
        error is recorded)."""
        where = L.where(sheet, row, col)
        if cell_name(row, col) in self.formulas.get(sheet, {}):
            self.error("plan-cell-formula", where, f"«{label}»: ô chứa công thức; hãy nhập giá trị.")
            return None
        raw = self.raw(sheet, row, col)
        if isinstance(raw, str):
            raw = unicodedata.normalize("NFC", raw).strip()
        if raw == "":
            if required:
                self.error("plan-cell-empty", where, f"«{label}» còn trống; hãy điền vào.")
            return None
        convert = {"date": self._date, "count": self._count, "int": self._count, "percent": self._percent,
                   "choice": self._choice}.get(kind, self._text)
        return convert(raw, where, label, kind, choices or {})

    # -- by kind -------------------------------------------------------------------------------

    def _text(self, raw, where: str, label: str, kind: str, _choices) -> str | None:
        if isinstance(raw, (bool, date, datetime)):
            self.error("plan-cell-type", where, f"«{label}» phải là chữ, đang ghi «{raw}».")
            return None
        if isinstance(raw, float):
            raw = str(int(raw)) if raw.is_integer() else repr(raw)
        text = str(raw)
        if HIDDEN.search(text):
            self.error("plan-cell-control", where, f"«{label}» có ký tự điều khiển hoặc ký tự đổi chiều chữ "
                                                   "(không nhìn thấy); hãy gõ lại ô này.")
            return None
        if text.startswith(_FORMULA_START):
            self.error("plan-cell-formula-text", where, f"«{label}» bắt đầu bằng «{text[0]}», bảng tính sẽ "
                                                        "hiểu là công thức; hãy bỏ ký tự đó.")
            return None
        if len(text) > MAX_TEXT:
            self.error("plan-cell-long", where, f"«{label}» dài {len(text)} ký tự; tối đa {MAX_TEXT}.")
            return None
        if kind == "code" and (not text.isascii() or any(c.isspace() for c in text)):
            self.error("plan-cell-code", where, f"«{label}» ghi «{_short(text)}»; mã chỉ gồm chữ không dấu, "
                                                "số, dấu gạch, không có khoảng trắng.")
            return None
        return text

    def _count(self, raw, where: str, label: str, kind: str, _choices) -> int | None:
        if isinstance(raw, bool) or not isinstance(raw, (int, float)):
            self.error("plan-cell-not-number", where, f"«{label}» phải là số nguyên, đang ghi "
                                                      f"«{_short(str(raw))}» (chữ, không phải số).")
            return None
        if isinstance(raw, float) and not raw.is_integer():
            self.error("plan-cell-not-integer", where, f"«{label}» phải là số nguyên, đang ghi {raw:g}.")
            return None
        if raw < 0:
            self.error("plan-cell-negative", where, f"«{label}» là số âm ({int(raw)}); chỉ nhập số không âm.")
            return None
        return int(raw)

    def _percent(self, raw, where: str, label: str, kind: str, choices) -> int | None:
        value = self._count(raw, where, label, kind, choices)
        if value is not None and not 0 < value <= 100:
            self.error("plan-cell-percent", where, f"«{label}» phải từ 1 đến 100, đang ghi {value}.")
            return None
        return value

    def _date(self, raw, where: str, label: str, _kind, _choices) -> date | None:
        if isinstance(raw, datetime):
            return raw.date()
        if isinstance(raw, date):
            return raw
        if isinstance(raw, str):
            match = _DAY_MONTH_YEAR.match(raw)
            try:
                if match:
                    return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
                return date.fromisoformat(raw)
            except ValueError:
                pass
        self.error("plan-cell-date", where, f"«{label}» phải là một ngày (ngày/tháng/năm), đang ghi "
                                            f"«{_short(str(raw))}».")
        return None

    def _choice(self, raw, where: str, label: str, _kind, choices: dict[str, str]) -> str | None:
        text = str(raw).strip().casefold()
        for code, shown in choices.items():
            if text in (shown.casefold(), code.casefold()) and (code or text == shown.casefold()):
                return code
        self.error("plan-cell-choice", where, f"«{label}» ghi «{_short(str(raw))}»; chỉ chọn một trong: "
                                              f"{', '.join(choices.values())}.")
        return None

    # -- tables --------------------------------------------------------------------------------

    def table(self, table: L.Table) -> list[BookRow]:
        """The table's non-empty rows, each value read by its column; a sheet whose headings were
        changed is one error (the columns can no longer be trusted)."""
        if table.sheet not in self.grids:
            self.error("plan-sheet-missing", f"'{table.sheet}'", "không có trang này; hãy dùng bảng tính do "
                                                                 "lệnh plan --workbook tạo ra.")
            return []
        for col, column in enumerate(table.columns):
            heading = str(self.raw(table.sheet, L.HEADER_ROW, col)).strip().rstrip("*").strip()
            if heading != column.label:
                self.error("plan-sheet-changed", L.where(table.sheet, L.HEADER_ROW, col),
                           f"tiêu đề cột phải là «{column.label}», đang ghi «{_short(heading)}»; không thêm, "
                           "xóa hay đổi chỗ cột.")
                return []
        found = []
        for row in range(L.FIRST_ROW, self.rows(table.sheet)):
            if all(self.raw(table.sheet, row, col) in ("", None) for col in range(len(table.columns))):
                continue
            entry = BookRow(table.sheet, row)
            for col, column in enumerate(table.columns):
                entry.cols[column.key] = col
                entry.values[column.key] = self.value(table.sheet, row, col, column.kind, column.label,
                                                      choices=column.choices, required=column.required)
            found.append(entry)
        return found

    def identity(self) -> dict[str, object]:
        """The identity sheet's values by plan.toml key (book_check.identity_cell says where each is)."""
        values: dict[str, object] = {}
        if L.SHEET_IDENTITY not in self.grids:
            self.error("plan-sheet-missing", f"'{L.SHEET_IDENTITY}'", "không có trang này.")
            return values
        for n, fld in enumerate(L.IDENTITY):
            row = L.FIRST_ROW + n
            label = str(self.raw(L.SHEET_IDENTITY, row, 0)).rstrip("*").strip()
            if label != fld.label:
                self.error("plan-sheet-changed", L.where(L.SHEET_IDENTITY, row, 0),
                           f"dòng này phải là «{fld.label}»; không thêm, xóa hay đổi chỗ dòng.")
                continue
            values[fld.key] = self.value(L.SHEET_IDENTITY, row, 1, fld.kind, fld.label, required=fld.required)
        return values


def _short(text: str, limit: int = 60) -> str:
    text = HIDDEN.sub("?", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"

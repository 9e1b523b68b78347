"""Reading the plan's CSV files: rows as the officer saved them from Excel, and errors that name the
file, the line and the column to fix. plan.py builds the plan from these rows."""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pipeline.core.errors import PlanError


@dataclass(frozen=True)
class Row:
    file: str
    line: int
    cells: dict[str, str]

    def where(self) -> str:
        return f"{self.file}, dòng {self.line}"

    def text(self, column: str) -> str:
        value = self.cells.get(column)
        if value is None or not value.strip():
            raise PlanError(f"{self.where()}: cột «{column}» còn trống; hãy điền vào.")
        return value.strip()

    def integer(self, column: str, *, optional: bool = False) -> int | None:
        raw = (self.cells.get(column) or "").strip()
        if not raw and optional:
            return None
        try:
            return int(raw)
        except ValueError:
            raise PlanError(
                f"{self.where()}: cột «{column}» phải là số nguyên, đang ghi «{raw}»."
            ) from None

    def choice(self, column: str, allowed: tuple[str, ...]) -> str:
        value = self.text(column)
        if value not in allowed:
            raise PlanError(
                f"{self.where()}: cột «{column}» đang ghi «{value}»; "
                f"chỉ được ghi một trong: {', '.join(allowed)}."
            )
        return value

    def iso_date(self, column: str) -> date:
        raw = self.text(column)
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise PlanError(
                f"{self.where()}: cột «{column}» phải là ngày dạng NNNN-TT-NN (ví dụ 2025-07-01), đang ghi «{raw}»."
            ) from None


def read_csv(folder: Path, name: str, columns: tuple[str, ...]) -> list[Row]:
    path = folder / name
    if not path.is_file():
        raise PlanError(f"Không tìm thấy {path}: thư mục kế hoạch nào cũng cần tệp {name}.")
    # utf-8-sig: Excel adds a byte-order mark when an editor saves the file as "CSV UTF-8".
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise PlanError(f"{path}: dòng tiêu đề thiếu cột {', '.join(missing)}.")
        rows = [Row(name, reader.line_num, dict(cells)) for cells in non_blank(reader)]
    if not rows:
        raise PlanError(f"{path}: chưa có dòng số liệu nào.")
    return rows


def non_blank(reader: csv.DictReader) -> Iterator[dict[str, str]]:
    for cells in reader:
        if any((v or "").strip() for v in cells.values() if isinstance(v, str)):
            yield cells


def unique(rows: list[Row], column: str) -> None:
    seen: dict[str, Row] = {}
    for row in rows:
        key = row.text(column)
        if key in seen:
            raise PlanError(
                f"{row.where()}: {column} «{key}» bị lặp (đã có ở dòng {seen[key].line})."
            )
        seen[key] = row


def ascii_code(row: Row) -> str:
    code = row.text("code")
    if not (code.isascii() and code.replace("_", "").isalnum() and code[0].isalpha()):
        raise PlanError(
            f"{row.where()}: mã «{code}» phải bắt đầu bằng chữ cái và chỉ gồm a-z, 0-9 và _ (không dấu, không cách)."
        )
    return code


def ascii_slug(text: str) -> str:
    """Vietnamese words without their marks, lower case, joined by hyphens: for file names."""
    plain = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in plain if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-") or "khu-vuc"

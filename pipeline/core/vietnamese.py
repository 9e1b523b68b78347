"""How Vietnamese documents write dates, round names and numbers."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from babel import Locale
from babel.numbers import NumberPattern, parse_pattern


class _Round(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def year(self) -> int: ...


class _Unit(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def level(self) -> str: ...
    @property
    def kind(self) -> str: ...

LOCALE = "vi_VN"


def listed(parts: list[str]) -> str:
    """['a', 'b', 'c'] -> 'a, b và c'."""
    if not parts:
        return ""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " và " + parts[-1]


# A list of units in a report names them all up to NAMED_UNITS; beyond (a province's communes, a
# country's), the first NAMED_SHOWN and how many others, and where the whole list is.
NAMED_UNITS, NAMED_SHOWN = 30, 10


def listed_units(names: list[str], where: str = "") -> str:
    """`names` as `listed` writes them, or, past NAMED_UNITS, 'a, b, … và 1.234 đơn vị khác (where)'."""
    if len(names) <= NAMED_UNITS:
        return listed(names)
    rest = f"{', '.join(names[:NAMED_SHOWN])} và {format_number(len(names) - NAMED_SHOWN)} đơn vị khác"
    return f"{rest} ({where})" if where else rest


def joined_units(names: list[str], where: str = "") -> str:
    """'a, b, c' (commas only, as a line of the officer's summary or a quoted point's authors), bounded as
    `listed_units` bounds a list."""
    return ", ".join(names) if len(names) <= NAMED_UNITS else listed_units(names, where)


def format_date(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def round_title(rnd: _Round) -> str:
    if rnd.name:
        return rnd.name
    if rnd.kind == "annual":
        return f"Báo cáo kết quả năm {rnd.year}"
    return f"Cập nhật số liệu cả năm {rnd.year}"


# A file's status in the ledger, as the officer reads it.
STATUS_WORDS = {
    "accepted": "Tiếp nhận",
    "accepted_with_warnings": "Tiếp nhận, có lưu ý",
    "rejected": "Trả lại",
    "duplicate": "Trùng",
    "superseded": "Đã được thay thế",
    "unpacked": "Thư (đã tách tệp)",
    "held": "Chờ xác nhận",
    "ignored": "Bỏ qua (tệp khóa)",
}


LEVEL_WORDS = {"province": "cấp tỉnh", "district": "huyện", "commune": "xã, phường", "department": "sở, ngành"}


def senders_word(units: Iterable[_Unit]) -> str:
    """Who sends a round's reports, as a deadline names them: 'huyện', 'xã, phường' (the province level
    aside), or 'đơn vị' when the levels are mixed."""
    levels = {u.level for u in units if u.level != "province"}
    return LEVEL_WORDS[levels.pop()] if len(levels) == 1 else "đơn vị"


AREA_WORDS = ("huyện", "thị xã", "thành phố", "quận", "xã", "phường", "thị trấn", "đặc khu")


def place(unit: _Unit) -> str:
    """How a letter or report names a unit's area: 'huyện Bắc Yên' (a name that already says huyện, xã,
    phường… keeps its own word, lower case); a commune's name says xã or phường."""
    if unit.name.casefold().startswith(tuple(f"{word} " for word in AREA_WORDS)):
        return unit.name[0].lower() + unit.name[1:]
    kind = unit.kind or ("huyện" if unit.level == "district" else "")
    return f"{kind} {unit.name}" if kind else unit.name


def bare_name(unit: _Unit) -> str:
    """The name without the word for its kind, as a document's place line writes it: 'Chiềng Sơn' for
    «Xã Chiềng Sơn»."""
    for word in sorted(AREA_WORDS, key=len, reverse=True):
        if unit.name.casefold().startswith(f"{word} "):
            return unit.name[len(word) + 1:]
    return unit.name


def women_union(unit: _Unit, reporting_body: str = "") -> str:
    """The Women's Union a letter to the unit is addressed to. The province level's figures are the
    provincial Union's own work: its letters go to that Union's office, not to «Cấp tỉnh»."""
    if unit.level == "province":
        return f"Văn phòng {reporting_body}" if reporting_body else unit.name
    return f"Hội LHPN {place(unit)}"


def format_number(value: float | int | None) -> str:
    """1234567 -> '1.234.567'; 12.5 -> '12,5'; None (no data) -> '–'."""
    if value is None:
        return "–"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) < 2**53):
        # Whole numbers, the most common by far, without Babel's pattern machinery (same text).
        return f"{int(value):,}".replace(",", ".")
    pattern, locale = _decimal_format()
    try:
        return pattern.apply(value, locale)  # what format_decimal(value, "#,##0.##", LOCALE) returns
    except (ArithmeticError, ValueError):  # beyond what Decimal formatting can hold, e.g. 1e26
        return f"{value:g}".replace(".", ",")


@functools.cache
def _decimal_format() -> tuple[NumberPattern, Locale]:
    """Babel's pattern and locale, parsed once: format_decimal parses both on every call (a third of
    the time of a unit's report)."""
    return parse_pattern("#,##0.##"), Locale.parse(LOCALE)


def percent_shown(value: float) -> Decimal:
    """0.1499 -> 15.0: the share in percent to one decimal, rounded half up as a spreadsheet's "0.0%"
    shows it."""
    return (Decimal(repr(value)) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def format_percent(value: float | None) -> str:
    """0.1499 -> '15,0%': one decimal everywhere (percent_shown)."""
    if value is None:
        return "–"
    shown = percent_shown(value)
    # Vietnamese separators swapped in by hand (what Babel writes for "#,##0.0", many times faster).
    return format(shown, ",.1f").translate(_VI_SEPARATORS) + "%"


_VI_SEPARATORS = str.maketrans({",": ".", ".": ","})

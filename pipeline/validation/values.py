"""A cell's value as a person typed it, taken as the number, date or answer it means: Vietnamese
thousands and decimal separators, numbers typed as text, dates as day numbers or dd/mm/yyyy. A value
that cannot be taken as it is gets the code of the finding that explains why."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from pipeline.core.vietnamese import format_number

_WHOLE = re.compile(r"^\d+$")
_THOUSANDS = re.compile(r"^\d{1,3}(\.\d{3})+(,\d+)?$")  # 1.200 or 1.200,5 as Vietnamese write them
_DECIMAL_COMMA = re.compile(r"^\d+,\d+$")  # 12,5 as Vietnamese write 12.5
_DECIMAL_POINT = re.compile(r"^\d*\.\d+$")
_DAY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_EXCEL_EPOCH = date(1899, 12, 30)

Number = int | float
# Beyond any count or amount (in millions of đồng) this plan can hold; far below what the ledger's
# integers overflow at (2**63).
MAX_VALUE = 1e12
_TYPED = (int, float, str)  # a tuple for isinstance: `int | float | str` builds a union at each of ~50 cells a file


@dataclass(frozen=True)
class Parsed:
    value: Number | date | None
    problem: str | None = None  # finding code when the cell cannot be taken as it is
    shown: str = ""  # what the sender typed, for the message


def _number_from_text(text: str) -> float | None:
    digits = text.lstrip("-").strip()
    sign = -1.0 if text.startswith("-") else 1.0
    if _WHOLE.match(digits):
        return sign * float(digits)
    if _THOUSANDS.match(digits):
        return sign * float(digits.replace(".", "").replace(",", "."))
    if _DECIMAL_COMMA.match(digits):
        return sign * float(digits.replace(",", "."))
    if _DECIMAL_POINT.match(digits):
        return sign * float(digits)
    return None


def _parse_number(raw: object, *, whole: bool) -> Parsed:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return Parsed(None, "value-missing")
    if isinstance(raw, bool) or not isinstance(raw, _TYPED):
        return Parsed(None, "value-not-number", str(raw))
    if isinstance(raw, str):
        shown = raw.strip()
        number = _number_from_text(shown.replace("\u00a0", "").replace(" ", ""))
        if number is None:
            return Parsed(None, "value-not-number", shown)
        from_text = True
    else:
        number, shown, from_text = float(raw), "", False  # written out only for a message
    problem = _number_problem(number, whole)
    if problem is not None:
        return Parsed(None, problem, shown if isinstance(raw, str) else format_number(raw))
    value: Number = int(number) if number.is_integer() else number
    return Parsed(value, "value-text-number" if from_text else None, shown)


def _number_problem(number: float, whole: bool) -> str | None:
    if not math.isfinite(number):
        return "value-not-number"
    if number < 0:
        return "value-negative"
    if number > MAX_VALUE:
        return "value-too-large"
    if whole and not number.is_integer():
        return "value-not-whole"
    return None


def parse_count(raw: object) -> Parsed:
    """A count cell as typed by a person: a whole number >= 0, possibly written as text."""
    return _parse_number(raw, whole=True)


def parse_amount(raw: object) -> Parsed:
    """A money cell: a number >= 0, decimals allowed, possibly written as text (1.200,5)."""
    return _parse_number(raw, whole=False)


def parse_day(raw: object) -> Parsed:
    """A date cell: a real date, an Excel day number, or text written dd/mm/yyyy."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return Parsed(None, "value-missing")
    if isinstance(raw, datetime):
        return Parsed(raw.date())
    if isinstance(raw, date):
        return Parsed(raw)
    if isinstance(raw, int | float) and not isinstance(raw, bool) and 1 <= raw < 2958466:
        return Parsed(_EXCEL_EPOCH + timedelta(days=int(raw)))
    match = _DAY.match(str(raw).strip())
    if match:
        day, month, year = (int(g) for g in match.groups())
        try:
            return Parsed(date(year, month, day), "value-text-date", str(raw).strip())
        except ValueError:
            pass
    return Parsed(None, "value-not-date", str(raw).strip())


def parse_yes_no(raw: object) -> Parsed:
    """A yes/no cell: «Có» or «Không» (as the template's list offers), also x, yes/no, true/false."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return Parsed(None, "value-missing")
    text = str(raw).strip().casefold()
    if raw is True or text in ("có", "co", "x", "yes", "true", "1"):
        return Parsed(1)
    if raw is False or text in ("không", "khong", "no", "false", "0"):
        return Parsed(0)
    return Parsed(None, "value-not-yes-no", str(raw).strip())


PARSERS = {"count": parse_count, "money": parse_amount, "date": parse_day, "yesno": parse_yes_no}


Value = int | float | str | None  # as recorded: numbers, text, dates as ISO text


@dataclass(frozen=True)
class CellValue:
    sheet: str
    cell: str
    value: object  # as the reader gave it: str, float, int, bool, date, or "" when empty


def shown(value: object) -> object:
    """A number as a message shows it: 1.500; 12,5."""
    return format_number(value) if isinstance(value, int | float) else value  # type: ignore[arg-type]

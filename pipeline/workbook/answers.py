"""«Tổng hợp» of an adhoc round: one row per unit, one column per thing the round asked (its
indicators' results so far this year, then its questions), and under them the province's sums and
the number of units that answered (live formulas)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pipeline.core.vietnamese import format_date, listed, round_title
from pipeline.plan import adhoc, form
from pipeline.plan.model import Plan, Round
from pipeline.workbook.book import Book, cell


@dataclass(frozen=True)
class Column:
    name: str  # the input's defined name
    heading: str
    kind: str  # the input kind (form.Field.kind)


def columns(plan: Plan, rnd: Round) -> list[Column]:
    """What the round asked, in the template's order."""
    (measure, label), = form.MEASURES[rnd.kind]
    found = [Column(form.field_name(i.code, measure), f"{i.no}. {i.short_name} ({i.unit}) – {label.lower()}", "count")
             for i in plan.indicators if i.code in rnd.indicators]
    found += [Column(form.field_name(adhoc.subject(q.code), "answer"),
                     f"Câu {q.no}. {q.text}" + (f" ({q.unit})" if q.unit else ""), q.kind) for q in rnd.questions]
    return found


def shown(book: Book, unit: str, column: Column):
    """A unit's answer as the sheet shows it: numbers as numbers, Có/Không, dates as dd/mm/yyyy."""
    result = book.result
    if column.kind in ("count", "money"):
        return result.number(unit, column.name)
    if column.kind == "yesno":
        answer = result.number(unit, column.name)
        return None if answer is None else bool(answer)
    text = result.text(unit, column.name)
    if column.kind == "date" and text:
        return format_date(date.fromisoformat(text))
    return text


def write(book: Book, ws) -> None:
    plan, result, s = book.plan, book.result, book.styles
    rnd = result.round
    asked = columns(plan, rnd)
    missing = [u.name for u in book.reporting if u.code not in result.reported]
    note = (f"Đã báo cáo: {len(book.reporting) - len(missing)}/{len(book.reporting)} đơn vị"
            + (f"; chưa báo cáo: {listed(missing)}." if missing else "."))
    headers = ["Mã", "Đơn vị", *[c.heading for c in asked]]
    widths = [7, 20, *[(34 if c.kind == "text" else 16) for c in asked]]
    book.title(ws, f"TỔNG HỢP – {round_title(rnd).upper()}", note, across=tuple(widths))
    book.headers(ws, 3, headers, widths)
    ws.set_row(3, 75)
    first = 4
    for offset, unit in enumerate(book.reporting):
        row = first + offset
        ws.write_string(row, 0, unit.code, s["text"])
        ws.write_string(row, 1, unit.name if unit.code in result.reported else f"{unit.name} (chưa báo cáo)",
                        s["text"])
        for col, column in enumerate(asked, start=2):
            style = {"count": "number", "money": "money", "text": "wrap"}.get(column.kind, "text")
            book.put(ws, row, col, shown(book, unit.code, column), style)
    last = first + len(book.reporting) - 1
    _totals(book, ws, asked, first, last)
    book.table_end(ws, 3, last + 2, len(headers))


def _totals(book: Book, ws, asked: list[Column], first: int, last: int) -> None:
    """Two rows: the sums (counts and money) or the units answering «Có» (yes/no); the units that answered."""
    s = book.styles
    total, answered = last + 1, last + 2
    ws.write_string(total, 1, "Cộng (câu Có/Không: số đơn vị trả lời Có)", s["bold_text"])
    ws.write_string(answered, 1, "Số đơn vị trả lời", s["bold_text"])
    for col, column in enumerate(asked, start=2):
        span = f"{cell(first, col)}:{cell(last, col)}"
        values = [shown(book, u.code, column) for u in book.reporting]
        given = [v for v in values if v is not None and v != ""]
        if column.kind in ("count", "money"):
            ws.write_formula(total, col, f"=SUM({span})", s["bold_number" if column.kind == "count" else "money_total"],
                             sum(given))
        elif column.kind == "yesno":
            ws.write_formula(total, col, f'=COUNTIF({span},"Có")', s["bold_number"], sum(1 for v in given if v))
        else:
            ws.write_blank(total, col, None, s["bold_text"])
        ws.write_formula(answered, col, f"=COUNTA({span})", s["bold_number"], len(given))

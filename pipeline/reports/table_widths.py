"""Word table columns wide enough for what must not wrap: each word of a column's heading, and in a
column of percentages a "100,0%". The templates' grids were drawn by hand, and a narrow column
printed "T / T" and "100,0 / %". What a column gains is taken from the widest one, so the table
keeps its width. Widths are estimated from Times New Roman's proportions (the reports' font), a
little generously: the reports are opened in Word and LibreOffice alike."""

from __future__ import annotations

import re

from lxml import etree

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_JINJA = re.compile(r"\{[{%#].*?[}%#]\}")

# A character's advance in Times New Roman, in ems (bold about 5% wider).
_NARROW, _WIDE = set(".,:;'!|iljtfr()[] "), set("MWmw%@")
DEFAULT_SIZE = 24  # half-points: a cell whose runs name no size
CELL_MARGINS = 2 * 108 + 40  # twips: Word's default left and right cell margins, and a border's room
PERCENT = "100,0%"
WIDEST_SHRINKS_TO = 1.2  # the widest column gives its room down to this much of its own need


def text_width(text: str, half_points: int, bold: bool) -> float:
    """Twips a text takes on one line."""
    ems = 0.0
    for ch in text:
        if ch in _NARROW:
            ems += 0.28
        elif ch in _WIDE:
            ems += 0.9
        elif ch.isupper():
            ems += 0.72
        else:
            ems += 0.5
    return ems * half_points * 10 * (1.06 if bold else 1.0)  # an em of s half-points is 10*s twips


def _cell_text(cell) -> str:
    return "".join(t.text or "" for t in cell.iter(f"{_W}t"))


def _cell_font(cell) -> tuple[int, bool]:
    sizes = [int(sz.get(f"{_W}val")) for sz in cell.iter(f"{_W}sz") if (sz.get(f"{_W}val") or "").isdigit()]
    bold = any(b.get(f"{_W}val") not in ("0", "false") for b in cell.iter(f"{_W}b"))
    return (max(sizes) if sizes else DEFAULT_SIZE), bold


def _span(cell) -> int:
    span = cell.find(f"{_W}tcPr/{_W}gridSpan")
    return int(span.get(f"{_W}val")) if span is not None else 1


def needed_widths(table) -> list[float]:
    """Per grid column, the least width its heading's words (and a percentage) need, with margins."""
    grid = table.findall(f"{_W}tblGrid/{_W}gridCol")
    rows = table.findall(f"{_W}tr")
    needs = [0.0] * len(grid)
    if not rows:
        return needs
    body_size = max((_cell_font(c)[0] for row in rows[1:2] for c in row.findall(f"{_W}tc")), default=DEFAULT_SIZE)
    column = 0
    for cell in rows[0].findall(f"{_W}tc"):
        span = _span(cell)
        if span == 1 and column < len(needs):
            text = _cell_text(cell)
            size, bold = _cell_font(cell)
            words = _JINJA.sub(" ", text).split()  # what a tag becomes is not known here
            need = max((text_width(w, size, bold) for w in words), default=0.0)
            if "%" in text or "tỷ lệ" in text.lower():
                need = max(need, text_width(PERCENT, body_size, False))
            needs[column] = need + CELL_MARGINS if need else 0.0
        column += span
    return needs


def fit_columns(table) -> bool:
    """Widen the columns narrower than they need, from the widest column's room; True if any changed."""
    grid = table.findall(f"{_W}tblGrid/{_W}gridCol")
    widths = [int(g.get(f"{_W}w") or 0) for g in grid]
    if len(widths) < 2 or not all(widths):
        return False
    needs = needed_widths(table)
    short = {k: need - widths[k] for k, need in enumerate(needs) if need > widths[k]}
    if not short:
        return False
    widest = max(range(len(widths)), key=lambda k: widths[k])
    room = widths[widest] - max(needs[widest] * WIDEST_SHRINKS_TO, 0)
    if widest in short or room <= 0:
        return False
    scale = min(1.0, room / sum(short.values()))
    new = list(widths)
    for k, missing in short.items():
        new[k] = int(widths[k] + missing * scale + 0.999)
    new[widest] -= sum(new) - sum(widths)
    for g, width in zip(grid, new, strict=True):
        g.set(f"{_W}w", str(width))
    for row in table.findall(f"{_W}tr"):
        column = 0
        for cell in row.findall(f"{_W}tc"):
            span = _span(cell)
            width = cell.find(f"{_W}tcPr/{_W}tcW")
            if width is not None and width.get(f"{_W}type", "dxa") == "dxa":
                width.set(f"{_W}w", str(sum(new[column:column + span])))
            column += span
    return True


def fit_every_table(root: etree._Element) -> None:
    """Every table but one whose columns are repeated per item ({%tc for %}): its widths are shared
    out once rendered (word._share_columns)."""
    for table in root.iter(f"{_W}tbl"):
        if "{%tc" not in "".join(_cell_text(c) for c in table.iter(f"{_W}tc")):
            fit_columns(table)

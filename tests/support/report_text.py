"""Reading a Word report's text and its numbers as Vietnamese documents write them."""





def number(text: str) -> float:
    """'1.234' -> 1234; '77,38%' -> 0.7738 (as Vietnamese documents write them)."""
    text = text.strip()
    if text.endswith("%"):
        return float(text[:-1].replace(".", "").replace(",", ".")) / 100
    return float(text.replace(".", "").replace(",", "."))


def all_text(document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return "\n".join(parts)


def percent_as_shown(value: float) -> str:
    """As the sheet's "0.0%" shows a share, with a decimal comma."""
    from decimal import ROUND_HALF_UP, Decimal
    shown = (Decimal(repr(value)) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{shown}".replace(".", ",") + "%"

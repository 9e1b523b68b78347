"""Templates stamped from a model are the templates XlsxWriter writes, byte for byte."""

from __future__ import annotations

import io
from datetime import datetime

import pytest

from pipeline.core import xlsx
from pipeline.core.config import Contact
from pipeline.plan.loader import DEFAULT_PLAN_DIR, load_plan
from pipeline.templates.layout import Layout, workbook_options
from pipeline.templates.stamping import Stamper
from pipeline.validation.book import RuleBook


def _written(layout) -> bytes:
    target = io.BytesIO()
    workbook = xlsx.Workbook(target, workbook_options())
    layout.lay_out(workbook)
    workbook.close()
    return target.getvalue()


def test_every_template_of_every_round_stamped_is_the_one_written():
    """The bundled plan's rounds: the districts' and, from 2025, the communes' templates."""
    plan, rules = load_plan(DEFAULT_PLAN_DIR), RuleBook.load(DEFAULT_PLAN_DIR)
    stamper = Stamper()
    compared = 0
    for rnd in plan.rounds:
        for unit in plan.units_for(rnd):
            def layout(unit=unit, rnd=rnd):
                return Layout(plan, rnd, unit, {}, Contact(), rules)
            assert stamper.package(layout) == _written(layout()), (rnd.id, unit.code)
            compared += 1
    assert stamper.stamped + stamper.written == compared
    assert stamper.stamped > 0.8 * compared  # else stamping silently stopped serving


class _Sheet:
    """A made-up template: `cells` are (row, column, value); two sheets, a footer, a title."""

    def __init__(self, title: str, cells: list[tuple[int, int, object]], footer: str = "&LA & B"):
        self.title, self.cells, self.footer = title, cells, footer

    def lay_out(self, wb) -> None:
        # a fixed moment: without one, XlsxWriter writes the second it closes the file
        wb.set_properties({"title": self.title, "author": "Hội LHPN", "created": datetime(2024, 9, 5)})
        bold = wb.add_format({"bold": True})
        first, second = wb.add_worksheet("Một"), wb.add_worksheet("Hai")
        for row, col, value in self.cells:
            (first if row < 10 else second).write(row % 10, col, value, bold)
        first.write_string(5, 5, "cố định")
        second.merge_range(6, 0, 6, 3, self.title, bold)
        first.set_footer(self.footer)


@pytest.mark.parametrize("other, stamped", [
    (_Sheet("Xã B", [(0, 0, "Xã B"), (1, 1, 12), (11, 0, "ghi chú")]), True),  # text, number, title
    (_Sheet("Xã B", [(0, 0, "Xã B"), (1, 1, 12.5), (11, 0, "ghi chú")], "&LA &amp; <B>"), True),  # footer
    (_Sheet("Xã B", [(0, 0, "cố định"), (1, 1, 7), (11, 0, "ghi chú")]), False),  # a text the model has
    (_Sheet("Xã B", [(0, 0, "Xã A"), (1, 1, 7), (11, 0, "ghi chú")]), False),  # one of a text's two uses
    (_Sheet("Xã B", [(0, 0, "ghi chú 2"), (1, 1, 7), (11, 0, "ghi chú 2")]), False),  # two texts made one
    (_Sheet("Xã B", [(0, 0, "Xã B"), (1, 1, "7"), (11, 0, "ghi chú")]), False),  # a number become text
    (_Sheet("Xã B", [(0, 0, ""), (1, 1, 7), (11, 0, "ghi chú")]), False),  # a text become a blank cell
    (_Sheet("Xã B", [(0, 0, "Xã B"), (1, 1, 7), (11, 0, "ghi chú"), (2, 2, 1)]), False),  # a cell more
])
def test_only_what_can_be_stamped_is_and_the_rest_is_written(other, stamped):
    model = _Sheet("Xã A", [(0, 0, "Xã A"), (1, 1, 7), (11, 0, "ghi chú")])
    stamper = Stamper()
    assert stamper.package(lambda: model) == _written(model)
    assert stamper.package(lambda: other) == _written(other)
    assert (stamper.stamped, stamper.written) == ((1, 1) if stamped else (0, 2))


class _Linked(_Sheet):
    """A link whose text is the model's unit name, the same for every unit: XlsxWriter puts it in the
    shared strings, where the unit's own name changes slot."""

    def lay_out(self, wb) -> None:
        super().lay_out(wb)
        wb.get_worksheet_by_name("Một").write_url(3, 3, "https://lhpn.sonla.gov.vn", string="Xã A")


def test_a_template_that_makes_what_stamping_does_not_know_is_always_written():
    """A link, a rich string or a comment may use the shared strings in ways not read here."""
    stamper = Stamper()
    for title in ("Xã A", "Xã B"):
        layout = _Linked(title, [(0, 0, title), (1, 1, 7)])
        assert stamper.package(lambda layout=layout: layout) == _written(layout), title
    assert (stamper.stamped, stamper.written) == (0, 2)

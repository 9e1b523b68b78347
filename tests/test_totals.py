"""Totals across units: what every summary, report and chart adds up."""

from types import SimpleNamespace

from pipeline.figures.consolidate import Consolidation, Progress, Source, total_progress, year_total


def _source(year: int, value: int) -> Source:
    return Source(f"{year}-annual", 1, "f.xlsx", "Chỉ tiêu", "F6", value)


def _result() -> Consolidation:
    progress = {
        "a": {"x": Progress(5, "estimate", [], {2023: _source(2023, 2), 2024: _source(2024, 3)})},
        "b": {"x": Progress(7, "estimate", [], {2024: _source(2024, 7)})},
        "c": {"x": Progress()},  # nothing reported
    }
    return Consolidation(SimpleNamespace(id="2024-annual"), progress, {}, {}, {}, [])


def _units(*codes: str) -> list:
    return [SimpleNamespace(code=code) for code in codes]


def test_a_total_adds_the_units_that_have_a_figure_and_is_none_when_none_has():
    result = _result()
    assert total_progress(result, _units("a", "b", "c"), "x") == 12
    assert year_total(result, _units("a", "b", "c"), "x", 2023) == 2
    assert year_total(result, _units("a", "b"), "x", 2024) == 10
    assert year_total(result, _units("b", "c"), "x", 2023) is None
    assert total_progress(result, _units("c"), "x") is None
    assert total_progress(result, _units("b"), "x") == 7


def test_a_total_asked_again_is_the_same_and_each_group_has_its_own():
    result = _result()
    assert total_progress(result, _units("a", "b"), "x") == 12
    assert total_progress(result, _units("a", "c"), "x") == 5
    assert total_progress(result, _units("a", "b"), "x") == 12
    assert year_total(result, _units("a", "b"), "x", 2024) == 10

"""Formulas prepared by core/xlsx.py are those XlsxWriter prepares, with or without its substitutions."""

from __future__ import annotations

import random
import re

from xlsxwriter.worksheet import Worksheet

from pipeline.core import xlsx

# Function names XlsxWriter prefixes, taken from its own patterns, with the ones our workbooks use.
NAMES = sorted({n for p in xlsx._patterns() for n in re.findall(r"([A-Z][A-Z0-9.]+)\\\(", p)}
               | {"SUM", "IF", "N", "COUNT"})
PIECES = ["A1", "$B$7", "'Chỉ tiêu'!D6", '"MAP("', ",", ":", "+", "/", ">0", " ", ".", "_", "X", "_xlfn.", "{", "}"]


def _formula(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(1, 8)):
        parts.append(rng.choice(NAMES) + "(" if rng.random() < 0.4 else rng.choice(PIECES))
        if rng.random() < 0.3:
            parts.append(")")
    return rng.choice(["=", "{=", ""]) + "".join(parts) + rng.choice(["", "}"])


def test_a_formula_is_prepared_as_xlsxwriter_prepares_it():
    assert xlsx._rewrites() is not None  # else every formula takes XlsxWriter's own way, slowly
    plain = Worksheet()
    rng = random.Random(32)
    cases = [_formula(rng) for _ in range(5000)] + ["=A.MAP(1)", "=XSINGLE(1)", "=STDEV.S(A1)", "=_xlfn.X(1)",
                                                    '=IF(N(G8)>0,E8/G8,"")', "{=SUM(A1)}"]
    for formula in cases:
        for future in (False, True):
            assert xlsx._prepared(formula, future) == Worksheet._prepare_formula(plain, formula, future), formula


def test_the_joined_patterns_match_where_xlsxwriters_own_patterns_match():
    """The tree of names in _rewrites() finds a match in exactly the formulas where one of XlsxWriter's
    patterns, tried one by one, finds one: names cut short or run on, in lower case, after a dot or a
    letter, the "." that stands for any character, and the one pattern of another shape."""
    each = [re.compile(p) for p in xlsx._patterns()]
    joined = xlsx._rewrites()
    assert len(each) > 100 and joined is not None
    rng = random.Random(5)
    pieces = [*PIECES, "single(", "XSINGLE(", " SINGLE(", "(", "a", "9", "Ư", "\n"]
    cases = []
    for _ in range(40_000):
        parts = []
        for _ in range(rng.randint(1, 5)):
            name = rng.choice(NAMES)
            cut = rng.choice([name, name[rng.randint(0, len(name) - 1):], name[:rng.randint(1, len(name))],
                              name.replace(".", rng.choice("X_9."))])
            parts.append(cut + rng.choice(["(", "(", "", " ("]) if rng.random() < 0.5 else rng.choice(pieces))
        cases.append("".join(parts))
    found = [any(p.search(c) for p in each) for c in cases]
    assert 0.2 < sum(found) / len(cases) < 0.8  # both kinds of formula, many of each
    assert [joined.search(c) is not None for c in cases] == found

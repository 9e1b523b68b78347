"""Formulas prepared by core/xlsx.py are those XlsxWriter prepares, with or without its substitutions."""

from __future__ import annotations

import random
import re

from xlsxwriter.worksheet import Worksheet

from pipeline.core import xlsx

# Function names XlsxWriter prefixes, taken from its own patterns, with the ones our workbooks use.
NAMES = sorted(set(re.findall(r"([A-Z][A-Z0-9.]+)\\\(", xlsx._rewrites().pattern)) | {"SUM", "IF", "N", "COUNT"}) \
    if xlsx._rewrites() is not None else ["SUM"]
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

"""XlsxWriter for workbooks written by the thousand (a template per commune): the same output, faster.

XlsxWriter rewrites every formula with some 110 regular expressions (future-function prefixes) each
time it is written or serialised. A template writes the same few hundred formulas for every unit, so
each distinct formula is prepared once per process and remembered; and one that none of those
expressions matches (all of ours: a province's workbook has thousands, each its own) is only stripped.
A province's area workbook writes some 60,000 plain cells: a formatted number, text or blank is stored
and written as XlsxWriter would, without its per-cell argument conversion and attribute lists: a line
of them stored at once (put_row), the rows written from the cells each holds, a row's plain cells in
one write (XlsxWriter looks at every column of every row, twice). tests/test_fast_cells.py compares the
bytes.

`LayoutOnly` stands for a workbook when only what the writer records beside it is wanted (a
template's locked content, to check a received file against): every call is accepted and ignored.
"""

from __future__ import annotations

import functools
import inspect
import re
import types
import zipfile
from math import isfinite

import xlsxwriter
from xlsxwriter import worksheet as worksheet_module
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet as _Worksheet

PREPARED_KEPT = 50_000  # distinct formulas remembered; a template has a few hundred
CELLS_KEPT = 1 << 16  # distinct cell names remembered; a template names about a thousand
NUMBERS = (int, float)  # for isinstance: `int | float` would build a union at every cell
_PLAIN = _Worksheet()  # prepares a formula as any sheet without future functions does


@functools.cache  # read on first use, not at import: every command imports this module
def _patterns() -> tuple[str, ...]:
    """The patterns XlsxWriter's _prepare_formula substitutes, from its source (none when there is no
    source to read, as in a frozen installation: then every formula goes its way)."""
    try:
        return tuple(re.findall(r're\.sub\(\s*r"([^"]+)"', inspect.getsource(_Worksheet._prepare_formula)))
    except (OSError, TypeError):
        return ()


@functools.cache
def _rewrites() -> re.Pattern | None:
    """Every pattern of _patterns() as one: a formula none of them matches comes out of XlsxWriter's
    substitutions only stripped of its braces and "=". Those of the form \\bNAME\\( (all but one) are
    joined as a tree of their common beginnings: one alternation of 150 branches tried at every
    character took 0.1-0.2 ms for a formula of 40 characters, and an area workbook has 2,700."""
    patterns = _patterns()
    if len(patterns) < 30:
        return None
    names, others = [], []
    for pattern in patterns:
        atoms = _ATOM.findall(pattern)
        plain = len(atoms) > 2 and atoms[0] == r"\b" and atoms[-1] == r"\(" and \
            all(_NAME_ATOM.fullmatch(a) for a in atoms[1:-1])
        if plain:
            names.append(atoms[1:-1])
        else:
            others.append(pattern)
    joined = [r"\b" + _branches(_tree(names)) + r"\("] if names else []
    return re.compile("|".join(f"(?:{p})" for p in [*joined, *others]))


_ATOM = re.compile(r"\\.|.", re.DOTALL)  # an escaped character, or one character
_NAME_ATOM = re.compile(r"[A-Za-z0-9_.]|\\\.")  # "." matches any character, as in XlsxWriter's patterns


def _tree(names: list[list[str]]) -> dict:
    """The names as a tree of their atoms; None marks where one ends."""
    root: dict = {}
    for atoms in names:
        node = root
        for atom in atoms:
            node = node.setdefault(atom, {})
        node[None] = {}
    return root


def _branches(node: dict) -> str:
    """A regular expression matching exactly the names below `node`."""
    branches = [atom + _branches(child) for atom, child in sorted((a, c) for a, c in node.items() if a is not None)]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if None in node else body


@functools.lru_cache(maxsize=PREPARED_KEPT)
def _prepared(formula: str, expand_future_functions: bool) -> str:
    rewrites = _rewrites()
    if rewrites is not None and "_xlfn." not in formula and rewrites.search(formula) is None:
        return _stripped(formula)
    return _Worksheet._prepare_formula(_PLAIN, formula, expand_future_functions)


def _stripped(formula: str) -> str:
    """What _prepare_formula does first: an array formula's braces and the leading "=" taken off."""
    if formula.startswith("{"):
        formula = formula[1:]
    if formula.startswith("="):
        formula = formula[1:]
    if formula.endswith("}"):
        formula = formula[:-1]
    return formula


@functools.lru_cache(maxsize=CELLS_KEPT)
def cell_name(row: int, col: int) -> str:
    """The name of a cell, as "B7" for (6, 1): the same few thousand, for every template."""
    return xl_rowcol_to_cell(row, col)


class Worksheet(_Worksheet):
    def _prepare_formula(self, formula, expand_future_functions=False):
        return _prepared(formula, bool(expand_future_functions or self.use_future_functions))

    def put(self, row: int, col: int, value, cell_format) -> None:
        """A number as a number, None or "" as a blank, anything else as text (never a formula): what
        write_number, write_blank and write_string store, without their argument conversion (a province's
        workbook writes a few hundred thousand cells, each by its row and column)."""
        if value is None or value == "":
            self._write_blank(row, col, None, cell_format)
        elif isinstance(value, NUMBERS) and not isinstance(value, bool):
            self._write_number(row, col, value, cell_format)
        else:
            self._write_string(row, col, str(value), cell_format)

    def put_row(self, row: int, col: int, values: list, cell_formats: list) -> None:
        """put() of values side by side from (row, col), each with its format: what put() stores, with
        the sheet's extent checked once for the row (a trace sheet writes 36,000 cells this way)."""
        last = col + len(values) - 1
        if self.constant_memory or not values or None in cell_formats or not (
                0 <= row < self.xls_rowmax and col >= 0 and last < self.xls_colmax):
            for offset, (value, cell_format) in enumerate(zip(values, cell_formats, strict=True)):
                self.put(row, col + offset, value, cell_format)
            return
        self._check_dimensions(row, col)
        self._check_dimensions(row, last)
        cells = self.table[row]
        shared = self.str_table._get_shared_string_index
        longest = self.xls_strmax // 2  # a longer string may need cutting: _write_string does that
        for at, value, cell_format in zip(range(col, last + 1), values, cell_formats, strict=True):
            kind = value.__class__
            if kind is str and 0 < len(value) <= longest:  # most cells: a name, a code, a label
                cells[at] = _new(_STRING, (shared(value), cell_format))
            elif value is None or value == "":
                cells[at] = _new(_BLANK, (cell_format,))
            elif isinstance(value, NUMBERS) and not isinstance(value, bool):
                if isfinite(value):
                    cells[at] = _new(_NUMBER, (value, cell_format))
                else:
                    self._write_number(row, at, value, cell_format)
            elif len(text := str(value)) <= longest:
                cells[at] = _new(_STRING, (shared(text), cell_format))
            else:
                self._write_string(row, at, text, cell_format)

    def _calculate_spans(self) -> None:
        # XlsxWriter's, from the cells each row holds rather than a look at every column of every row.
        blocks: dict[int, tuple[int, int]] = {}
        low, high = self.dim_rowmin, self.dim_rowmax
        for rows in (self.table, self.comments):
            for row, cells in rows.items():
                if not cells or not low <= row <= high:
                    continue
                first, last = min(cells), max(cells)
                block = row // 16
                if block in blocks:
                    first, last = min(first, blocks[block][0]), max(last, blocks[block][1])
                blocks[block] = (first, last)
        self.row_spans = {block: f"{first + 1}:{last + 1}" for block, (first, last) in blocks.items()}

    def _write_rows(self) -> None:
        # XlsxWriter's, row by row over the cells each holds; a row's plain cells in one write.
        self._calculate_spans()
        table, row_info, comments, spans = self.table, self.row_info, self.comments, self.row_spans
        low, high = self.dim_rowmin, self.dim_rowmax
        styles: dict[int, int] = {}
        write, names = self.fh.write, _column_names()
        # A row without attributes of its own starts with <row r=".." spans="..">, as _write_row writes it.
        bare = self.default_row_height == self.original_row_height and self.excel_version != 2010
        for row in sorted(r for r in {*table, *row_info, *comments} if low <= r <= high):
            cells = table.get(row)
            span = spans.get(row // 16)
            if not cells:
                if row in row_info or row in comments:
                    self._write_empty_row(row, span, row_info.get(row))
                continue
            number = str(row + 1)
            plain: list[str] = []
            if bare and row not in row_info:
                plain.append(f'<row r="{number}" spans="{span}">' if span else f'<row r="{number}">')
            else:
                self._write_row(row, span, row_info.get(row))
            for col in sorted(cells):
                cell = cells[col]
                kind = type(cell)
                if kind not in _PLAIN_CELLS or not (cell_format := cell[-1]):  # a plain cell's format is last
                    if plain:
                        write("".join(plain))
                        plain = []
                    self._write_cell(row, col, cell)  # XlsxWriter's, for any other cell
                    continue
                style = styles.get(id(cell_format))
                if style is None:
                    style = styles[id(cell_format)] = cell_format._get_xf_index()
                name = (names[col] if col < NAMED_COLUMNS else _column_name(col)) + number
                if kind is _STRING:
                    plain.append(f'<c r="{name}" s="{style}" t="s"><v>{cell.string}</v></c>')
                elif kind is _NUMBER:
                    plain.append(f'<c r="{name}" s="{style}"><v>{cell.number:.16G}</v></c>')
                else:
                    plain.append(f'<c r="{name}" s="{style}"/>')
            plain.append("</row>")
            write("".join(plain))


_STRING, _NUMBER, _BLANK = worksheet_module.CellStringTuple, worksheet_module.CellNumberTuple, \
    worksheet_module.CellBlankTuple
_PLAIN_CELLS = frozenset({_STRING, _NUMBER, _BLANK})
_new = tuple.__new__  # a cell's named tuple, without the call through its __new__


@functools.cache
def _column_name(col: int) -> str:
    return xl_col_to_name(col)


NAMED_COLUMNS = 702  # A to ZZ: every column a workbook of ours writes


@functools.cache  # on first use, not at import
def _column_names() -> tuple[str, ...]:
    return tuple(xl_col_to_name(col) for col in range(NAMED_COLUMNS))


FASTEST = 1  # zlib's fastest level


class _FastestZip(zipfile.ZipFile):
    """XlsxWriter's zip, each part deflated at zlib's fastest level (XlsxWriter hands zipfile each part
    with a ZipInfo, which carries no level: zlib's default, 6)."""

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        super().writestr(zinfo_or_arcname, data, compress_type, FASTEST if compresslevel is None else compresslevel)


_STORE = xlsxwriter.Workbook._store_workbook
# XlsxWriter's _store_workbook as it is, but for the zip it opens: it names no level, nor lets a caller.
_store_fastest = types.FunctionType(_STORE.__code__, {**_STORE.__globals__, "ZipFile": _FastestZip},
                                    _STORE.__name__, _STORE.__defaults__, _STORE.__closure__)


class Workbook(xlsxwriter.Workbook):
    """With `fastest_zip`, its parts are deflated at zlib's fastest level: a province's area workbook
    (2.6 MB of XML) in 12-17 ms rather than 43-52 ms, for a file a quarter larger (391 KB, not 305 KB).
    Not a template: stamping.py writes templates as XlsxWriter does, to the byte."""

    worksheet_class = Worksheet

    def __init__(self, filename=None, options=None, *, fastest_zip: bool = False):
        super().__init__(filename, options)
        self.fastest_zip = fastest_zip

    def _store_workbook(self) -> None:
        if self.fastest_zip:
            _store_fastest(self)
        else:
            super()._store_workbook()


class LayoutOnly:
    """A workbook, or one of its sheets, that ignores what is written to it."""

    def __init__(self, name: str = ""):
        self.name = name
        self._sheets: dict[str, LayoutOnly] = {}

    def add_worksheet(self, name: str) -> LayoutOnly:
        self._sheets[name] = LayoutOnly(name)
        return self._sheets[name]

    def get_worksheet_by_name(self, name: str) -> LayoutOnly:
        return self._sheets[name]

    def __getattr__(self, attribute: str):
        # Kept on the instance: a template's layout calls the same few methods hundreds of times.
        setattr(self, attribute, _ignore)
        return _ignore


def _ignore(*_args, **_kwargs) -> None:
    return None

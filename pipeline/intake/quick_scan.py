"""The guard's fast path: one XML part of the shape office programs write, read by regular expressions
over its bytes instead of a callback per element.

It answers only when the part is plainly of that shape: UTF-8, no `<!` (no DTD, comment or CDATA),
no entity but the five predefined and character references, and, in a sheet, every cell written as
`<c r="B7" ...>` with simple attributes, inside one unprefixed `<sheetData>`, a formula only as a cell's
first child. Anything else returns None and the part goes through the streaming parser
(guard._XmlScan), which gives the same answer for every part this one reads; tests compare the two.
The guard checks the extent and cuts long formulas itself, for both paths.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

# A part held whole in memory to be read here; a larger one is streamed through the parser.
MAX_BYTES = 4 << 20

_PROLOG = re.compile(rb'\A(?:\xef\xbb\xbf)?(?:<\?xml\s[^>]*?\?>)?')
_ENCODING = re.compile(rb'encoding\s*=\s*["\']([A-Za-z0-9._-]+)["\']')
_OTHER_ENTITY = re.compile(rb'&(?!amp;|lt;|gt;|quot;|apos;|#)')  # a numeric one is checked where read
_ATTRIBUTES = rb'((?:\s+[A-Za-z_][\w.:-]*="[^"<>]*")*)\s*'
_SST = re.compile(rb'\s*<sst' + _ATTRIBUTES + rb'/?>')
_ATTRIBUTE = re.compile(rb'([A-Za-z_][\w.:-]*)="([^"<>]*)"')
_ANY_CELL = re.compile(rb'<c[\s/>]')
_PREFIXED_CELL = re.compile(rb':c[\s/>]')  # <x:c ...>, or the like in text: either goes to the parser
# A cell's start tag and what follows it: the name of its first child and the text before it; when that
# child is a formula, its end ("/" when it closes itself, else ">") and its text.
_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"' + _ATTRIBUTES + rb'(?:(/)>|>(?:([^<]*)<(/?[A-Za-z]+)'
                   + rb'(?:(?<=<f)' + _ATTRIBUTES.replace(b"(", b"(?:", 1) + rb'(?:(/)>|(>)([^<]*)</f>))?)?)')
_ANY_FORMULA = re.compile(rb'<f[\s/>]')
_PREFIXED = re.compile(rb'</?[\w.-]+:')
_ERROR = re.compile(rb'\st="e"')
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_TEXT_REFERENCE = re.compile(r"&(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);")
_VALUE_CHILDREN = {b"f", b"v", b"is"}


@dataclass
class QuickScan:
    """What guard._XmlScan notes of a part: for a sheet, its formula cells (an error cell is read here
    only when it holds a formula, which is what it is noted as) and the extent of the cells that hold
    something; for the shared strings, the counts on their root."""

    is_sheet: bool
    formulas: dict[str, str] = field(default_factory=dict)  # cell: the formula's text, without "="
    max_row: int = 0
    max_col: int = 0
    shared_string_counts: tuple[int, ...] = ()


def quick_scan(part: str, data: bytes) -> QuickScan | None:
    """The part read fast, or None when it is not plainly of the usual shape."""
    if len(data) > MAX_BYTES or b"<!" in data or not utf8(data) or (b"&" in data and _OTHER_ENTITY.search(data)):
        return None
    if part == "xl/sharedStrings.xml":
        return _shared_strings(data)
    if part.startswith("xl/worksheets/") and part.endswith(".xml"):
        return _sheet(data)
    return QuickScan(False)


def utf8(data: bytes) -> bool:
    """Whether the part declares UTF-8, or no encoding (sheet_edit.py asks the same)."""
    prolog = _PROLOG.match(data)
    declared = _ENCODING.search(prolog.group(0)) if prolog else None
    return (declared is None or declared.group(1).lower() in (b"utf-8", b"utf8")) and b"\x00" not in data[:4]


def _shared_strings(data: bytes) -> QuickScan | None:
    """Only the counts on the root <sst>: a parser makes room for them."""
    prolog = _PROLOG.match(data)
    root = _SST.match(data, prolog.end() if prolog else 0)
    if root is None:
        return None
    attributes = dict(_ATTRIBUTE.findall(root.group(1)))
    counts = tuple(int(value) for key in (b"count", b"uniqueCount")
                   if (value := attributes.get(key, b"").strip()).isdigit())
    return QuickScan(False, shared_string_counts=counts)


def _sheet(data: bytes) -> QuickScan | None:
    start = data.find(b"<sheetData>")
    end = data.find(b"</sheetData>")
    if start < 0 or end < start:
        return QuickScan(True) if _ANY_CELL.search(data) is None and _PREFIXED_CELL.search(data) is None else None
    cells_part = data[start:end]
    if _PREFIXED.search(cells_part) is not None or _PREFIXED_CELL.search(data) is not None:
        return None
    cells = _CELL.findall(cells_part)
    if not _each_one(cells_part, b"<c", _ANY_CELL, len(cells)) or _ANY_CELL.search(data, 0, start) is not None \
            or _ANY_CELL.search(data, end) is not None:
        return None  # a cell outside the sheet's data, or one not written as <c r="B7" ...>
    scan = QuickScan(True)
    # Each cell as (letters, digits, attributes, "/" if empty, the text before its first child, the child's
    # name, "/" if that child is a formula that closes itself, ">" if one that does not, the formula).
    holding = [(cell[0], cell[1]) for cell in cells if not cell[3] and cell[5] in _VALUE_CHILDREN]
    if holding:
        columns, rows = zip(*holding, strict=True)
        scan.max_row = max(map(int, rows))
        scan.max_col = _column(max(set(columns), key=lambda c: (len(c), c)))  # a few distinct columns
    errors = {(cell[0] + cell[1]).decode() for cell in cells if b'"e"' in cell[2] and _ERROR.search(cell[2])} \
        if b'"e"' in cells_part else set()
    formulas = [(cell[0] + cell[1], cell[8]) for cell in cells if (cell[6] or cell[7]) and not cell[4].strip()]
    if not _each_one(cells_part, b"<f", _ANY_FORMULA, len(formulas)):
        return None  # a formula that is not a cell's first child
    for reference, text in formulas:
        try:
            scan.formulas[reference.decode()] = _cached_text(text) if len(text) <= 2048 else _text(text)
        except (UnicodeDecodeError, ValueError):  # not UTF-8, or a reference to no character XML allows
            return None
    if errors - scan.formulas.keys():
        return None  # an error cell without a formula: its value is read by the parser
    return scan


def _each_one(data: bytes, start: bytes, element: re.Pattern, read: int) -> bool:
    """Whether the elements `read` are all of `data`'s: counted as the text that starts one (a fast count,
    enough unless other elements start alike, as <color> in a rich text's run), else by `element`."""
    return data.count(start) == read or len(element.findall(data)) == read


@functools.lru_cache(maxsize=4096)  # a template's formulas, file after file; bounded, and only short ones
def _cached_text(raw: bytes) -> str:
    return _text(raw)


def _text(raw: bytes) -> str:
    """Character data as an XML parser hands it over: line ends normalised, references replaced (a
    ValueError for one to a character XML does not allow)."""
    if b"\r" in raw:
        raw = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    text = raw.decode("utf-8")
    return _TEXT_REFERENCE.sub(_character, text) if "&" in text else text


def _character(match: re.Match) -> str:
    name = match.group(1)
    if not name.startswith("#"):
        return _NAMED[name]
    code = int(name[2:], 16) if name.startswith("#x") else int(name[1:])
    if code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF:
        return chr(code)
    raise ValueError(f"character reference {name}")


def _column(letters: bytes) -> int:
    col = 0
    for ch in letters:
        col = col * 26 + ch - 64
    return col

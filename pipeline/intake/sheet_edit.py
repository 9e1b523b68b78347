"""A flagged sheet of a marked copy edited as bytes: each marked cell's style attribute changed, and the
`<legacyDrawing>` that shows the comments put where the schema wants it; every other byte as received.

Parsing the sheet with lxml and writing it out again was a third of a marked copy's cost. This answers
only for a sheet of the plain shape office programs write: UTF-8, no DTD, comment, CDATA or processing
instruction, the main namespace as the only default one, one `<sheetData>`, every marked cell present
once as `<c r="G8" ...>` with double-quoted attributes, and no prefixed element among the worksheet's
children after the data. Anything else returns None and marking.py edits the parsed tree instead;
tests compare the two.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pipeline.intake.quick_scan import utf8
from pipeline.intake.xlsx_reader import MAIN_NS, REL_NS

_MAIN, _REL = MAIN_NS.encode(), REL_NS.encode()
_ATTRIBUTES = rb'((?:\s+[A-Za-z_][\w.:-]*="[^"<]*")*)'
_ROOT = re.compile(rb'<worksheet' + _ATTRIBUTES + rb'\s*>')
_PROLOG = re.compile(rb'\A(?:\xef\xbb\xbf)?(?:<\?xml\s[^>]*?\?>)?\s*')
_ATTRIBUTE = re.compile(rb'\s+([A-Za-z_][\w.:-]*)="([^"<]*)"')
# Any tag after the sheet's data, with attributes in either quotes: its name, whether it closes or is empty.
_TAG = re.compile(rb'<(/?)([A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?)'
                  rb'(?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"<]*"|\'[^\'<]*\'))*\s*(/?)>')


def edited_sheet(data: bytes, marks: list[tuple[str, str]], restyle: Callable[[int, str], int], legacy_id: str,
                 after_legacy: tuple[str, ...]) -> bytes | None:
    """`marks`: (cell, fill colour) in the order they are applied, a cell as often as it is marked;
    `restyle(style, colour)`: the index of the style to give a cell that has `style`, called as
    marking.py calls it on the parsed tree. None, with nothing restyled, when the sheet is not plainly
    of the usual shape."""
    if b"<!" in data or data.count(b"<?") > (1 if data.lstrip(b"\xef\xbb\xbf").startswith(b"<?xml") else 0) \
            or not utf8(data):
        return None
    prolog = _PROLOG.match(data)
    root = _ROOT.match(data, prolog.end() if prolog else 0)
    if root is None or data.count(b"xmlns=") != 1 or data.count(b"xmlns:r=") > 1:
        return None
    declared = dict(_ATTRIBUTE.findall(root.group(1)))
    if declared.get(b"xmlns") != _MAIN:
        return None
    start, end = data.find(b"<sheetData>"), data.find(b"</sheetData>")
    if start < 0 or end < start or data.count(b"<sheetData") != 1 or b"<legacyDrawing" in data:
        return None
    found = _cell_tags(data, start, end, list(dict.fromkeys(ref for ref, _colour in marks)))
    legacy_at = _legacy_position(data, end + len(b"</sheetData>"), after_legacy)
    if found is None or legacy_at is None:
        return None
    namespace = b"" if declared.get(b"xmlns:r") == _REL else b' xmlns:r="' + _REL + b'"'
    legacy = b"<legacyDrawing" + namespace + b' r:id="' + legacy_id.encode() + b'"/>'
    styles = {ref: int(attributes.get(b"s", b"0")) for _start, _end, attributes, _closing, ref in found}
    for ref, colour in marks:
        styles[ref] = restyle(styles[ref], colour)
    pieces, at = [], 0
    for position, tag_end, attributes, closing, ref in found:
        attributes[b"s"] = str(styles[ref]).encode()
        pieces += [data[at:position], b'<c r="', ref.encode(), b'"',
                   b"".join(b" " + name + b'="' + value + b'"' for name, value in attributes.items()), closing]
        at = tag_end
    return b"".join([*pieces, data[at:legacy_at], legacy, data[legacy_at:]])


def _cell_tags(data: bytes, start: int, end: int, cells: list[str]) -> list | None:
    """Each marked cell's start tag in the sheet's data, in the order of the bytes: (where it starts,
    where it ends, its attributes, its closing ">" or "/>", the cell), or None if one is not there once
    in the plain form."""
    if data.count(b"r='", start, end):
        return None
    found = []
    for ref in cells:
        written = f'r="{ref}"'.encode()
        tag = re.compile(rb'<c r="' + re.escape(ref.encode()) + rb'"' + _ATTRIBUTES + rb'\s*(/?>)')
        match = tag.search(data, start, end)
        if match is None or data.count(written, start, end) != 1:
            return None
        attributes = dict(_ATTRIBUTE.findall(match.group(1)))
        if not attributes.get(b"s", b"0").isdigit() or len(attributes) != match.group(1).count(b"="):
            return None
        found.append((match.start(), match.end(), attributes, match.group(2), ref))
    return sorted(found, key=lambda cell: cell[0])


def _legacy_position(data: bytes, after: int, children: tuple[str, ...]) -> int | None:
    """Where `<legacyDrawing>` goes among the worksheet's children after its data: before the first of
    `children` (those the schema puts after it, so last), else before `</worksheet>`. The children are
    walked from the end (the sheet's last few), and none of those names may start a tag before the
    place found, at any depth."""
    end = data.rfind(b"<")
    last = _TAG.match(data, end) if end >= after else None
    if last is None or last.group(1) != b"/" or last.group(2) != b"worksheet" or data[last.end():].strip():
        return None
    place, depth, limit = end, 0, end
    while (start := data.rfind(b"<", after, limit)) >= 0:
        tag = _TAG.match(data, start)
        if tag is None or tag.end() > limit:
            return None
        limit = start
        closing, name, empty = tag.group(1), tag.group(2).decode("ascii"), tag.group(3)
        if closing:
            depth += 1
            continue
        if not empty:
            depth -= 1
            if depth < 0:
                return None
        if depth == 0:  # a child of the worksheet starts here
            if ":" in name:
                return None
            if name not in children:
                break
            place = start
    earlier = re.compile(rb"<(?:" + b"|".join(re.escape(c.encode()) for c in children) + rb")[\s/>]")
    return None if earlier.search(data, after, place) else place

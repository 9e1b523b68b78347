"""Templates written by the thousand: one unit's template written by XlsxWriter, the next ones stamped
from it by changing only what differs.

A template is what its calls on the workbook make (Layout.lay_out). A `Recorder` takes those calls
without building anything (a few milliseconds, against some 35 for XlsxWriter to build and write the
file). When a unit's calls differ from the model's only in the text or number a cell holds, a footer or
the document's title, its package is the model's with those bytes changed: the same shared-string slots
(when the texts that change are all the model's uses of them and new to it), the same numbers written as
XlsxWriter writes them, the same zip entries. Anything else (another row height, a cell more, a
validation changed) is written by XlsxWriter in full. Tests compare stamped templates with written ones,
byte for byte.
"""

from __future__ import annotations

import functools
import io
import math
import re
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from xlsxwriter.sharedstrings import SharedStrings
from xlsxwriter.utility import xl_rowcol_to_cell

from pipeline.core import xlsx
from pipeline.core.office_package import xlsxwriter_package, xml_text
from pipeline.templates.layout import Layout, workbook_options

# XlsxWriter keeps a string whole up to half its limit without measuring it in UTF-16 units.
MAX_TEXT = 16_000
_CELL_WRITES = ("write", "write_string", "write_number", "merge_range")
# The calls a model may hold: those whose use of the shared strings _looks_up knows (none, or as above).
# A template that makes another (a link, a rich string, a comment) is always written in full.
_KNOWN = {*_CELL_WRITES, "write_formula", "write_blank", "add_worksheet", "add_format", "define_name",
          "set_properties", "conditional_format", "data_validation", "set_row", "set_column",
          "protect", "set_landscape", "set_portrait", "set_paper", "fit_to_pages", "set_margins", "set_footer",
          "set_header", "repeat_rows", "repeat_columns", "freeze_panes", "very_hidden", "hide", "activate",
          "set_first_sheet", "set_print_scale", "set_v_pagebreaks", "set_h_pagebreaks", "print_area",
          "hide_gridlines", "set_zoom", "set_tab_color", "close"}
_SI = re.compile(r"<si>.*?</si>", re.S)


class _Format:
    """A format as recorded: the n-th the workbook made (Layout makes them in the same order)."""

    __slots__ = ("number", "recorder")

    def __init__(self, number: int, recorder: Recorder):
        self.number, self.recorder = number, recorder

    def __eq__(self, other) -> bool:
        return isinstance(other, _Format) and other.number == self.number

    def __hash__(self) -> int:
        return self.number

    def __getattr__(self, method: str):
        def record(*args, **kwargs) -> None:
            self.recorder.calls.append((f"format {self.number}", method, args, kwargs))
        return record


class _Sheet:
    def __init__(self, name: str, recorder: Recorder):
        self.name, self.recorder = name, recorder

    def __getattr__(self, method: str):
        calls, name = self.recorder.calls, self.name

        def record(*args, **kwargs) -> None:
            calls.append((name, method, args, kwargs))
        return record


class Recorder:
    """Stands for an XlsxWriter workbook: records every call, in order, on it, its sheets and formats."""

    def __init__(self):
        self.calls: list[tuple] = []
        self.sheets: dict[str, _Sheet] = {}
        self.formats = 0

    def add_worksheet(self, name: str) -> _Sheet:
        self.calls.append(("", "add_worksheet", (name,), {}))
        self.sheets[name] = _Sheet(name, self)
        return self.sheets[name]

    def get_worksheet_by_name(self, name: str) -> _Sheet:
        return self.sheets[name]

    def add_format(self, properties: dict | None = None) -> _Format:
        self.calls.append(("", "add_format", (properties,), {}))
        self.formats += 1
        return _Format(self.formats, self)

    def __getattr__(self, method: str):
        def record(*args, **kwargs) -> None:
            self.calls.append(("", method, args, kwargs))
        return record


def _value_at(call: tuple) -> tuple[int, int, object] | None:
    """(row, column, value) of a call that writes one cell's value, by row and column numbers."""
    _sheet, method, args, _kwargs = call
    if method not in _CELL_WRITES or not args or not isinstance(args[0], int):
        return None
    index = 4 if method == "merge_range" else 2
    return (args[0], args[1], args[index]) if len(args) > index else None


def _looks_up(call: tuple) -> str | None:
    """The text this call puts in the shared strings, as XlsxWriter does with our options (no formula
    or link made of a string; `write` of "" is a blank cell)."""
    at = _value_at(call)
    if at is None or not isinstance(at[2], str):
        return None
    text = at[2]
    return text if call[1] == "write_string" or text != "" else None


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@dataclass
class Model:
    """A template written in full, with the calls that made it."""

    calls: list[tuple]
    entries: list[tuple[str, bytes]]  # the package's parts, in its order
    sheet_parts: dict[str, str]  # sheet name -> its part
    strings: list[str]  # the shared strings, in their slots
    uses: Counter  # how many times each text is looked up in the shared strings
    written: Counter  # how many calls write each (sheet, row, column)

    @classmethod
    def of(cls, calls: list[tuple], package: bytes) -> Model | None:
        """The model, or None when the package is not what the calls make as this module reads them."""
        if any(not call[0].startswith("format") and call[1] not in _KNOWN for call in calls):
            return None
        with zipfile.ZipFile(io.BytesIO(package)) as archive:
            entries = [(info.filename, archive.read(info)) for info in archive.infolist()]
        names = [call[2][0] for call in calls if call[0] == "" and call[1] == "add_worksheet"]
        looked_up = [text for call in calls if (text := _looks_up(call)) is not None]
        strings = list(dict.fromkeys(looked_up))
        parts = dict(entries)
        shared = parts.get("xl/sharedStrings.xml", b"").decode("utf-8")
        if _SI.findall(shared) != [_si(text) for text in strings] or any(len(t) > MAX_TEXT for t in strings):
            return None  # the shared strings are not those the calls look up, as read here
        written = Counter((call[0], *at[:2]) for call in calls if (at := _value_at(call)) is not None)
        return cls(calls, entries, {name: f"xl/worksheets/sheet{n}.xml" for n, name in enumerate(names, 1)},
                   strings, Counter(looked_up), written)

    def stamped(self, calls: list[tuple]) -> bytes | None:
        """The package these calls make, when they differ from the model's only in what can be stamped."""
        if len(calls) != len(self.calls):
            return None
        texts: dict[str, str] = {}  # the model's text -> this unit's
        changed_uses: Counter = Counter()
        edits: dict[str, list[tuple[str, str]]] = {}  # part -> (old bytes as text, new)
        for mine, theirs in zip(calls, self.calls, strict=True):
            if mine == theirs:
                continue
            edit = self._difference(mine, theirs, texts, changed_uses)
            if edit is None:
                return None
            if edit:  # else a text's slot changes, in the shared strings, not in the part
                part, old, new = edit
                edits.setdefault(part, []).append((old, new))
        if any(changed_uses[old] != self.uses[old] for old in texts):
            return None  # the model uses a changed text elsewhere too: its slot cannot simply change
        new_texts = list(texts.values())
        if len(set(new_texts)) != len(new_texts) or set(new_texts) & (set(self.strings) - texts.keys()):
            return None  # two texts made one, or a new one already in a slot of its own
        return self._package(texts, edits)

    def _difference(self, mine: tuple, theirs: tuple, texts: dict, changed_uses: Counter) -> tuple | None:
        """(part, old, new) for one call that differs from the model's, () when only a shared string's
        slot changes (noted in `texts`), or None if it cannot be stamped."""
        sheet, method, args, kwargs = mine
        if (sheet, method, kwargs) != (theirs[0], theirs[1], theirs[3]) or len(args) != len(theirs[2]):
            return None
        if method == "set_footer" and len(args) == 1 and isinstance(args[0], str) and sheet in self.sheet_parts:
            return (self.sheet_parts[sheet], f"<oddFooter>{xml_text(theirs[2][0])}</oddFooter>",
                    f"<oddFooter>{xml_text(args[0])}</oddFooter>")
        if method == "set_properties" and sheet == "" and len(args) == 1:
            mine_properties, theirs_properties = dict(args[0]), dict(theirs[2][0])
            title, their_title = mine_properties.pop("title", None), theirs_properties.pop("title", None)
            if mine_properties != theirs_properties or not isinstance(title, str) \
                    or not isinstance(their_title, str):
                return None
            return ("docProps/core.xml", f"<dc:title>{xml_text(their_title)}</dc:title>",
                    f"<dc:title>{xml_text(title)}</dc:title>")
        at, their_at = _value_at(mine), _value_at(theirs)
        if at is None or their_at is None or at[:2] != their_at[:2] or sheet not in self.sheet_parts:
            return None
        index = 4 if method == "merge_range" else 2
        if args[:index] + args[index + 1:] != theirs[2][:index] + theirs[2][index + 1:]:
            return None
        value, their_value = at[2], their_at[2]
        if self.written[(sheet, *at[:2])] != 1:
            return None
        if _number(value) and _number(their_value):
            cell = xl_rowcol_to_cell(*at[:2])
            return self.sheet_parts[sheet], f'<c r="{cell}"{{style}}><v>{their_value:.16G}</v></c>', \
                f'<c r="{cell}"{{style}}><v>{value:.16G}</v></c>'
        mine_text, their_text = _looks_up(mine), _looks_up(theirs)
        if mine_text is None or their_text is None or len(mine_text) > MAX_TEXT or mine_text.startswith("<r>"):
            return None
        if texts.setdefault(their_text, mine_text) != mine_text:
            return None
        changed_uses[their_text] += 1
        return ()

    def _package(self, texts: dict[str, str], edits: dict[str, list[tuple[str, str]]]) -> bytes | None:
        entries = []
        for name, data in self.entries:
            if name == "xl/sharedStrings.xml" and texts:
                data = self._shared_strings(data, texts)
            elif name in edits:
                edited = _edited(data.decode("utf-8"), edits[name])
                if edited is None:
                    return None
                data = edited.encode("utf-8")
            entries.append((name, data))
        return xlsxwriter_package(entries)

    def _shared_strings(self, data: bytes, texts: dict[str, str]) -> bytes:
        slots = {self.strings.index(old): new for old, new in texts.items()}
        count = iter(range(len(self.strings)))
        return _SI.sub(lambda m: _si(slots[n]) if (n := next(count)) in slots else m.group(0),
                       data.decode("utf-8")).encode("utf-8")


def _edited(xml: str, edits: list[tuple[str, str]]) -> str | None:
    """Each (old, new) replaced where `old` stands once in `xml` (a cell's "{style}" stands for its
    style attribute, kept as it is), or None."""
    for old, new in edits:
        if "{style}" in old:
            head, tail = old.split("{style}")
            pattern = re.compile(re.escape(head) + r'((?: s="\d+")?)' + re.escape(tail))
            found = pattern.findall(xml)
            if len(found) != 1:
                return None
            before, after = new.split("{style}")
            xml = pattern.sub(functools.partial(_with_style, before, after), xml)
        elif xml.count(old) == 1:
            xml = xml.replace(old, new)
        else:
            return None
    return xml


def _with_style(before: str, after: str, match: re.Match) -> str:
    return before + match.group(1) + after


def _si(text: str) -> str:
    """The <si> element XlsxWriter writes for `text`."""
    writer = SharedStrings()
    writer.fh = io.StringIO()
    writer._write_si(text)
    return writer.fh.getvalue()


class Stamper:
    """Templates written in one process: each stamped from a model where it can be, else written in
    full by XlsxWriter (and kept as a model: the latest MODELS_KEPT). Any model serves any template,
    since a model is only ever changed into what the template's own calls make."""

    MODELS_KEPT = 3

    def __init__(self):
        self.models: list[Model] = []
        self.stamped = self.written = 0

    def package(self, layout: Callable[[], Layout]) -> bytes:
        """The package of the template `layout()` lays out (called once or twice: a Layout records what
        it lays out, so each call gets a new one)."""
        recorder = Recorder()
        layout().lay_out(recorder)
        for model in self.models:
            package = model.stamped(recorder.calls)
            if package is not None:
                self.stamped += 1
                return package
        target = io.BytesIO()  # as Layout.write does; only lay_out is asked of a layout here
        workbook = xlsx.Workbook(target, workbook_options())
        layout().lay_out(workbook)
        workbook.close()
        self.written += 1
        made = Model.of(recorder.calls, target.getvalue())
        if made is not None:
            self.models = [made, *self.models[:self.MODELS_KEPT - 1]]
        return target.getvalue()

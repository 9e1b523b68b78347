"""Checks on a file's bytes before any spreadsheet parser sees them, in bounded time and memory.

A workbook is a zip of XML parts. A parser trusts what the parts declare (sizes, entity
definitions, the extent of a sheet, the count of shared strings); a crafted or mangled file can make
it exhaust memory or abort the whole process. So every part is inflated here first, in small blocks,
counting the bytes that actually come out; XML parts go through a streaming parser that refuses
entity declarations and works out where each cell really is (with or without an `r` attribute,
however it is quoted). On the way it notes each sheet's formula and error cells, so that ingest never
parses a sheet a second time. This is the fast first line; the worker process that parses the file has
hard limits of its own (isolation.py).
"""

from __future__ import annotations

import functools
import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from xml.parsers import expat

from pipeline.intake import quick_scan

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ZIP_MEMBERS = 2_000
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
# The densest sheet a parser may be asked to build: rows x columns of the area holding values.
MAX_SHEET_CELLS = 2_000_000
# Shared strings a parser may be asked to make room for (it trusts the declared counts).
MAX_SHARED_STRINGS = 1_000_000
MAX_ROW, MAX_COL = 1_048_576, 16_384
BLOCK = 1 << 20
# A formula's or an error's text kept for the checks and the findings: the longest formula of a
# template is some 1,400 characters; a sender's may be 60 MB, and would be copied into every finding,
# letter and ledger row that quotes it.
MAX_FORMULA_CHARS = 8_192

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_REFERENCE = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")


@dataclass(frozen=True)
class Verdict:
    """What the bytes are, and the finding code that stops them, if any."""

    kind: str  # xlsx, xlsm, xls, ods, encrypted, other
    problem: str | None = None
    details: dict = field(default_factory=dict)
    # Per sheet part, the cells that hold a formula or an error, seen on the way: {cell: ("formula",
    # "=5+3") or ("error", "#N/A")}. A formula's cached result is never taken as a value, and
    # readers differ on what an error cell holds.
    special: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)


class _Refused(Exception):
    def __init__(self, problem: str, **details):
        super().__init__(problem)
        self.problem, self.details = problem, details


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le")


def inspect(name: str, data: bytes) -> Verdict:
    if len(data) > MAX_FILE_BYTES:
        return Verdict("other", "file-too-large", {"size": len(data)})
    if data.startswith(OLE_MAGIC):
        return _inspect_ole(data)
    if not zipfile.is_zipfile(io.BytesIO(data)):
        mangled = name.lower().endswith((".xlsx", ".xlsm")) and data[:2] == b"PK"
        return Verdict("other", "file-unreadable" if mangled else "file-not-xlsx")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return _inspect_zip(name, archive)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError, ValueError,
            zlib.error, RuntimeError, KeyError):
        # RuntimeError: an encrypted zip member; KeyError: a member listed twice or missing
        return Verdict("other", "file-unreadable")


def _inspect_ole(data: bytes) -> Verdict:
    """An OLE container: an encrypted (password-protected) workbook, or the old .xls format."""
    if _utf16("EncryptedPackage") in data or _utf16("EncryptionInfo") in data:
        return Verdict("encrypted", "file-encrypted")
    if _utf16("Workbook") in data or _utf16("Book") in data:
        return Verdict("xls", "file-xls")
    return Verdict("other", "file-not-xlsx")


def _inspect_zip(name: str, archive: zipfile.ZipFile) -> Verdict:
    members = archive.infolist()
    declared = sum(m.file_size for m in members)
    compressed = sum(m.compress_size for m in members) or 1
    if len(members) > MAX_ZIP_MEMBERS or declared > MAX_UNCOMPRESSED_BYTES \
            or declared / compressed > MAX_COMPRESSION_RATIO:
        return Verdict("other", "file-zip-suspicious")
    names = {m.filename for m in members}
    if "mimetype" in names and archive.read("mimetype")[:200].strip().startswith(ODS_MIMETYPE):
        return Verdict("ods", "file-ods")
    if "xl/workbook.xml" not in names:
        return Verdict("other", "file-not-xlsx")
    kind = "xlsm" if name.lower().endswith(".xlsm") or "xl/vbaProject.bin" in names else "xlsx"
    inflated = 0
    special: dict[str, dict[str, tuple[str, str]]] = {}
    for member in members:
        try:
            size, scan = _scan_member(archive, member, MAX_UNCOMPRESSED_BYTES - inflated)
        except _Refused as refused:
            return Verdict(kind, refused.problem, refused.details)
        except expat.ExpatError:
            return Verdict(kind, "file-unreadable")
        inflated += size
        if scan is not None and scan.is_sheet:
            special[member.filename] = scan.special
    return Verdict(kind, special=special)


def _scan_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, budget: int) -> tuple[int, _Scanned | None]:
    """Inflate one member in blocks; an XML part is read by quick_scan when it is small and of the usual
    shape, else streamed through _XmlScan. Returns the inflated size and what the scan noted."""
    size = 0
    xml = member.filename.endswith((".xml", ".rels", ".vml"))
    kept: list[bytes] = []  # the part's blocks while it is small enough for quick_scan
    scan: _XmlScan | None = None
    with archive.open(member) as stream:
        while block := stream.read(BLOCK):
            size += len(block)
            if size > budget:
                raise _Refused("file-zip-suspicious")
            if not xml:
                continue
            if scan is None and size <= quick_scan.MAX_BYTES:
                kept.append(block)
                continue
            if scan is None:
                scan = _XmlScan(member.filename)
                for earlier in kept:
                    scan.feed(earlier)
                kept = []
            scan.feed(block)
    if not xml:
        return size, None
    if scan is None:
        data = b"".join(kept)
        quick = quick_scan.quick_scan(member.filename, data)
        if quick is not None and _within_limits(quick):
            formulas = {cell: ("formula", "=" + _clipped(text, len(text))) for cell, text in quick.formulas.items()}
            return size, _Scanned(quick.is_sheet, formulas)
        scan = _XmlScan(member.filename)
        scan.feed(data)
    scan.feed(b"", final=True)
    return size, _Scanned(scan.is_sheet, scan.special)


@dataclass(frozen=True)
class _Scanned:
    is_sheet: bool
    special: dict[str, tuple[str, str]]


def _within_limits(quick: quick_scan.QuickScan) -> bool:
    """quick_scan's reading within the limits _XmlScan applies as it goes; past one, the part is read
    again by _XmlScan, which refuses it and names the cell where the sheet grew too large."""
    return all(count <= MAX_SHARED_STRINGS for count in quick.shared_string_counts) \
        and quick.max_row <= MAX_ROW and quick.max_col <= MAX_COL and quick.max_row * quick.max_col <= MAX_SHEET_CELLS


def _clipped(text: str, size: int) -> str:
    """A formula's or an error's text, cut at MAX_FORMULA_CHARS (`size` is its whole length), and said to
    be: it can never equal a template's."""
    if size <= MAX_FORMULA_CHARS:
        return text
    return text[:MAX_FORMULA_CHARS] + f"… ({size:,} ký tự)".replace(",", ".")


class _XmlScan:
    """A streaming read of one XML part: no DTD or entity, and for a sheet the extent of the cells
    that hold something, positioned as a reader positions them (a cell or row without `r` follows
    the one before it)."""

    def __init__(self, part: str):
        self.part = part
        self.is_sheet = part.startswith("xl/worksheets/") and part.endswith(".xml")
        self.is_shared_strings = part == "xl/sharedStrings.xml"
        self.parser = expat.ParserCreate(namespace_separator=" ")
        self.parser.StartDoctypeDeclHandler = self._doctype
        self.parser.EntityDeclHandler = self._doctype
        # Elements are looked at only where something is read from them: a call per element is most
        # of the scan's time, and the other parts (styles, theme, workbook) need none.
        if self.is_sheet:
            self.parser.StartElementHandler = self._start
        elif self.is_shared_strings:
            self.parser.StartElementHandler = self._shared_strings
        self.row = 0
        self.col = 0
        self.cell: tuple[int, int] | None = None  # the open <c>, until it is known to hold something
        self.in_cell = False  # nothing but a cell's <f>, <v> and <is> since its <c>
        self.max_row = self.max_col = 0
        self.special: dict[str, tuple[str, str]] = {}
        self.error: tuple[int, int] | None = None  # an error cell (t="e") whose value is not read yet
        self.text: list[str] = []  # the text of the <f> or error <v> being read (its first MAX_FORMULA_CHARS)
        self.text_size = 0  # its whole length
        self.target = ("", "")  # (kind, cell) of the text being read

    def feed(self, block: bytes, final: bool = False) -> None:
        self.parser.Parse(block, final)
        if final:
            self._settle_error()

    def _doctype(self, *_args) -> None:
        raise _Refused("file-xml-entities", part=self.part)

    def _shared_strings(self, tag: str, attrs: dict[str, str]) -> None:
        """Up to the <sst> element (the root, in any file an office program writes): the counts a
        parser makes room for."""
        if _local_name(tag) != "sst":
            return
        self.parser.StartElementHandler = None
        for key in ("count", "uniqueCount"):
            if _number(attrs.get(key)) > MAX_SHARED_STRINGS:
                raise _Refused("file-zip-suspicious")

    def _start(self, tag: str, attrs: dict[str, str]) -> None:
        local = _local_name(tag)
        if local == "c":  # the commonest first: this runs for every element of every sheet
            if self.error is not None:
                self._settle_error()
            reference = attrs.get("r")
            position = _position(reference) if reference else None
            if position is None:  # no usable reference: the cell follows the one before it
                position = (self.row or 1, self.col + 1)
            self.row, self.col = self.cell = position
            self.in_cell = True
            if attrs.get("t") == "e":
                self.error = position
            return
        if local == "v":
            if self.error is not None:
                self._read_text("error")
        elif local == "f":
            if self.in_cell:
                self._read_text("formula")
        elif local == "is":
            pass
        else:
            # Out of the cell's value: a formula, an error or a value seen from here on is not the
            # cell's (Excel keeps its extensions' formulas as <xm:f> after the sheet's data).
            self.in_cell = False
            self.cell = None
            if self.error is not None:
                self._settle_error()
            if local == "row":
                self.row = _number(attrs.get("r")) or self.row + 1
                self.col = 0
            return
        if self.cell is not None:
            self._holds(*self.cell)

    def _holds(self, row: int, col: int) -> None:
        """The open cell holds something: it counts in the sheet's extent (checked only when the
        extent grows: it passed the check before)."""
        self.cell = None
        if row <= self.max_row and col <= self.max_col:
            return
        self.max_row, self.max_col = max(self.max_row, row), max(self.max_col, col)
        if row > MAX_ROW or col > MAX_COL or self.max_row * self.max_col > MAX_SHEET_CELLS:
            raise _Refused("file-sheet-too-large", cell=_cell_name(row, col))

    def _read_text(self, kind: str) -> None:
        """Collect the text up to the next closing tag (text and end handlers only while needed: most
        cells hold neither a formula nor an error)."""
        self.text, self.target, self.text_size = [], (kind, _cell_name(self.row, self.col)), 0
        self.parser.CharacterDataHandler = self._text
        self.parser.EndElementHandler = self._end_text

    def _text(self, data: str) -> None:
        if self.text_size < MAX_FORMULA_CHARS:
            self.text.append(data)
        self.text_size += len(data)

    def _end_text(self, _tag: str) -> None:
        kind, cell = self.target
        text = _clipped("".join(self.text), self.text_size)
        if kind == "formula":
            self.special[cell] = ("formula", "=" + text)
        elif cell not in self.special:
            self.special[cell] = ("error", text or "#?")
        self.error = None
        self.parser.CharacterDataHandler = None
        self.parser.EndElementHandler = None

    def _settle_error(self) -> None:
        """An error cell with neither a formula nor a value."""
        if self.error is not None:
            cell = _cell_name(*self.error)
            self.special.setdefault(cell, ("error", "#?"))
            self.error = None


@functools.lru_cache(maxsize=256)  # bounded: a hostile part may name any number of elements
def _local_name(tag: str) -> str:
    return tag.rpartition(" ")[2]


@functools.lru_cache(maxsize=1 << 14)  # bounded; a template's references repeat file after file
def _position(reference: str) -> tuple[int, int] | None:
    """(row, column) of a reference such as "B7" or "$B$7"; None if it is not one."""
    match = _REFERENCE.match(reference.strip())
    return (int(match.group(2)), _column(match.group(1))) if match else None


def _number(text: str | None) -> int:
    text = (text or "").strip()
    return int(text) if text.isdigit() else 0


@functools.cache  # at most 3 letters: a bounded cache
def _column(letters: str) -> int:
    col = 0
    for ch in letters.upper():
        col = col * 26 + ord(ch) - 64
    return col


def _cell_name(row: int, col: int) -> str:
    letters = ""
    while col > 0:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row}"

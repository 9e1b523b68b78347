"""Checks on a file's bytes before any spreadsheet parser sees them, in bounded time and memory.

A workbook is a zip of XML parts. A parser trusts what the parts declare (sizes, entity
definitions, the extent of a sheet); a crafted or mangled file can make it exhaust memory or abort
the whole process. So every part is inflated here first, in small blocks, counting the bytes that
actually come out, and scanned for entity declarations and for cells far outside any template.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ZIP_MEMBERS = 2_000
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
# The densest sheet a parser may be asked to build: rows x columns of the used area.
MAX_SHEET_CELLS = 2_000_000
BLOCK = 1 << 20

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_ENTITY = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
# A cell that holds a value (formatting-only cells and rows, which LibreOffice writes down to the
# last row of a sheet, do not make a parser build anything).
_CELL_REF = re.compile(
    rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{1,3})([0-9]{1,7})"[^>]*>\s*(?:<(?:\w+:)?f\b[^>]*(?:/>|>[^<]*</(?:\w+:)?f>)\s*)?<(?:\w+:)?(?:v|is)\b')
_OVERLAP = 96  # bytes kept between blocks so a tag split across two blocks is still seen


@dataclass(frozen=True)
class Verdict:
    """What the bytes are, and the finding code that stops them, if any."""

    kind: str  # xlsx, xlsm, xls, ods, encrypted, other
    problem: str | None = None
    details: dict = field(default_factory=dict)


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
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError, ValueError):
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
    if "mimetype" in names and archive.read("mimetype").strip().startswith(ODS_MIMETYPE):
        return Verdict("ods", "file-ods")
    if "xl/workbook.xml" not in names:
        return Verdict("other", "file-not-xlsx")
    kind = "xlsm" if name.lower().endswith(".xlsm") or "xl/vbaProject.bin" in names else "xlsx"
    inflated = 0
    for member in members:
        scan = _scan_member(archive, member, MAX_UNCOMPRESSED_BYTES - inflated)
        if scan.problem:
            return Verdict(kind, scan.problem, scan.details)
        inflated += scan.size
    return Verdict(kind)


@dataclass
class _Scan:
    size: int = 0
    problem: str | None = None
    details: dict = field(default_factory=dict)
    max_row: int = 0
    max_col: int = 0
    far_cell: str = ""


def _scan_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, budget: int) -> _Scan:
    scan = _Scan()
    is_xml = member.filename.endswith((".xml", ".rels", ".vml"))
    is_sheet = member.filename.startswith("xl/worksheets/") and member.filename.endswith(".xml")
    tail = b""
    with archive.open(member) as stream:
        while block := stream.read(BLOCK):
            scan.size += len(block)
            if scan.size > budget:
                return _Scan(scan.size, "file-zip-suspicious")
            if not is_xml:
                continue
            window = tail + block
            if _ENTITY.search(window):
                return _Scan(scan.size, "file-xml-entities", {"part": member.filename})
            if is_sheet:
                _note_extent(scan, window)
                if (scan.max_row or 1) * (scan.max_col or 1) > MAX_SHEET_CELLS:
                    return _Scan(scan.size, "file-sheet-too-large", {"cell": scan.far_cell})
            tail = window[-_OVERLAP:]
    return scan


def _note_extent(scan: _Scan, window: bytes) -> None:
    for letters, digits in _CELL_REF.findall(window):
        col = 0
        for ch in letters:
            col = col * 26 + ch - 64
        row = int(digits)
        if row > scan.max_row or col > scan.max_col:
            scan.far_cell = f"{letters.decode()}{row}"
        scan.max_row, scan.max_col = max(scan.max_row, row), max(scan.max_col, col)

"""Make an Office file (.xlsx written by openpyxl, .docx written by docxtpl) reproducible: the same
content gives the same bytes.

Both stamp the save time into docProps/core.xml and every zip entry; both are replaced here by a
time taken from the inputs.
"""

from __future__ import annotations

import functools
import io
import re
import zipfile
import zlib
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, cast

from pipeline.core.atomic import atomic_path

if TYPE_CHECKING:  # python-docx is imported where a document is saved: every command imports this module
    from docx.document import Document

_STAMP = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:(?:created|modified)>)")
# zlib's fastest level for what is not XlsxWriter's (a template must be the bytes it writes): a unit
# report's 52 KB body compresses in 0.3 ms, not 0.65 ms at the default level, and a marked copy's sheet
# likewise; the entry is a quarter larger (4.9 KB, not 3.9 KB). A province writes 3,320 reports and a
# marked copy for every file with a warning.
COMPRESS_LEVEL = 1


def xml_text(text: str) -> str:
    """Text as XML character data: what xml.sax.saxutils.escape does, without its import of
    urllib.request, http.client and ssl (30 ms of every process that reads files)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def normalize_package(path: Path, moment: datetime) -> None:
    data = normalized_package(Path(path).read_bytes(), moment)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def normalized_package(package: bytes, moment: datetime) -> bytes:
    result = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, _Stamped(result, moment) as target:
        for info in source.infolist():
            target.add(info.filename, source.read(info.filename), info.external_attr)
    return result.getvalue()


def saved_docx(document: Document, moment: datetime) -> bytes:
    """A python-docx document saved as `normalized_package` would leave it, compressed once: what
    `document.save` writes, with each entry stamped as it is written."""
    return stamped_package(docx_entries(document), moment)


def docx_entries(document: Document) -> list[tuple[str, bytes]]:
    """The (name, bytes) of each zip entry `document.save` writes, in its order."""
    from docx.opc.phys_pkg import PhysPkgWriter
    from docx.opc.pkgwriter import PackageWriter

    package = document.part.package
    for part in package.parts:
        part.before_marshal()
    entries = _Entries()
    writer = cast(PhysPkgWriter, entries)  # it has the one method python-docx calls: write
    PackageWriter._write_content_types_stream(writer, package.parts)
    PackageWriter._write_pkg_rels(writer, package.rels)
    PackageWriter._write_parts(writer, package.parts)
    return entries


def stamped_package(entries: list[tuple[str, bytes]], moment: datetime) -> bytes:
    result = io.BytesIO()
    with _Stamped(result, moment) as target:
        for name, data in entries:
            target.add(name, data)
    return result.getvalue()


def xlsxwriter_package(entries: list[tuple[str, bytes]]) -> bytes:
    """The entries zipped as XlsxWriter zips a workbook it makes in memory (each dated 1/1/1980, the
    mode zipfile gives), the same bytes as it; an entry's compressed form is remembered, as a province's
    templates share most of their parts."""
    result = io.BytesIO()
    with _Stamped(result, datetime(1980, 1, 1), stamp_core=False, level=zlib.Z_DEFAULT_COMPRESSION) as target:
        for name, data in entries:
            target.add(name, data)
    return result.getvalue()


def repackaged(original: bytes, changed: dict[str, bytes], moment: datetime) -> bytes:
    """`original` (a zip package) with the entries of `changed` replaced or added: every other entry's
    compressed bytes copied as they are, not inflated and deflated again; every entry stamped `moment`.
    docProps/core.xml is left as it was (the sender's)."""
    result = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(original)) as source, _Stamped(result, moment, stamp_core=False) as target:
        names = [info.filename for info in source.infolist()]
        for info in source.infolist():
            if info.filename in changed:
                target.add(info.filename, changed[info.filename])
                continue
            raw = _raw_entry(original, info)
            if raw is None:
                target.add(info.filename, source.read(info))
            else:
                target.add_compressed(info, raw)
        for name, data in changed.items():
            if name not in names:
                target.add(name, data)
    return result.getvalue()


def _raw_entry(package: bytes, info: zipfile.ZipInfo) -> bytes | None:
    """An entry's compressed bytes as stored, or None when they cannot be taken as they are (encrypted,
    compressed otherwise than deflate or stored, a local header that does not match)."""
    start = info.header_offset
    if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED) \
            or package[start:start + 4] != b"PK\x03\x04":
        return None
    begin = start + 30 + int.from_bytes(package[start + 26:start + 28], "little") + \
        int.from_bytes(package[start + 28:start + 30], "little")
    raw = package[begin:begin + info.compress_size]
    return raw if len(raw) == info.compress_size else None


class _Entries(list):
    """python-docx's package writer, as far as it is called: each part's name and bytes, in order."""

    def write(self, pack_uri, blob: bytes) -> None:
        self.append((pack_uri.membername, blob))


class _Stamped:
    """A zip package whose entries, and the times in docProps/core.xml, carry `moment`."""

    SAVED_MODE = 0o600 << 16  # what zipfile gives an entry written by name, as python-docx writes them

    def __init__(self, target: io.BytesIO, moment: datetime, *, stamp_core: bool = True, level: int = COMPRESS_LEVEL):
        self.zip = zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED)
        self.stamp_core, self.level = stamp_core, level
        self.stamp = moment.replace(tzinfo=None, microsecond=0).isoformat().encode() + b"Z"
        if not 1980 <= moment.year <= 2107:  # what a zip header can hold (a date a sender chose may not fit)
            moment = datetime(min(max(moment.year, 1980), 2107), 1, 1)
            self.stamp = moment.isoformat().encode() + b"Z"
        self.time = (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)

    def add(self, name: str, data: bytes, mode: int = SAVED_MODE) -> None:
        if name == "docProps/core.xml" and self.stamp_core:
            data = _STAMP.sub(rb"\g<1>" + self.stamp + rb"\g<2>", data)
        entry = zipfile.ZipInfo(name, date_time=self.time)
        entry.compress_type = zipfile.ZIP_DEFLATED
        entry.external_attr = mode
        entry.CRC, compressed = _deflated(data, self.level)
        entry.file_size, entry.compress_size = len(data), len(compressed)
        self._write(entry, compressed)

    def add_compressed(self, info: zipfile.ZipInfo, compressed: bytes, mode: int = SAVED_MODE) -> None:
        """An entry of another package, its compressed bytes as they were."""
        entry = zipfile.ZipInfo(info.filename, date_time=self.time)
        entry.compress_type, entry.external_attr = info.compress_type, mode
        entry.CRC, entry.file_size, entry.compress_size = info.CRC, info.file_size, len(compressed)
        self._write(entry, compressed)

    def _write(self, entry: zipfile.ZipInfo, compressed: bytes) -> None:
        # What writestr writes, with the compressed bytes known: its header (with the sizes it
        # writes back), then the data. A province's unit reports share all their parts but one.
        archive, stream = self.zip, cast(IO[bytes], self.zip.fp)
        archive._writecheck(entry)  # type: ignore[attr-defined]
        entry.header_offset = archive.start_dir
        stream.write(entry.FileHeader(False) + compressed)
        archive.start_dir = stream.tell()
        archive.filelist.append(entry)
        archive.NameToInfo[entry.filename] = entry
        archive._didModify = True  # type: ignore[attr-defined]

    def __enter__(self) -> _Stamped:
        return self

    def __exit__(self, *exc) -> None:
        self.zip.close()


@functools.lru_cache(maxsize=64)
def _deflated(data: bytes, level: int) -> tuple[int, bytes]:
    """CRC-32 and raw deflate of `data`, as zipfile compresses an entry at `level`."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    return zlib.crc32(data), compressor.compress(data) + compressor.flush()

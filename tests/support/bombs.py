"""Zip bombs shaped like workbooks, built in a second or two without inflating anything.

A deflate stream of zeros, flushed with Z_FULL_FLUSH, repeats byte for byte; so one compressed
megabyte block, repeated, is a member that inflates to gigabytes. The zip around it is written by
hand so that the sizes it declares can be honest or lie.
"""

import struct
import zlib

MIB = 1 << 20


def _deflated_zeros(mebibytes: int) -> tuple[bytes, int]:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(bytes(MIB)) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(bytes(MIB)) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert again == compressor.compress(bytes(MIB)) + compressor.flush(zlib.Z_FULL_FLUSH)
    stream = block + again * (mebibytes - 1) + compressor.flush(zlib.Z_FINISH)
    crc = 0
    zeros = bytes(MIB)
    for _ in range(mebibytes):
        crc = zlib.crc32(zeros, crc)
    return stream, crc


def _member(name: str, data: bytes, crc: int, size: int, method: int, offset: int) -> tuple[bytes, bytes]:
    encoded = name.encode()
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc, len(data), size,
                        len(encoded), 0) + encoded + data
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0x21, crc, len(data),
                          size, len(encoded), 0, 0, 0, 0, 0, offset) + encoded
    return local, central


def workbook_bomb(mebibytes: int = 4095, *, declared: int | None = None) -> bytes:
    """An .xlsx-looking zip whose sheet inflates to `mebibytes` MiB; `declared` lies about it."""
    stream, crc = _deflated_zeros(mebibytes)
    parts = [("[Content_Types].xml", b"<Types/>", 0), ("xl/workbook.xml", b"<workbook/>", 0)]
    body, directory = b"", b""
    for name, data, _ in parts:
        local, central = _member(name, data, zlib.crc32(data), len(data), 0, len(body))
        body, directory = body + local, directory + central
    size = (declared if declared is not None else mebibytes * MIB) & 0xFFFFFFFF
    local, central = _member("xl/worksheets/sheet1.xml", stream, crc, size, 8, len(body))
    body, directory = body + local, directory + central
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 3, 3, len(directory), len(body), 0)
    return body + directory + end


# Ingest one file in a child process, as a run does; prints its finding codes and its peak memory (MB).
INGEST_ONE = """
import sys
from datetime import date
from pathlib import Path
from pipeline.intake.read import read_submission
from pipeline.intake.records import from_path
from pipeline.plan.loader import DEFAULT_PLAN_DIR, load_plan
from pipeline.validation.book import RuleBook
path = Path(sys.argv[1])
plan, rules = load_plan(), RuleBook.load(DEFAULT_PLAN_DIR)
sub = read_submission(from_path(path, path.parent), plan, rules, date(2024, 9, 1))
# VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so this would inherit the test runner's peak
peak = next(int(line.split()[1]) for line in Path("/proc/self/status").read_text().splitlines()
            if line.startswith("VmHWM:"))
print(",".join(f.code for f in sub.findings), peak // 1024)
"""

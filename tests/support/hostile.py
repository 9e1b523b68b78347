"""Files a hostile or careless sender could send, built by script from a real submission.

Each builder takes the bytes of a valid filled template and returns the bytes of a damaged or crafted
copy: hand-written XML variants that once stopped a whole run, and a seeded mutation generator for
fuzzing. Nothing here is committed as an opaque binary.
"""

from __future__ import annotations

import base64
import io
import os
import random
import re
import subprocess
import threading
import time
import zipfile
from email.message import EmailMessage
from pathlib import Path

from pipeline.app.samples import fill_template, sample_values
from pipeline.plan import form
from pipeline.templates.writer import write_templates

ROUND = "2024-annual"
INDICATOR_SHEET = "xl/worksheets/sheet2.xml"
WORKBOOK = "xl/workbook.xml"
XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def parts_of(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def zipped(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in parts.items():
            archive.writestr(name, body)
    return out.getvalue()


def _in_part(data: bytes, part: str, change) -> bytes:
    parts = parts_of(data)
    parts[part] = change(parts[part])
    return zipped(parts)


def _rows_before_end(rows: bytes):
    def build(data: bytes) -> bytes:
        return _in_part(data, INDICATOR_SHEET, lambda xml: xml.replace(b"</sheetData>", rows + b"</sheetData>"))
    return build


def far_cell_single_quoted(data: bytes) -> bytes:
    return _rows_before_end(b"<row r='1048576'><c r='XFD1048576'><v>1</v></c></row>")(data)


def far_cell_spaced(data: bytes) -> bytes:
    return _rows_before_end(b'<row r = "1048576" ><c r = "XFD1048576" ><v>1</v></c></row>')(data)


def far_cell_unquoted(data: bytes) -> bytes:
    """Not well-formed XML, which a lenient parser might still read."""
    return _rows_before_end(b"<row r=1048576><c r=XFD1048576><v>1</v></c></row>")(data)


def cells_without_r(width: int):
    def build(data: bytes) -> bytes:
        return _rows_before_end(b'<row r="1048576">' + b"<c><v>1</v></c>" * width + b"</row>")(data)
    return build


def styled_empty_rows(count: int = 1_000_000):
    def build(data: bytes) -> bytes:
        rows = b"".join(b'<row r="%d" s="1" customFormat="1"><c r="A%d" s="1"/></row>' % (r, r)
                        for r in range(100, 100 + count))
        return _rows_before_end(rows)(data)
    return build


def huge_shared_string_count(data: bytes) -> bytes:
    parts = parts_of(data)
    parts["xl/sharedStrings.xml"] = (b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.'
                                     b'openxmlformats.org/spreadsheetml/2006/main" count="2000000000" '
                                     b'uniqueCount="2000000000"><si><t>x</t></si></sst>')
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>", b'<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/'
        b'2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
    return zipped(parts)


def name_at_row_zero(name: str):
    """The defined name `name` pointed at row 0 of its sheet."""
    def build(data: bytes) -> bytes:
        pattern = re.compile(rb'(<definedName name="' + name.encode() + rb'"[^>]*>[^<]*\$[A-Z]+\$)\d+')
        return _in_part(data, WORKBOOK, lambda xml: pattern.sub(rb"\g<1>0", xml, count=1))
    return build


def cell_replaced(cell: str, replacement: bytes):
    """The <c> element at `cell` of the indicator sheet replaced by raw XML."""
    def build(data: bytes) -> bytes:
        pattern = re.compile(rb'<c r="' + cell.encode() + rb'"[^>]*?(?:/>|>.*?</c>)', re.S)
        return _in_part(data, INDICATOR_SHEET, lambda xml: pattern.sub(replacement, xml, count=1))
    return build


def styles_openpyxl_cannot_load(data: bytes) -> bytes:
    """A number format id no 32-bit integer holds: calamine reads the values, openpyxl (the marked copy)
    gives up."""
    parts = parts_of(data)
    parts["xl/styles.xml"] = (b"<styleSheet xmlns='http://schemas.openxmlformats.org/spreadsheetml/2006/main'>"
                              b"<cellXfs count='1'><xf numFmtId='9999999999999'/></cellXfs></styleSheet>")
    return zipped(parts)


def damaged_deflate(data: bytes) -> bytes:
    """Bytes in the middle of the indicator sheet's compressed stream overwritten (CRCs untouched)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(INDICATOR_SHEET)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    damaged = bytearray(data)
    for offset in range(start + info.compress_size // 3, start + info.compress_size // 3 + 40):
        damaged[offset] ^= 0xA5
    return bytes(damaged)


def truncated(data: bytes) -> bytes:
    return data[: len(data) * 2 // 3]


APPLE_DOUBLE = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        " + bytes(64)


def email_with(attachments: list[tuple[str, bytes]], *, subject: str = "Báo cáo Dự án 8",
               sender: str = "hoiphunu@example.vn", message_id: str = "<m@example.vn>") -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "duan8@example.vn"
    message["Date"] = "Mon, 09 Sep 2024 08:15:00 +0700"
    message["Message-ID"] = message_id
    message["Subject"] = "placeholder"
    message.set_content("Kính gửi Hội LHPN tỉnh, đơn vị gửi báo cáo.")
    for index, (_name, body) in enumerate(attachments):
        message.add_attachment(body, maintype=XLSX_TYPE[0], subtype=XLSX_TYPE[1], filename=f"placeholder{index}.xlsx")
    raw = bytes(message)
    for index, (name, _body) in enumerate(attachments):
        # RFC 2231 carries any byte of a name, as a careless or hostile mail program may send it.
        encoded = "".join(ch if ch.isascii() and ch.isalnum() else "".join(f"%{b:02X}" for b in ch.encode())
                          for ch in name)
        raw = raw.replace(f'filename="placeholder{index}.xlsx"'.encode(), f"filename*=utf-8''{encoded}".encode())
    # An encoded word carries any character of a subject, line feeds and NUL included.
    encoded_subject = b"=?utf-8?b?" + base64.b64encode(subject.encode("utf-8")) + b"?="
    return raw.replace(b"Subject: placeholder", b"Subject: " + encoded_subject, 1)


class Submissions:
    """Valid submissions with bytes of their own (a different note each time), and their hostile copies."""

    def __init__(self, plan, root: Path, key: bytes | None = None):
        self.plan, self.root = plan, root
        self.key = key  # the installation's template key: its templates as `templates` issues them
        self.count = 0

    def valid(self, unit: str) -> bytes:
        rnd, who = self.plan.round(ROUND), self.plan.unit(unit)
        template = self.root / "templates" / ROUND / f"{ROUND}_{unit}_{who.slug}.xlsx"
        if not template.exists():
            write_templates(self.plan, rnd, self.root / "templates", [who], key=self.key)
        self.count += 1
        values = sample_values(self.plan, rnd, who, with_previous=True)
        values[form.field_name(self.plan.indicators[0].code, "note")] = f"Bản số {self.count}"
        target = self.root / "staging" / f"{self.count}.xlsx"
        fill_template(template, target, values)
        data = target.read_bytes()
        target.unlink()
        return data


# -- mutation fuzzing --------------------------------------------------------------------------

EXTREMES = [b"XFD1048576", b"A0", b"0", b"-1", b"1e308", b"99999999999999999999", b"", b"NaN", b"A1048577",
            b"ZZZZ1", b"2000000000", b"#REF!", b"'", b"&amp;&lt;"]
TYPES = [b"s", b"n", b"b", b"e", b"str", b"inlineStr", b"d", b"x"]


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One to three random damages, each of a kind a disk, a mail gateway or a person could cause."""
    for _ in range(rng.randint(1, 3)):
        data = rng.choice(_MUTATIONS)(data, rng)
    return data


def _flip_bytes(data: bytes, rng: random.Random) -> bytes:
    damaged = bytearray(data)
    for _ in range(rng.randint(1, 20)):
        damaged[rng.randrange(len(damaged))] = rng.randrange(256)
    return bytes(damaged)


def _cut(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(1, len(data))]


def _xml_mutation(change):
    def apply(data: bytes, rng: random.Random) -> bytes:
        try:
            parts = parts_of(data)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, KeyError, RuntimeError, NotImplementedError):
            return _flip_bytes(data, rng)
        except Exception:
            return _flip_bytes(data, rng)
        xml = [name for name in parts if name.endswith((".xml", ".rels"))]
        if not xml:
            return _flip_bytes(data, rng)
        part = rng.choice(xml)
        parts[part] = change(parts[part], rng)
        return zipped(parts)
    return apply


def _extreme_attribute(xml: bytes, rng: random.Random) -> bytes:
    spots = [m.span(1) for m in re.finditer(rb'\b(?:r|t|ref|count|uniqueCount|s|spans)="([^"]*)"', xml)]
    if not spots:
        return xml
    start, end = rng.choice(spots)
    return xml[:start] + rng.choice(EXTREMES) + xml[end:]


def _value(xml: bytes, rng: random.Random) -> bytes:
    spots = [m.span(1) for m in re.finditer(rb"<v>([^<]*)</v>", xml)]
    if not spots:
        return _extreme_attribute(xml, rng)
    start, end = rng.choice(spots)
    return xml[:start] + rng.choice([*EXTREMES, b"1.5", b"-3", b"abc", b"1e-320"]) + xml[end:]


def _cell_type(xml: bytes, rng: random.Random) -> bytes:
    spots = [m.span(1) for m in re.finditer(rb'<c\b[^>]*\bt="([^"]*)"', xml)]
    if not spots:
        return _value(xml, rng)
    start, end = rng.choice(spots)
    return xml[:start] + rng.choice(TYPES) + xml[end:]


def _cut_span(xml: bytes, rng: random.Random) -> bytes:
    start = rng.randrange(len(xml) or 1)
    return xml[:start] + xml[start + rng.randint(1, 200):]


def _repeat_span(xml: bytes, rng: random.Random) -> bytes:
    start = rng.randrange(len(xml) or 1)
    span = xml[start:start + rng.randint(1, 400)]
    return xml[:start] + span * rng.randint(2, 50) + xml[start:]


def _defined_name(xml: bytes, rng: random.Random) -> bytes:
    spots = [m.span(1) for m in re.finditer(rb"<definedName[^>]*>([^<]*)</definedName>", xml)]
    if not spots:
        return _extreme_attribute(xml, rng)
    start, end = rng.choice(spots)
    target = rng.choice([b"'Ch\xe1\xbb\x89 ti\xc3\xaau'!$E$0", b"Sheet9!$A$1", b"#REF!", b"$A$1:$XFD$1048576",
                         b"'Ch\xe1\xbb\x89 ti\xc3\xaau'!$XFD$1048577", b"", b"p8_meta!$B$99"])
    return xml[:start] + target + xml[end:]


def _drop_part(data: bytes, rng: random.Random) -> bytes:
    try:
        parts = parts_of(data)
    except Exception:
        return _flip_bytes(data, rng)
    del parts[rng.choice(list(parts))]
    return zipped(parts)


_MUTATIONS = [_flip_bytes, _cut, _drop_part, *(_xml_mutation(change) for change in (
    _extreme_attribute, _value, _value, _cell_type, _cut_span, _repeat_span, _defined_name))]


# -- a run watched from outside -----------------------------------------------------------------


def run_measured(command: list[str], cwd: Path, timeout: float = 900) -> tuple[subprocess.CompletedProcess, int]:
    """Run `command`; return its result and the peak resident memory of its whole process tree
    (itself and every worker it starts), sampled every 20 ms from /proc."""
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0]
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _tree_rss(process.pid))
            time.sleep(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    finally:
        done.set()
        watcher.join()
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr), peak[0]


def _tree_rss(root: int) -> int:
    total, stack, seen = 0, [root], set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) * 1024 if "VmRSS" in status else 0
            for task in os.listdir(f"/proc/{pid}/task"):
                children = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
                stack += [int(child) for child in children]
        except (OSError, AttributeError, ValueError):
            continue
    return total

"""The province report's chart: each indicator's share of its phase target, as the report shows it.

matplotlib draws it: a third of a second to import and half a second to draw, on the path of a run
with one new file. The bars are drawn from the shares as shown (to a tenth of a percent), and the
image carries a key of what it shows; a report rewritten with the same shares takes its image from
the report it replaces.
"""

from __future__ import annotations

import hashlib
import json
import struct
import zipfile
import zlib
from importlib.metadata import version
from pathlib import Path

from pipeline.core.vietnamese import format_percent, percent_shown
from pipeline.figures.consolidate import Consolidation, share, total_progress
from pipeline.plan.model import Plan

KEY = "p8-chart"  # the PNG text chunk that holds what the image shows
DRAWING = 1  # raise when the drawing changes: an image drawn otherwise is not taken again
TITLE = "% chỉ tiêu giai đoạn đã đạt theo ước lũy kế (toàn tỉnh)"


def progress_chart(plan: Plan, result: Consolidation, path: Path, previous: Path | None = None) -> Path:
    """The chart as a PNG at `path`; taken from the report `previous` when it shows the same."""
    units = list(plan.roots)
    shares = [share(total_progress(result, units, i.code), plan.totals["total"][i.code]) or 0.0
              for i in plan.indicators]
    labels = [f"{i.no}. {i.short_name}" for i in plan.indicators]
    shown = [format_percent(s) for s in shares]
    drawing = [DRAWING, version("matplotlib"), TITLE, labels, shown]  # another matplotlib may draw otherwise
    key = hashlib.sha256(json.dumps(drawing).encode("utf-8")).hexdigest()
    image = _image_in(previous, key) if previous is not None else None
    if image is not None:
        path.write_bytes(image)
        return path
    draw(labels, [float(percent_shown(s)) for s in shares], shown, path, key)
    return path


def draw(labels: list[str], bars: list[float], shown: list[str], path: Path, key: str) -> None:
    from matplotlib.figure import Figure  # without pyplot: no backend, no global state, a quicker import

    figure = Figure(figsize=(8, 5.2), dpi=150)
    axes = figure.subplots()
    drawn = axes.barh(labels[::-1], bars[::-1], color="#2F5597")
    axes.axvline(100, color="#C00000", linewidth=1)
    axes.bar_label(drawn, labels=shown[::-1], padding=3, fontsize=8)
    axes.set_xlabel(TITLE)
    axes.set_xlim(0, max(110, max(bars) * 1.15))
    axes.tick_params(labelsize=8)
    figure.tight_layout()
    figure.savefig(path, format="png", metadata={"Software": None, KEY: key})


def _image_in(report: Path, key: str) -> bytes | None:
    """The PNG in a Word report whose key is `key`, if there is one."""
    try:
        with zipfile.ZipFile(report) as package:
            for name in package.namelist():
                if name.startswith("word/media/") and name.endswith(".png"):
                    data = package.read(name)
                    if _text_chunks(data).get(KEY) == key:
                        return data
    except (OSError, zipfile.BadZipFile, zlib.error, ValueError):
        return None
    return None


def _text_chunks(png: bytes) -> dict[str, str]:
    """The tEXt chunks of a PNG (keyword, NUL, Latin-1 text), up to the image data."""
    found: dict[str, str] = {}
    at = 8  # after the signature
    while at + 8 <= len(png):
        length, kind = struct.unpack(">I4s", png[at:at + 8])
        if kind in (b"IDAT", b"IEND"):
            break
        if kind == b"tEXt":
            keyword, _, text = png[at + 8:at + 8 + length].partition(b"\0")
            found[keyword.decode("latin-1")] = text.decode("latin-1")
        at += 12 + length
    return found

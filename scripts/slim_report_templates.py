"""Slim the Word templates in pipeline/reports/templates/ (or the .docx files named) in place, keeping
their content and look.

A document made by python-docx carries its default template's 164 style definitions (350 KB, mostly
table styles no report uses) and Word 2010's copy of them, stylesWithEffects.xml (440 KB). Every
report rendered from the template parsed, re-wrote and compressed those 790 KB: a country's 3,321
commune reports spent most of their time there. Slimming keeps every style the documents use (with
what they are based on, link to or are followed by) and the defaults, and drops the rest and the
Word 2010 copy; Word and LibreOffice add a built-in style's definition again when someone applies it.

Usage: `.venv/bin/python scripts/slim_report_templates.py [file.docx …]`; it is safe to run again.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from docx import Document
from docx.oxml.ns import qn

FOLDER = Path(__file__).resolve().parent.parent / "pipeline" / "reports" / "templates"
STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"
_REFERENCE = re.compile(rb'<w:(?:pStyle|rStyle|tblStyle|numStyleLink|styleLink) w:val="([^"]+)"')
_CHAIN = ("w:basedOn", "w:next", "w:link")


def slim(path: Path) -> tuple[int, int]:
    """Slims one template; returns its size before and after."""
    before = path.stat().st_size
    document = Document(str(path))
    part = document.part
    for key, rel in list(part.rels.items()):
        if rel.reltype == STYLES_WITH_EFFECTS:
            part.drop_rel(key)
    styles = document.styles.element
    kept = _kept(document, styles)
    for style in styles.findall(qn("w:style")):
        if style.get(qn("w:styleId")) not in kept:
            styles.remove(style)
    document.save(str(path))
    return before, path.stat().st_size


def _kept(document, styles) -> set[str]:
    """The styles the package's parts name, the defaults, and everything they rest on."""
    by_id = {s.get(qn("w:styleId")): s for s in styles.findall(qn("w:style"))}
    styles_part = document.part._styles_part
    named = {m.decode() for p in document.part.package.parts if p is not styles_part
             for m in _REFERENCE.findall(p.blob or b"")}
    named |= {sid for sid, s in by_id.items() if s.get(qn("w:default")) in ("1", "true", "on")}
    kept: set[str] = set()
    while named:
        sid = named.pop()
        if sid in kept or sid not in by_id:
            continue
        kept.add(sid)
        named |= {ref.get(qn("w:val")) for tag in _CHAIN if (ref := by_id[sid].find(qn(tag))) is not None}
    return kept


def main(paths: list[Path]) -> None:
    for path in paths or sorted(FOLDER.glob("*.docx")):
        before, after = slim(path)
        print(f"{path.name}: {before:,} -> {after:,} bytes")


if __name__ == "__main__":
    main([Path(p) for p in sys.argv[1:]])

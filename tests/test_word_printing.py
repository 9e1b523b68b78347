"""Every Word report of the demo as LibreOffice prints it (issue 31, finding 6): no word of a table cut in
two by a column too narrow for it ("T / T", "100,0 / %"), each table's heading row repeated on every page
it runs to, and no row split between two pages."""

import re
import shutil
import subprocess
from collections import Counter

import pytest
from docx import Document

from tests.support.helpers import require, run_cli

pytestmark = pytest.mark.slow

SHORT = 10  # a word this long or shorter fits any column a report has; a longer one may wrap by design


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    soffice = require(shutil.which("soffice"), "LibreOffice (soffice)")
    pdftotext = require(shutil.which("pdftotext"), "poppler-utils (pdftotext)")
    root = tmp_path_factory.mktemp("word-printing")
    assert run_cli("demo", "--workdir", str(root)).returncode == 0
    outbox = root / "outbox"
    found = [outbox / "2024-annual" / "bao-cao_2024-annual.docx",
             next((outbox / "2024-annual" / "huyen").glob("*_121_*.docx")),
             outbox / "2023-update" / "bao-cao_2023-update.docx",
             next((outbox / "2023-update" / "huyen").glob("*.docx")),
             outbox / "2025-annual" / "bao-cao_2025-annual.docx",
             next((outbox / "2025-annual" / "xa").glob("*.docx"))]
    subprocess.run([soffice, "--headless", f"-env:UserInstallation={(root / 'profile').as_uri()}", "--convert-to",
                    "pdf", "--outdir", str(root / "pdf"), *map(str, found)], check=True, capture_output=True,
                   timeout=600)
    printed = {}
    for docx in found:  # -layout: without it pdftotext joins "2022-" at a line's end to the next line
        text = subprocess.run([pdftotext, "-layout", str(root / "pdf" / f"{docx.stem}.pdf"), "-"], check=True,
                              capture_output=True, text=True).stdout
        printed[docx] = text
    return printed


def _words(text: str) -> Counter:
    """A line may break after a slash or a hyphen ("tổ/ nhóm", "2022- 2024"): their sides count as words."""
    return Counter(re.sub(r"[/-]", " ", text).split())


def test_no_word_of_a_table_is_cut_in_two(reports):
    """Each short word of a table cell prints whole as often as the document holds it (a cut word
    prints as two pieces, and pdftotext reads them apart)."""
    checked = 0
    for docx, text in reports.items():
        document = Document(docx)
        held = _words("\n".join([p.text for p in document.paragraphs]
                                + [c.text for t in document.tables for r in t.rows for c in r.cells]))
        in_tables = {w for t in document.tables for r in t.rows for c in r.cells for w in _words(c.text)
                     if len(w) <= SHORT and re.search(r"\w", w)}
        printed = _words(text)
        cut = {w: (held[w], printed[w]) for w in in_tables if printed[w] < held[w]}
        assert cut == {}, docx.name
        checked += len(in_tables)
    assert checked > 300


def test_tables_repeat_their_heading_and_keep_rows_whole(reports):
    for docx in reports:
        for table in Document(docx).tables[1:-1]:  # between the header and the signature block
            rows = table._tbl.findall("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tr")
            if len(rows) < 3:
                continue
            assert rows[0].xpath("./w:trPr/w:tblHeader"), docx.name
            assert all(row.xpath("./w:trPr/w:cantSplit") for row in rows), docx.name


def test_a_tables_caption_stays_with_the_table(reports):
    """«Bảng 1» printed alone at the foot of page 2, its table on page 3."""
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    captions = 0
    for docx in reports:
        for table in Document(docx).tables:
            before = table._tbl.getprevious()
            if before is not None and before.tag == f"{w}p" and "".join(before.itertext()).startswith("Bảng"):
                captions += 1
                assert before.xpath("./w:pPr/w:keepNext"), (docx.name, "".join(before.itertext()))
    assert captions >= 10

"""Issue 30, finding 14: a sender's file name with direction-changing characters (U+202E, U+2066–2069)
or ESC must not reach a name people read as it is: the archive's file names, the status page, the
provincial workbook and the letter show them as codes; the ledger keeps the name as it came."""

import re
import sqlite3
import zipfile
from datetime import date

import pytest

from pipeline.app.runner import run
from pipeline.core.locations import Paths
from tests.test_ingest import Bank

pytestmark = pytest.mark.integration

HIDDEN = re.compile("[\x1b\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
NAMES = ("bao-cao-\u202excod.xlsx", "\u2066bac-yen\u2069\x1b[2J.xlsx")


def test_names_that_hide_or_reverse_text_are_shown_as_codes(plan, tmp_path):
    bank = Bank(plan, tmp_path, "")
    bank.filled(NAMES[0], "121")
    bank.filled(NAMES[1], "125")
    paths = Paths.beside_outbox(bank.inbox, tmp_path / "outbox")
    (tmp_path / "outbox").mkdir()
    report = run(paths, today=date(2024, 9, 5))
    assert sorted(o.record.original_name for o in report.outcomes) == sorted(NAMES)  # kept as it came
    with sqlite3.connect(paths.ledger) as db:
        stored = [r[0] for r in db.execute("SELECT stored_path FROM submission")]
    assert stored and not any(HIDDEN.search(s) for s in stored)
    page = (paths.outbox / "index.html").read_text(encoding="utf-8")
    assert not HIDDEN.search(page) and "bao-cao-\\u202excod.xlsx" in page
    for book in (paths.outbox / "2024-annual").glob("*.xlsx"):
        with zipfile.ZipFile(book) as archive:
            text = "".join(archive.read(n).decode("utf-8") for n in archive.namelist() if n.endswith(".xml"))
        assert not HIDDEN.search(text), book.name
    assert "bao-cao-\\u202excod.xlsx" in "".join(
        zipfile.ZipFile(paths.outbox / "2024-annual" / "tong-hop_2024-annual.xlsx").read(n).decode("utf-8")
        for n in ("xl/sharedStrings.xml",))
    letters = list((paths.outbox / "2024-annual" / "feedback").glob("*.txt"))
    assert letters and not any(HIDDEN.search(p.name) or HIDDEN.search(p.read_text(encoding="utf-8"))
                               for p in letters)

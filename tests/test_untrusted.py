"""Hostile and damaged files never stop, stall or fool a run: each is answered by name, every valid
file after it is accepted, and the run's whole process tree stays under 1 GB.

The bank is built by script (tests/support/hostile.py); the run is the officer's command line.
"""

import os
import random
import sqlite3
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from pipeline.app.runner import run
from pipeline.core.locations import Paths
from pipeline.core.sender_text import printable
from tests.support import hostile
from tests.support.helpers import ROOT

pytestmark = pytest.mark.slow

RUN_DAY = "2024-09-09"  # before the district deadline: a valid file is simply "accepted"
MEMORY_LIMIT = 1 << 30
UNITS = ("118", "119", "120", "121", "122", "123", "124", "125", "126", "127", "128", "14")
FUZZ_SEED = 20241129
FUZZ_MUTANTS = 300


def _cases(sender: hostile.Submissions) -> dict[str, bytes]:
    """Inbox name -> bytes: each hostile file as it arrives."""
    base = sender.valid("121")
    cell_of_estimate = "G6"  # in_comm_groups_estimate on the indicator sheet
    return {
        "far-cell-single-quoted.xlsx": hostile.far_cell_single_quoted(base),
        "far-cell-spaced.xlsx": hostile.far_cell_spaced(base),
        "far-cell-unquoted.xlsx": hostile.far_cell_unquoted(base),
        "no-r-full-row.xlsx": hostile.cells_without_r(16_384)(base),
        "no-r-width-100.xlsx": hostile.cells_without_r(100)(base),
        "shared-strings-2e9.xlsx": hostile.huge_shared_string_count(base),
        "name-row-0.xlsx": hostile.name_at_row_zero("in_comm_groups_estimate")(base),
        "date-cell-no-value.xlsx": hostile.cell_replaced(cell_of_estimate, b'<c r="G6" t="d"/>')(base),
        "number-1e308.xlsx": hostile.cell_replaced(cell_of_estimate, b'<c r="G6"><v>1e308</v></c>')(base),
        "twenty-digits.xlsx": hostile.cell_replaced(
            cell_of_estimate, b'<c r="G6" t="inlineStr"><is><t>12345678901234567890</t></is></c>')(base),
        "damaged-deflate.xlsx": hostile.damaged_deflate(base),
        "no-marked-copy.xlsx": hostile.styles_openpyxl_cannot_load(
            hostile.cell_replaced(cell_of_estimate, b'<c r="G6"><v>-4</v></c>')(base)),
        "styled-million-rows.xlsx": hostile.styled_empty_rows()(base),
        "truncated.xlsx": hostile.truncated(base),
        "._bao-cao.xlsx": hostile.APPLE_DOUBLE,
        "__MACOSX/._bao-cao.xlsx": hostile.APPLE_DOUBLE,
        "escape-\x1b[2J\x1b[31mred.xlsx": hostile.truncated(base),
        "line\nfeed.xlsx": hostile.truncated(base),
        "dài-" * 49 + ".xlsx": hostile.truncated(base),  # 250 bytes: the longest a file system holds, nearly
        "mail-odd-names.eml": hostile.email_with(
            [("bao\r\ncao\x00.xlsx", hostile.truncated(base)), ("x" * 1000 + ".xlsx", hostile.truncated(base))],
            subject="Báo cáo\r\nBcc: khac@example.vn\x00"),
    }


def _inbox(sender: hostile.Submissions, cases: dict[str, bytes], inbox: Path) -> tuple[list[str], list[str]]:
    """Each case, then a valid file sorted right after it; returns (hostile names, valid names)."""
    hostile_names, valid_names = [], []
    for index, (name, data) in enumerate(cases.items()):
        folder, _, leaf = name.rpartition("/")
        path = inbox / f"{index:03d}" / folder / leaf if folder else inbox / f"{index:03d}" / leaf
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        valid = inbox / f"{index:03d}" / "zz-valid.xlsx"
        valid.write_bytes(sender.valid(UNITS[index % len(UNITS)]))
        hostile_names.append(path.relative_to(inbox).as_posix())
        valid_names.append(valid.relative_to(inbox).as_posix())
    return hostile_names, valid_names


def _run(root: Path) -> tuple:
    (root / "outbox").mkdir(exist_ok=True)
    command = [sys.executable, str(ROOT / "run_pipeline.py"), "run", "--inbox", str(root / "inbox"),
               "--outbox", str(root / "outbox"), "--today", RUN_DAY]
    return hostile.run_measured(command, cwd=root)


def _answers(root: Path) -> dict[str, list[tuple[str, str]]]:
    """Inbox path of each file -> [(status, stored path)] of the records made for it."""
    with sqlite3.connect(root / "ledger.sqlite") as db:
        rows = db.execute("SELECT inbox_path, status, stored_path FROM submission ORDER BY id").fetchall()
    answers: dict[str, list[tuple[str, str]]] = {}
    for inbox_path, status, stored in rows:
        answers.setdefault(inbox_path, []).append((status, stored))
    return answers


def _assert_every_file_answered(root: Path, result, peak: int, hostile_names, valid_names, sent: dict[str, bytes]):
    assert result.returncode in (0, 1), result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert peak < MEMORY_LIMIT, f"peak memory {peak / 2**20:.0f} MB"
    answers = _answers(root)
    for name in valid_names:
        assert [status for status, _ in answers[name]] in (["accepted"], ["superseded"]), name
    for name in hostile_names:
        assert name in answers, f"no answer for {name!r}"
        assert len([a for a in answers[name]]) == 1, name
        status, stored = answers[name][0]
        assert status in ("rejected", "unpacked", "duplicate", "accepted", "accepted_with_warnings", "superseded"), name
        assert (root / stored).read_bytes() == sent[name], f"{name!r} not kept byte-identical"
        assert printable(name) in result.stdout, f"{name!r} not named in the summary"
    left = [p for p in (root / "inbox").rglob("*") if p.is_file()] if (root / "inbox").exists() else []
    assert left == []


@pytest.fixture(scope="module")
def bank(plan, tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    sender = hostile.Submissions(plan, root)
    cases = _cases(sender)
    hostile_names, valid_names = _inbox(sender, cases, root / "inbox")
    sent = {name: (root / "inbox" / name).read_bytes() for name in hostile_names}
    result, peak = _run(root)
    return root, result, peak, hostile_names, valid_names, sent


def test_hostile_files_are_each_answered_and_valid_files_after_them_accepted(bank):
    _assert_every_file_answered(*bank)


def test_hostile_files_get_the_answers_that_explain_them(bank):
    root, _result, _peak, hostile_names, _valid, _sent = bank
    with sqlite3.connect(root / "ledger.sqlite") as db:
        codes = {path: [c for (c,) in db.execute(
            "SELECT code FROM finding JOIN submission ON submission.id = submission_id WHERE inbox_path = ?"
            " ORDER BY seq", (path,))] for path in hostile_names}
    by_case = {name.split("/", 1)[1]: found for name, found in codes.items()}
    for case in ("far-cell-single-quoted.xlsx", "far-cell-spaced.xlsx", "no-r-full-row.xlsx", "no-r-width-100.xlsx"):
        assert by_case[case] == ["file-sheet-too-large"], case
    assert by_case["far-cell-unquoted.xlsx"] == ["file-unreadable"]  # not XML: refused before any parser
    assert by_case["shared-strings-2e9.xlsx"] == ["file-zip-suspicious"]
    assert by_case["name-row-0.xlsx"] == ["input-name-missing"]
    assert by_case["number-1e308.xlsx"] == ["value-too-large"]
    assert by_case["twenty-digits.xlsx"] == ["value-too-large"]
    assert by_case["date-cell-no-value.xlsx"] == ["value-missing"]
    assert by_case["damaged-deflate.xlsx"] == ["file-unreadable"]
    assert by_case["no-marked-copy.xlsx"] == ["value-negative"]
    feedback = root / "outbox" / hostile.ROUND / "feedback"
    assert list(feedback.glob("*_no-marked-copy_phan-hoi.txt"))  # answered all the same,
    assert not list(feedback.glob("*_no-marked-copy_phan-hoi.xlsx"))  # without the marked copy
    assert by_case["truncated.xlsx"] == ["file-unreadable"]
    assert by_case["._bao-cao.xlsx"] == ["file-system-companion"]
    assert by_case["__MACOSX/._bao-cao.xlsx"] == ["file-system-companion"]
    # A million formatted empty rows (formatting applied to whole columns) hold no value: read as a
    # stream, within the worker's limits, the file is the valid report it is.
    assert by_case["styled-million-rows.xlsx"] == []


def test_names_no_file_system_or_header_can_hold_are_stored_safely(bank):
    root, result, _peak, _hostile_names, _valid, _sent = bank
    with sqlite3.connect(root / "ledger.sqlite") as db:
        rows = db.execute("SELECT original_name, stored_path FROM submission").fetchall()
    names = {original: stored for original, stored in rows}
    assert "bao\r\ncao\x00.xlsx" in names  # the original name, kept in the ledger
    for stored in names.values():
        leaf = Path(stored).name
        assert len(leaf.encode()) <= 255 and not any(ord(ch) < 32 for ch in leaf), stored
    drafts = list((root / "outbox").rglob("*_thu-tra-loi.eml"))
    assert drafts
    for draft in drafts:
        headers = draft.read_bytes().split(b"\r\n\r\n", 1)[0]
        assert b"\x00" not in headers and not any(line.startswith(b"Bcc") for line in headers.split(b"\r\n"))
    assert "\x1b" not in result.stdout and "escape-\\x1b[2J" in result.stdout


def test_mutants_of_real_submissions_are_each_answered(plan, tmp_path):
    rng = random.Random(FUZZ_SEED)
    sender = hostile.Submissions(plan, tmp_path)
    bases = [sender.valid(unit) for unit in ("121", "125", "14")]
    cases = {f"mutant-{n:03d}.xlsx": hostile.mutate(rng.choice(bases), rng) for n in range(FUZZ_MUTANTS)}
    inbox = tmp_path / "inbox"
    hostile_names, valid_names = [], []
    for index, (name, data) in enumerate(cases.items()):
        (inbox / name).parent.mkdir(parents=True, exist_ok=True)
        (inbox / name).write_bytes(data)
        hostile_names.append(name)
        if index % 25 == 0:
            valid = f"mutant-{index:03d}-zz-valid.xlsx"
            (inbox / valid).write_bytes(sender.valid(UNITS[(index // 25) % len(UNITS)]))
            valid_names.append(valid)
    sent = {name: (inbox / name).read_bytes() for name in hostile_names}
    result, peak = _run(tmp_path)
    with sqlite3.connect(tmp_path / "ledger.sqlite") as db:
        outcomes = db.execute("SELECT COALESCE(MIN(code), status), COUNT(*) FROM submission LEFT JOIN finding ON"
                              " submission.id = submission_id AND severity = 'error' GROUP BY submission.id").fetchall()
    spread = Counter(code for code, _ in outcomes)
    print(f"{len(cases)} mutants (seed {FUZZ_SEED}), {len(valid_names)} valid files; peak memory "
          f"{peak / 2**20:.0f} MB; answers: {dict(spread.most_common())}")
    assert len(spread) >= 8  # the mutants reach far beyond the first check
    _assert_every_file_answered(tmp_path, result, peak, hostile_names, valid_names, sent)


def test_a_parser_that_aborts_takes_down_its_worker_only(plan, tmp_path):
    """With the guard told to let everything through, python-calamine meets the far cell itself and
    aborts (SIGABRT): the worker dies, the file is answered, and the run goes on."""
    sender = hostile.Submissions(plan, tmp_path)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a-far-cell.xlsx").write_bytes(hostile.far_cell_single_quoted(sender.valid("121")))
    (inbox / "b-valid.xlsx").write_bytes(sender.valid("125"))
    lax = tmp_path / "lax-guard"
    lax.mkdir()
    (lax / "sitecustomize.py").write_text(
        "import pipeline.intake.guard as guard\nguard.MAX_SHEET_CELLS = 10**15\n"
        "guard.MAX_ROW = guard.MAX_COL = 10**9\n")
    (tmp_path / "outbox").mkdir()
    command = [sys.executable, str(ROOT / "run_pipeline.py"), "run",
               "--inbox", str(inbox), "--outbox", str(tmp_path / "outbox"), "--today", RUN_DAY]
    env = {**os.environ, "PYTHONPATH": f"{lax}{os.pathsep}{ROOT}"}
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stderr[-2000:]
    answers = _answers(tmp_path)
    assert [s for s, _ in answers["a-far-cell.xlsx"]] == ["rejected"]
    assert [s for s, _ in answers["b-valid.xlsx"]] == ["accepted"]
    with sqlite3.connect(tmp_path / "ledger.sqlite") as db:
        (code,) = db.execute("SELECT code FROM finding JOIN submission ON submission.id = submission_id"
                             " WHERE inbox_path = 'a-far-cell.xlsx'").fetchone()
    assert code in ("file-unreadable", "file-too-demanding")
    log = next((tmp_path / "outbox" / "logs").glob("run-*.log")).read_text(encoding="utf-8")
    assert "a-far-cell.xlsx: worker failed (crashed: signal SIGABRT)" in log


def test_run_day_is_before_the_deadline(plan):
    assert date.fromisoformat(RUN_DAY) <= plan.round(hostile.ROUND).district_deadline


@pytest.mark.parametrize("wrapped", [False, True])
def test_a_huge_shared_string_count_is_refused_wherever_its_element_sits(wrapped):
    """The guard reads the shared strings' part only up to its <sst> element: the root in any file an
    office program writes, but a crafted part may wrap it in another element."""
    from pipeline.intake import guard

    sst = (b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2000000000"'
           b' uniqueCount="2000000000"><si><t>x</t></si></sst>')
    parts = {"xl/workbook.xml": b"<workbook/>", "xl/sharedStrings.xml": b"<bao>" + sst + b"</bao>" if wrapped else sst}
    assert guard.inspect("bao-cao.xlsx", hostile.zipped(parts)).problem == "file-zip-suspicious"
    parts["xl/sharedStrings.xml"] = parts["xl/sharedStrings.xml"].replace(b"2000000000", b"1")
    assert guard.inspect("bao-cao.xlsx", hostile.zipped(parts)).problem is None


def test_a_formula_of_megabytes_is_quoted_in_a_few_hundred_characters(plan, tmp_path):
    """Issue 30, finding 4: a 4 MB formula in one input cell of a small file was copied whole into the
    finding, the ledger, the letter and the reply draft. It is now cut, with its size stated."""
    sender = hostile.Submissions(plan, tmp_path)
    rng = random.Random(4)
    formula = "+".join(str(rng.randrange(10**6)) for _ in range(600_000)).encode()  # ~4.2 MB, little to compress
    hostile_file = hostile.cell_replaced("G6", b'<c r="G6"><f>' + formula + b"</f><v>1</v></c>")(sender.valid("121"))
    (tmp_path / "inbox").mkdir()
    (tmp_path / "outbox").mkdir()
    (tmp_path / "inbox" / "cong-thuc-dai.xlsx").write_bytes(hostile_file)
    paths = Paths.beside_outbox(tmp_path / "inbox", tmp_path / "outbox")
    report = run(paths, today=date.fromisoformat(RUN_DAY))
    [outcome] = report.outcomes
    [finding] = [f for f in outcome.findings if f.code == "value-is-formula"]
    assert len(finding.message) < 600 and "(dài 4." in finding.message and "ký tự)" in finding.message
    assert paths.ledger.stat().st_size < 1 << 20
    answers = [p for p in (tmp_path / "outbox").rglob("*") if p.is_file() and "phan-hoi" in p.name]
    assert answers and all(p.stat().st_size < 200_000 for p in answers if p.suffix == ".txt")

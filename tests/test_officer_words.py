"""A month on the command line, as the officer lives it: everything on the screen and in the letters to
the districts is Vietnamese. Only file names, paths, round ids, command names and options may hold
other words."""

import re

import pytest

from pipeline.app.samples import fill_template, sample_values
from pipeline.plan.loader import load_plan
from tests.support.helpers import ROOT, run_cli

pytestmark = pytest.mark.slow

# English words that would betray untranslated text: argparse's, the pipeline's own, and common ones.
# (Short words that are Vietnamese too, such as "in", "to", "no", are left out.)
ENGLISH = frozenset(re.findall(r"\w+", """
and are argument arguments cannot choice choose could days deadline default did error errors example
expected failed file files folder for found from has have help inbox invalid is known late ledger
message missing must not nothing of one open option options or outbox positional rejected report
reported required round rounds run see sent show status summary the this try unit units unknown
unrecognized usage warning was were which with written yet you accepted warnings unpacked duplicate
superseded template templates
"""))
# What may stand in a line as it is: paths and file names, round ids, commands and options, codes.
ALLOWED = re.compile(
    r"(?:run_pipeline\.py(?: [a-z-]+)?)"  # a command as typed
    r"|(?:[\w.+-]+@[\w.-]+\w)"  # e-mail addresses
    r"|(?:[\w.-]*[/\\][^\s,;()«»]*)"  # paths
    r"|(?:[\w-]+\.(?:xlsx|docx|html|txt|eml|log|py|toml|sqlite|csv|jpg|pdf))"  # file names
    r"|(?:\d{4}-(?:annual|update)\b)"  # round ids
    r"|(?:--[a-z-]+)"  # options
    r"|(?m:^\s{2,}(?:plan|templates|run|status|report|approve|reopen|accept-ledger|demo)\b)"  # the list of commands
    r"|(?:'(?:plan|templates|run|status|report|approve|reopen|accept-ledger|demo)')"  # argparse's list of choices
)


def english_words(text: str) -> set[str]:
    cleaned = ALLOWED.sub(" ", text)
    return {w for w in re.findall(r"[A-Za-z]+", cleaned) if w.lower() in ENGLISH}


def test_a_month_on_the_command_line_speaks_vietnamese(tmp_path):
    plan = load_plan()
    for folder in ("inbox", "outbox"):
        (tmp_path / folder).mkdir()
    config = tmp_path / "config.toml"
    config.write_text(f'plan = "{ROOT / "plan"}"\ninbox = "inbox"\noutbox = "outbox"\ntemplates = "mau"\n'
                      '[contact]\noffice = "Hội LHPN tỉnh Sơn La"\nemail = "duan8@example.vn"\n', encoding="utf-8")

    def officer(*args: str) -> str:
        done = run_cli("--config", str(config), *args)
        assert done.returncode in (0, 1, 2), done.stderr
        return done.stdout + done.stderr

    screen = [officer("--help"), officer("run", "--help"), officer("templates", "--round", "2024-anual"),
              officer("templates"), officer("rn"), officer("run", "--today", "2024-13-01"),
              officer("templates", "--round", "2024-annual", "--unit", "121", "--unit", "126", "--unit", "999"),
              officer("templates", "--round", "2024-annual", "--unit", "121", "--unit", "126")]
    rnd = plan.round("2024-annual")
    for code, changes in (("121", {}), ("126", {"in_comm_groups_estimate": -1})):
        template = tmp_path / "mau" / "2024-annual" / f"2024-annual_{code}_{plan.unit(code).slug}.xlsx"
        values = sample_values(plan, rnd, plan.unit(code), with_previous=True) | changes
        fill_template(template, tmp_path / "inbox" / template.name, values)
    (tmp_path / "inbox" / "anh-chup.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a workbook")
    screen += [officer("run", "--today", "2024-09-12"), officer("run", "--today", "2024-09-13"),
               officer("status", "--today", "2024-09-13"), officer("approve", "--round", "2024-annual",
                                                                   "--today", "2024-09-19"),
               officer("report", "--round", "2024-annual", "--today", "2024-09-19"),
               officer("report", "--phase"), officer("reopen", "--round", "2024-annual")]
    letters = [p.read_text(encoding="utf-8") for p in (tmp_path / "outbox").rglob("*_phan-hoi.txt")]
    assert len(letters) == 3
    assert "Kết quả: CHƯA TIẾP NHẬN" in "\n".join(letters)
    assert all(letter.endswith("\n\nLiên hệ: Hội LHPN tỉnh Sơn La (thư điện tử duan8@example.vn).\n")
               for letter in letters)
    for text in screen + letters:
        assert english_words(text) == set(), text
    assert english_words("error: unknown round '2024-anual'; known: 2022-update") == {"error", "unknown", "round",
                                                                                       "known"}

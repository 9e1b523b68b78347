"""What a Windows office meets, tested as far as this Linux machine can: the double-click launcher, a
config.toml written with backslashes and Vietnamese folder names, file names with Vietnamese
characters, the status page opened in the browser, and workers started the only way Windows can
(spawn, without POSIX resource limits)."""

import os
import stat
from datetime import date
from pathlib import Path

import pytest

from pipeline.app.runner import run
from pipeline.app.samples import fill_template, sample_values
from pipeline.core.locations import Paths
from pipeline.intake import isolation
from pipeline.templates.writer import write_templates
from tests.support.helpers import ROOT, run_cli

pytestmark = pytest.mark.slow

LAUNCHER = ROOT / "Chay-hang-thang.cmd"


def test_the_launcher_runs_the_month_and_opens_the_status_page():
    data = LAUNCHER.read_bytes()
    text = data.decode("utf-8")
    assert data.count(b"\r\n") == data.count(b"\n") > 5  # cmd.exe reads CRLF lines
    lines = text.splitlines()
    assert lines[0] == "@echo off" and "chcp 65001 >nul" in lines  # UTF-8, so Vietnamese shows
    assert 'cd /d "%~dp0"' in lines  # works wherever the folder was copied, even from a double-click
    assert '".venv\\Scripts\\python.exe" run_pipeline.py run --open %*' in lines
    assert "pause" in lines  # the window stays open to be read
    assert text.count("(") - text.count("^)") == text.count(")") - text.count("^)")


def _send(plan, root: Path, code: str, inbox: Path, name: str) -> None:
    rnd, unit = plan.round("2024-annual"), plan.unit(code)
    template = write_templates(plan, rnd, root / "mau", [unit])[0]
    fill_template(template, inbox / name, sample_values(plan, rnd, unit, with_previous=True))


def test_backslash_paths_and_vietnamese_names_run_and_open_the_page(tmp_path, plan):
    data = tmp_path / "Dữ liệu Dự án 8"
    inbox, outbox = data / "Hộp thư đến", data / "Kết quả"
    inbox.mkdir(parents=True)
    outbox.mkdir()
    _send(plan, tmp_path, "121", inbox / "Tháng 9", "Báo cáo Bắc Yên (bản cuối).xlsx")
    config = tmp_path / "config.toml"
    config.write_text(f"plan = '{ROOT / 'plan'}'\ninbox = 'Dữ liệu Dự án 8\\Hộp thư đến'\n"
                      "outbox = 'Dữ liệu Dự án 8\\Kết quả'\n", encoding="utf-8")
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\nprintf "%s" "$1" > "{opened}"\n', encoding="utf-8")
    browser.chmod(browser.stat().st_mode | stat.S_IEXEC)
    os.environ["BROWSER"] = str(browser)
    try:
        done = run_cli("--config", str(config), "run", "--today", "2024-09-05", "--open")
    finally:
        del os.environ["BROWSER"]
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Tiếp nhận            Tháng 9/Báo cáo Bắc Yên (bản cuối).xlsx")
    assert opened.read_text(encoding="utf-8") == (outbox / "index.html").resolve().as_uri()
    archived = list((tmp_path / "Dữ liệu Dự án 8" / "archive").rglob("*.xlsx"))
    assert [p.name.endswith("Báo cáo Bắc Yên (bản cuối).xlsx") for p in archived] == [True]
    assert (outbox / "2024-annual" / "tong-hop_2024-annual.xlsx").is_file()


def test_a_run_with_workers_started_as_on_windows(tmp_path, plan, monkeypatch):
    monkeypatch.setattr(isolation, "start_method", lambda: "spawn")
    monkeypatch.setattr(isolation, "resource", None)
    inbox = tmp_path / "Hộp thư"
    for code in ("121", "125"):
        _send(plan, tmp_path, code, inbox, f"Báo cáo {plan.unit(code).name}.xlsx")
    report = run(Paths.beside_outbox(inbox, tmp_path / "Kết quả"), today=date(2024, 9, 5))
    assert sorted((o.record.original_name, o.record.status) for o in report.outcomes) == [
        ("Báo cáo Bắc Yên.xlsx", "accepted"), ("Báo cáo Mai Sơn.xlsx", "accepted")]

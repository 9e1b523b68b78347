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
    # pushd, not cd /d: cd cannot make a network share (\\server\share) the current folder
    assert 'pushd "%~dp0"' in lines and not any(line.startswith("cd ") for line in lines)
    assert '".venv\\Scripts\\python.exe" run_pipeline.py run --open %*' in lines
    assert "pause" in lines  # the window stays open to be read
    assert text.count("(") - text.count("^)") == text.count(")") - text.count("^)")


def test_the_launcher_installs_until_done_with_a_python_that_can(tmp_path):
    """Issue 31, finding 13: a failed first install was never retried (the venv existed); `py -3` could
    pick a Python too old for the pins (3.11.0-3.11.4); a crash's exit code was explained as rejected
    files. The launcher is read as cmd.exe would run it: no Windows here to run it on."""
    lines = LAUNCHER.read_text(encoding="utf-8").splitlines()
    # Installed only once pip finished: the marker is written after it, and its absence means "install".
    marker = next(i for i, line in enumerate(lines) if line.startswith("echo %DATE% %TIME%>"))
    pip = next(i for i, line in enumerate(lines) if "-m pip install -r requirements.txt" in line)
    assert lines.index('if exist ".venv\\cai-dat-xong.txt" goto :run') < pip < marker
    assert lines[pip + 1] == "if errorlevel 1 goto :install_failed"
    # Python chosen by version, newest first, from 3.11.5 on, or named when there is none.
    finder = next(line for line in lines if line.startswith("for %%V in ("))
    assert "(3.14 3.13 3.12 3.11)" in finder and "sys.version_info < (3, 11, 5)" in finder
    assert any("Cần Python 3.11.5 trở lên" in line for line in lines)
    # Each exit code has its own words; a crash (above 2, or negative) is not "files rejected".
    assert [line.split(" echo ")[0] for line in lines if line.startswith("if ") and "CODE" in line] == [
        'if "%CODE%"=="0"', 'if "%CODE%"=="1"', 'if "%CODE%"=="2"', "if %CODE% GTR 2", "if %CODE% LSS 0"]
    assert any(line.startswith("%PY% -m venv") or " %PY% -m venv .venv" in line for line in lines)
    # No variable is expanded inside a ( ) block, where cmd.exe would read it before it is set.
    assert not any(line.rstrip().endswith("(") for line in lines)


def test_an_installation_cut_short_is_one_line_and_exit_2(tmp_path):
    """A crash before the pipeline could even load (a package missing) exited 1, "files rejected"."""
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-S", str(ROOT / "run_pipeline.py"), "status"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith("Lỗi: chương trình chưa được cài đặt đầy đủ (thiếu ")


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

import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from pipeline.intake.read import read_submission
from pipeline.intake.records import from_path
from pipeline.plan.loader import DEFAULT_PLAN_DIR, load_plan
from pipeline.validation.rules import RuleBook

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def plan():
    return load_plan()


@pytest.fixture(scope="session")
def rules():
    return RuleBook.load(DEFAULT_PLAN_DIR)


@pytest.fixture
def plan_copy(tmp_path):
    """A writable copy of the bundled plan folder, for breaking on purpose."""
    target = tmp_path / "plan"
    shutil.copytree(DEFAULT_PLAN_DIR, target)
    return target


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "run_pipeline.py"), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def require(found, what: str):
    """A program the test drives: skipped on a developer's machine without it, a failure in CI
    (where .ci/run installs it), so CI never passes by skipping."""
    if not found:
        if os.environ.get("CI"):
            pytest.fail(f"{what} is required in CI; .ci/run installs it")
        pytest.skip(f"{what} is not installed")
    return found


@pytest.fixture
def soffice():
    return require(shutil.which("soffice"), "LibreOffice (soffice)")


# LibreOffice keeps the cached results of an .xlsx unless told to recalculate every formula on load.
RECALCULATE_ON_LOAD = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
<prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def libreoffice_convert(soffice: str, source: Path, out_dir: Path, fmt: str = "xlsx") -> Path:
    """Re-save `source` as LibreOffice writes it (a stand-in for the districts' office software),
    every formula recalculated by LibreOffice itself."""
    profile = out_dir.parent / f".lo-profile-{out_dir.name}"
    (profile / "user").mkdir(parents=True, exist_ok=True)
    (profile / "user" / "registrymodifications.xcu").write_text(RECALCULATE_ON_LOAD, encoding="utf-8")
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{profile}",
                    "--convert-to", fmt, "--outdir", str(out_dir), str(source)],
                   check=True, capture_output=True, timeout=180)
    return out_dir / f"{source.stem}.{fmt}"


def read_file(path: Path, plan, rules, received: date = date(2025, 1, 1)):
    """Ingest one file as a run would (received on a day every test round is open)."""
    return read_submission(from_path(path, path.parent), plan, rules, received)


@pytest.fixture
def uno_python(soffice):
    python = shutil.which("python3", path="/usr/bin")
    probe = subprocess.run([python or "python3", "-c", "import uno"], capture_output=True)
    return require(python if probe.returncode == 0 else None, "python3-uno (the system python3's uno)")


@pytest.fixture
def chromium():
    """Headless Chromium as installed from Debian (flags as this workplace's machines need them)."""
    path = require(shutil.which("chromium"), "chromium")

    def dump(page: Path, profile: Path) -> str:
        result = subprocess.run(
            [path, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}", "--dump-dom",
             page.resolve().as_uri()],
            capture_output=True, text=True, timeout=120, check=True)
        return result.stdout
    return dump


@pytest.fixture
def pools(monkeypatch) -> list[tuple]:
    """The worker pools parallel.py starts, each as its arguments (the number of workers)."""
    from pipeline.core import parallel

    started: list[tuple] = []

    class Counted(parallel.ProcessPoolExecutor):
        def __init__(self, *args, **kwargs):
            started.append(args)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(parallel, "ProcessPoolExecutor", Counted)
    return started

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pipeline.plan.loader import DEFAULT_PLAN_DIR, load_plan
from pipeline.validation.book import RuleBook
from tests.support.helpers import require

# The tests write a file and run at once, hundreds of times: a run would wait two seconds each time for
# files "still being written". tests/test_leftovers.py sets it back where it tests that wait.
os.environ.setdefault("P8_INBOX_SETTLE_SECONDS", "0")

# A test that drives one of these programs is end to end, whatever its module says.
END_TO_END_FIXTURES = {"soffice", "uno_python", "chromium", "dovecot", "smtp_server"}


def pytest_collection_modifyitems(items):
    for item in items:
        if END_TO_END_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


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


@pytest.fixture
def soffice():
    return require(shutil.which("soffice"), "LibreOffice (soffice)")


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


@pytest.fixture
def home(installed, tmp_path):
    """A copy of the module's own `installed` installation, for a test to change as it likes."""
    root = tmp_path / "home"
    shutil.copytree(installed, root)
    return root

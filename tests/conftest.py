import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.plan import DEFAULT_PLAN_DIR, load_plan
from pipeline.rules import RuleBook

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

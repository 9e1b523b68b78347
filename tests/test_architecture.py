"""The house keeps its shape: the documentation names every package and module, modules stay small,
and what the worker processes preload exists (CPython skips a preload name it cannot import)."""

import importlib
import re
from pathlib import Path

import pytest

from pipeline.intake.isolation import PRELOAD
from tests.support.helpers import ROOT

PIPELINE = ROOT / "pipeline"
MAX_LINES = 400
MAX_TOP_LEVEL = 16


def _modules() -> list[Path]:
    return sorted(p.relative_to(PIPELINE) for p in PIPELINE.rglob("*.py") if p.name != "__init__.py")


def _packages() -> list[str]:
    return sorted(p.parent.name for p in PIPELINE.glob("*/__init__.py"))


def test_the_readme_lists_every_package_once():
    listed = re.findall(r"^\| `pipeline/([a-z_]+)/` \|", (ROOT / "README.md").read_text(encoding="utf-8"), re.M)
    assert sorted(listed) == _packages()


def test_the_architecture_note_names_every_module():
    note = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([a-z_/]+)/\*\.py` \| (.*)$", note, re.M)
    grouped = {folder: set(re.findall(r"`([a-z_]+)`", names)) for folder, names in rows}
    missing = [str(m) for m in _modules()
               if f"`{m.as_posix()}`" not in note and m.stem not in grouped.get(m.parent.as_posix(), set())]
    assert missing == []
    for package in _packages():
        assert f"| `{package}/` |" in note, package


def test_no_module_is_over_400_lines():
    lines = {str(m): len((PIPELINE / m).read_text(encoding="utf-8").splitlines()) for m in _modules()}
    long = {module: count for module, count in lines.items() if count > MAX_LINES}
    assert long == {}


def test_the_pipeline_folder_has_at_most_16_entries():
    entries = [p.name for p in PIPELINE.iterdir() if p.name != "__pycache__"]
    assert len(entries) <= MAX_TOP_LEVEL, sorted(entries)


@pytest.mark.parametrize("name", PRELOAD)
def test_every_module_the_readers_preload_imports(name):
    assert importlib.import_module(name).__name__ == name

"""The loaded plan kept beside the ledger: used when it is the copy of exactly these plan files, sealed
by this installation's key; anything else is never unpickled, and the plan is read from its files.
Only a run that changes something writes the copy."""

import pickle
from pathlib import Path

import pytest

from pipeline.app import plan_cache
from pipeline.ledger.template_key import template_key
from pipeline.plan.loader import load_plan


def _ledger(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    template_key(home / "ledger.sqlite", home)
    return home / "ledger.sqlite"


def _files_not_read(monkeypatch) -> None:
    def refused(folder):
        raise AssertionError(f"the plan's files were read again: {folder}")
    monkeypatch.setattr(plan_cache, "load_plan", refused)


def test_the_plan_is_taken_from_the_sealed_copy_once_a_run_kept_it(tmp_path, plan_copy, monkeypatch):
    ledger = _ledger(tmp_path)
    first = plan_cache.load(plan_copy, ledger)
    assert not (ledger.parent / plan_cache.CACHE).exists()  # loading writes nothing
    plan_cache.keep(plan_copy, ledger)
    kept = (ledger.parent / plan_cache.CACHE).read_bytes()
    _files_not_read(monkeypatch)
    plan_cache.keep(plan_copy, ledger)  # the copy there is current: not read, not written again
    assert (ledger.parent / plan_cache.CACHE).read_bytes() == kept
    second = plan_cache.load(plan_copy, ledger)
    assert second == first == load_plan(plan_copy)
    assert repr(second) == repr(first)


def test_an_edited_plan_file_is_read_again(tmp_path, plan_copy):
    ledger = _ledger(tmp_path)
    plan_cache.keep(plan_copy, ledger)
    units = plan_copy / "units.csv"
    units.write_text(units.read_text(encoding="utf-8").replace("Quỳnh Nhai", "Quỳnh Nhai mới"), encoding="utf-8")
    assert plan_cache.load(plan_copy, ledger).unit("118").name.endswith("Quỳnh Nhai mới")
    (plan_copy / "ghi-chu.txt").write_text("một tệp mới trong thư mục", encoding="utf-8")
    assert plan_cache.load(plan_copy, ledger) == load_plan(plan_copy)


class _Planted:
    """A pickle that runs code when it is loaded: it leaves a file."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "chạy"))


def test_a_copy_not_sealed_by_this_installation_is_never_unpickled(tmp_path, plan_copy):
    ledger = _ledger(tmp_path)
    plan_cache.keep(plan_copy, ledger)
    path = ledger.parent / plan_cache.CACHE
    data = path.read_bytes()
    head = len(plan_cache.MAGIC) + 64  # the seal, then what it was made from
    marker = tmp_path / "ran"
    path.write_bytes(data[:head] + pickle.dumps(_Planted(marker)))
    assert plan_cache.load(plan_copy, ledger) == load_plan(plan_copy)
    plan_cache.keep(plan_copy, ledger)
    assert not marker.exists()
    assert path.read_bytes() == data  # written again, sealed


def test_a_copy_sealed_by_another_installations_key_is_not_used(tmp_path, plan_copy):
    ledger = _ledger(tmp_path)
    plan_cache.keep(plan_copy, ledger)
    other = tmp_path / "other"
    other.mkdir()
    template_key(other / "ledger.sqlite", other)
    (other / plan_cache.CACHE).write_bytes((ledger.parent / plan_cache.CACHE).read_bytes())
    with pytest.MonkeyPatch.context() as patch:
        read = []
        patch.setattr(plan_cache, "load_plan", lambda folder: read.append(folder) or load_plan(folder))
        plan_cache.load(plan_copy, other / "ledger.sqlite")
    assert read == [plan_copy]


def test_without_a_ledger_key_nothing_is_kept(tmp_path, plan_copy):
    home = tmp_path / "home"
    home.mkdir()
    assert plan_cache.load(plan_copy, home / "ledger.sqlite") == load_plan(plan_copy)
    plan_cache.keep(plan_copy, home / "ledger.sqlite")
    assert list(home.iterdir()) == []

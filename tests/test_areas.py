"""A plan whose units name their area (a country's communes by province, a province's by former
district): the round's workbook is a summary with a line per area and one detail workbook per area.
The summary's figures equal the same ledger consolidated without areas, every value's provenance is in
the parts, «Các phần» names each part by its SHA-256, and one new file rewrites only its own area."""

import csv
import hashlib
import shutil
import time
from datetime import date

import openpyxl
import pytest

from pipeline.app.rebuild import consolidation
from pipeline.app.runner import run
from pipeline.core import locations
from pipeline.core.errors import PlanError
from pipeline.core.locations import Paths
from pipeline.ledger.store import Ledger
from pipeline.plan import areas
from pipeline.plan.loader import DEFAULT_PLAN_DIR, load_plan
from pipeline.workbook import assemble
from tests.support.helpers import ROOT
from tests.support.installation import send, tree

pytestmark = pytest.mark.integration

DAY = date(2024, 9, 5)
ROUND = "2024-annual"
NORTH = ("121", "125", "123", "120", "122", "118")  # «Vùng Bắc»; the other districts are «Vùng Nam»


def _district(row) -> str:
    """The district a unit's line belongs to: its own code, or a commune's former district."""
    return (row.get("former") or "").split(";")[0] or row["code"]


def _with_areas(folder, area_of) -> None:
    path = folder / "units.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, [*rows[0], "area"])
        writer.writeheader()
        writer.writerows({**row, "area": area_of(row)} for row in rows)


def _area(row) -> str:
    if row["level"] == "province":
        return ""
    return "Vùng Bắc" if _district(row) in NORTH else "Vùng Nam"


def _rows(path, sheet: str) -> list[tuple]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return [tuple(r) for r in book[sheet].iter_rows(values_only=True)]
    finally:
        book.close()


def _summary_figures(path) -> dict[str, list]:
    """«Tổng hợp» by the name in column B: the cached target, year, cumulative figures of every indicator."""
    book = openpyxl.load_workbook(path, data_only=True)
    ws = book["Tổng hợp"]
    found = {}
    for row in ws.iter_rows(min_row=6, values_only=True):
        if row[1] and row[4] is not None:
            found[row[1]] = [v for k, v in enumerate(row[4:]) if k % 4 != 3]
    return found


@pytest.fixture(scope="module")
def split(tmp_path_factory):
    root = tmp_path_factory.mktemp("areas")
    shutil.copytree(DEFAULT_PLAN_DIR, root / "plan")
    _with_areas(root / "plan", _area)
    plan = load_plan(root / "plan")
    paths = Paths.beside_outbox(root / "inbox", root / "outbox")
    for code in ("14", "121", "125", "126", "119"):
        send(plan, root, code)
    run(paths, root / "plan", today=DAY)
    return root, plan, paths


def test_a_plan_names_areas_for_every_unit_but_the_province_level(plan_copy):
    _with_areas(plan_copy, lambda row: "Vùng Bắc" if _district(row) in NORTH else "")
    with pytest.raises(PlanError, match=r"phải có cột «area»; còn trống ở 126 \(Sông Mã\)"):
        load_plan(plan_copy)
    _with_areas(plan_copy, lambda row: "Vùng Bắc")
    with pytest.raises(PlanError, match="đơn vị cấp tỉnh 14 không thuộc khu vực nào"):
        load_plan(plan_copy)
    _with_areas(plan_copy, lambda row: "" if row["level"] == "province" else
                ("Vùng Bắc" if _district(row) in NORTH else "Vung Bac"))
    with pytest.raises(PlanError, match="cùng tên không dấu"):
        load_plan(plan_copy)


def test_the_summary_has_a_line_per_area_equal_to_the_sum_of_its_units(split, plan):
    root, _split_plan, paths = split
    outbox = root / "outbox" / ROUND
    whole = root / "whole"
    with Ledger(paths.ledger, paths.home) as ledger:
        # The same ledger through the plan without areas: the one-workbook layout, a line per district.
        assemble.write_workbook(plan, consolidation(plan, ledger, plan.round(ROUND)), whole)
    units = _summary_figures(whole / ROUND / locations.workbook_name(ROUND))
    areas = _summary_figures(outbox / locations.workbook_name(ROUND))
    north = [plan.unit(c).name for c in NORTH]
    south = [u.name for u in plan.allocated if u.code not in NORTH]
    for area, names in (("Vùng Bắc", north), ("Vùng Nam", south)):
        expected = [sum(units[n][k] or 0 for n in names) for k in range(len(units[north[0]]))]
        assert [v or 0 for v in areas[area]] == expected, area
    for line in ("Tổng cộng", "Cấp tỉnh"):
        assert areas[line] == units[line], line
    assert set(areas) == {"Tổng cộng", "Cấp tỉnh", "Các khu vực", "Vùng Bắc", "Vùng Nam"}
    # The status sheet counts the areas' units: 5 of 12 reported, 2 of them in «Vùng Bắc».
    status = {r[1]: r[2:8] for r in _rows(outbox / locations.workbook_name(ROUND), "Tình hình nộp báo cáo")[4:]
              if r[1]}
    assert status["Vùng Bắc"] == (6, 2, 2, 0, 0, 4)
    assert status["Vùng Nam"] == (5, 2, 2, 0, 0, 3)
    assert status["Cấp tỉnh"] == (1, 1, 1, 0, 0, 0)


def test_each_area_has_its_own_workbook_and_together_they_trace_every_value(split, plan):
    root, _split_plan, paths = split
    outbox = root / "outbox" / ROUND
    summary = outbox / locations.workbook_name(ROUND)
    areas = _summary_figures(summary)
    parts = {r[1]: r for r in _rows(summary, "Các phần")[4:] if r[0]}
    assert set(parts) == {"Vùng Bắc", "Vùng Nam"}
    traced = [r for r in _rows(summary, "Truy nguồn")[4:] if r[0]]
    assert {r[0] for r in traced} == {"14"}  # the province level's own detail stays in the summary
    for name, (_, _, count, file, digest) in parts.items():
        path = outbox / file
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
        # its districts, the communes that continue them and (in «Vùng Nam») the 4 wards of the former city
        assert count == {"Vùng Bắc": 6 + 39, "Vùng Nam": 5 + 32 + 4}[name]
        figures = _summary_figures(path)
        assert figures[f"Cộng {name}"] == areas[name]  # the summary's line is the part's total line
        traced += [r for r in _rows(path, "Truy nguồn")[4:] if r[0]]
    with Ledger(paths.ledger, paths.home) as ledger:
        assemble.write_workbook(plan, consolidation(plan, ledger, plan.round(ROUND)), root / "whole2")
    everything = [r for r in _rows(root / "whole2" / ROUND / locations.workbook_name(ROUND), "Truy nguồn")[4:] if r[0]]
    assert sorted(traced, key=str) == sorted(everything, key=str)  # every value, once


def test_one_new_file_rewrites_only_its_own_areas_workbook(split, monkeypatch):
    root, split_plan, paths = split
    before = tree(root)
    time.sleep(0.01)
    send(split_plan, root, "127")  # Sốp Cộp, in «Vùng Nam»
    written = []
    write = assemble.write_area_workbook
    monkeypatch.setattr(assemble, "write_area_workbook", lambda *a: written.append(a[-1].name) or write(*a))
    report = run(paths, root / "plan", today=date(2024, 9, 7))
    assert written == ["Vùng Nam"]  # «Vùng Bắc» is not even laid out again
    # of the areas' status pages, only its own is written again
    assert [p.relative_to(root / "outbox").as_posix() for p in report.outputs if p.suffix == ".html"
            and p.parent.name == locations.AREA_FOLDER] == [f"{ROUND}/khu-vuc/tinh-hinh_{ROUND}_vung-nam.html"]
    assert run(paths, root / "plan", today=date(2024, 9, 7)).outputs == []  # and the next run writes nothing
    after = tree(root)
    changed = {name for name in after if before.get(name) != after[name] and name.endswith(".xlsx")
               and name.startswith("outbox/")}
    folder = f"outbox/{ROUND}"
    assert changed == {f"{folder}/tong-hop_{ROUND}.xlsx", f"{folder}/phu-luc_{ROUND}.xlsx",
                       f"{folder}/khu-vuc/tong-hop_{ROUND}_vung-nam.xlsx"}


def test_a_deleted_area_workbook_comes_back_on_the_next_run_alone(split, monkeypatch):
    root, split_plan, paths = split
    part = root / "outbox" / ROUND / locations.area_workbook_name(ROUND, _area_named(split_plan, "Vùng Bắc").slug)
    kept = part.read_bytes()
    part.unlink()
    written = []
    write = assemble.write_area_workbook
    monkeypatch.setattr(assemble, "write_area_workbook", lambda *a: written.append(a[-1].name) or write(*a))
    run(paths, root / "plan", today=date(2024, 9, 7))
    assert written == ["Vùng Bắc"]
    assert part.read_bytes() == kept  # the same ledger, the same bytes


def _area_named(plan, name):
    return next(a for a in areas.of(plan) if a.name == name)


def test_areas_written_on_every_core_are_the_ones_written_in_one_process(split, tmp_path, monkeypatch, pools):
    from pipeline.app.rebuild import rebuild
    from pipeline.core import parallel
    from pipeline.reports import documents

    _root, split_plan, paths = split
    rnd = split_plan.round(ROUND)
    with Ledger(paths.ledger, paths.home) as ledger:
        one = rebuild(split_plan, ledger, tmp_path / "one", [rnd])
        assert pools == []
        monkeypatch.setattr(parallel, "MIN_ITEMS", 2)
        monkeypatch.setattr(parallel, "cores", lambda: 2)
        monkeypatch.setattr(documents, "UNITS_PER_JOB", 2)
        spread = rebuild(split_plan, ledger, tmp_path / "two", [rnd])
    assert pools == [(2,)]
    names = sorted(p.relative_to(tmp_path / "one").as_posix() for p in one)
    assert sorted(p.relative_to(tmp_path / "two").as_posix() for p in spread) == names
    assert {f"{ROUND}/khu-vuc/tong-hop_{ROUND}_vung-bac.xlsx", f"{ROUND}/tong-hop_{ROUND}.xlsx"} <= set(names)
    for name in names:  # the summary names each area's workbook by the hash it has once all are written
        assert (tmp_path / "two" / name).read_bytes() == (tmp_path / "one" / name).read_bytes(), name


def test_the_phase_workbook_names_the_areas_workbooks_of_its_round(split):

    root, split_plan, paths = split
    outbox = root / "outbox"
    with Ledger(paths.ledger, paths.home) as ledger:
        result = consolidation(split_plan, ledger, split_plan.round(ROUND))
    folder = outbox / locations.phase_folder(split_plan.phase)
    path = assemble.write_phase_workbook(split_plan, result, folder / "giai-doan.xlsx")
    parts = [r for r in _rows(path, "Các phần")[4:] if r[0]]
    expected = [f"../{ROUND}/" + locations.area_workbook_name(ROUND, a.slug) for a in areas.of(split_plan)]
    assert [r[3] for r in parts] == expected
    for *_, file, digest in parts:
        assert hashlib.sha256((path.parent / file).read_bytes()).hexdigest() == digest


def test_the_status_page_opens_on_a_summary_by_area(split):
    """Issue 32: at 3,321 units the status page was one table of 6,647 rows. A plan with areas gets a
    line per area, each linking the area's own page of units and files; the province level's units and
    files stay on the status page; every unit appears once, and every link opens a file that exists."""
    import re
    from html import unescape

    root, split_plan, _ = split
    outbox = root / "outbox"
    page = (outbox / locations.STATUS_PAGE).read_text(encoding="utf-8")
    section = page[page.index(f'<h2 id="{ROUND}">'):]
    section = section[:section.index("<h2", 1)] if "<h2" in section[1:] else section
    summary = section[section.index('<table class="areas"'):section.index("</table>")]
    lines = re.findall(r'<td><a href="([^"]+)">([^<]+)</a></td><td class="num">(\d+)</td><td class="num">(\d+)</td>'
                       r'<td class="num">(\d+)</td><td class="num">(\d+)</td><td class="num">(\d+)</td>', summary)
    # each area's line counts the states of the units on its page (other tests of this module send more
    # files: the counts are read from the pages, the areas and their sizes are fixed)
    assert [(href, name, units) for href, name, units, *_ in lines] == [
        (f"{ROUND}/khu-vuc/tinh-hinh_{ROUND}_vung-bac.html", "Vùng Bắc", "6"),
        (f"{ROUND}/khu-vuc/tinh-hinh_{ROUND}_vung-nam.html", "Vùng Nam", "5")]
    on_pages = []
    for href, name, units, reported, late, sent, silent in lines:
        area_page = (outbox / href).read_text(encoding="utf-8")
        assert f"<h1>Dự án 8 – {split_plan.province}: tình hình báo cáo – {name}</h1>" in area_page
        states = re.findall(r'data-unit="\w+"><td>\w+</td><td>[^<]+</td><td>([^<]+)</td>', area_page)
        assert len(states) == int(units)
        assert int(reported) == sum(s.startswith("Đã báo cáo") for s in states) >= 2
        assert int(late) == sum(", trễ" in s for s in states)
        assert int(silent) == states.count("Chưa gửi")
        assert int(sent) == int(units) - int(reported) - int(silent)
        on_pages += re.findall(r'data-unit="(\w+)">', area_page)
        # its files: those of its units only, each linking its letter, from the area page's own folder
        files = area_page[area_page.index('<table class="files"'):]
        shown_units = {u.name for u in _area_named(split_plan, name).units}
        assert set(re.findall(r"<tr><td>[^<]+</td><td>([^<]+)</td>", files)) <= shown_units
        for link in re.findall(r'href="([^"#]+)', area_page):
            assert (outbox / href).parent.joinpath(unescape(link)).resolve().is_file(), link
    inline = re.findall(r'data-unit="(\w+)">', section)
    assert inline == ["14"]  # the province level, in no area
    assert sorted(inline + on_pages) == sorted(u.code for u in split_plan.units_for(split_plan.round(ROUND)))
    for link in re.findall(r'href="([^"#]+)', section):
        assert (outbox / unescape(link)).is_file(), link


def test_a_large_plan_that_names_no_area_is_split_by_its_former_units(plan_copy, monkeypatch):
    """Issue 32: a plan of more units than one workbook serves well (AREA_UNITS) and no `area` column was
    written as one provincial workbook (3,321 lines: 20 s to open, not printable). Its communes now go with
    the former district whose line they continue."""
    monkeypatch.setattr(areas, "AREA_UNITS", 50)
    plan = load_plan(plan_copy)
    assert not any(u.area for u in plan.units) and len(plan.units) > 50
    found = {a.name: a for a in areas.of(plan)}
    districts = [u for u in plan.units if u.level == "district"]
    # the wards of the city the plan allocated nothing to: together, apart from the districts
    assert sorted(found) == sorted([u.name for u in districts] + [areas.OUTSIDE])
    assert {u.code for u in found[areas.OUTSIDE].units} == {u.code for u in plan.outside_allocation}
    for district in districts:
        members = {u.code for u in found[district.name].units}
        assert district.code in members
        assert members - {district.code} == {u.code for u in plan.units if u.former and u.former[0] == district.code}
    assert areas.area_of(plan, plan.province_unit.code) is None


def test_a_large_plan_without_structure_is_split_in_groups_of_its_order(tmp_path):
    """The shape bench/scale.py measures as the project ships its plan: no `area` column, no former units."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("scale", ROOT / "bench" / "scale.py")
    scale = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scale)
    plan = load_plan(scale.synthetic_plan(tmp_path / "plan", 451, areas=False))
    found = areas.of(plan)
    assert [a.name for a in found] == ["Nhóm 1 (Xã 1 – Xã 200)", "Nhóm 2 (Xã 201 – Xã 400)", "Nhóm 3 (Xã 401 – Xã 450)"]
    assert [len(a.units) for a in found] == [200, 200, 50] and areas.area_of(plan, "14") is None

"""The tidy export and the national rollup: two provinces (the made-up plan of tests/support/plan_seven.py under
two names) report a round, each exports its ledger, and the rollup's national totals equal a sum
worked out here; an altered or repeated package is named and left out."""

import csv as csv_module
import hashlib
import json
import shutil
import sqlite3
import unicodedata
from datetime import date

import openpyxl
import pandas as pd
import pytest

from pipeline.app.runner import run
from pipeline.core.locations import Paths
from pipeline.exchange.export import COLUMNS, write_export
from pipeline.exchange.rollup import rollup, write_rollup
from pipeline.ledger import chain
from pipeline.ledger.store import Ledger
from pipeline.plan.loader import load_plan
from tests.support import plan_seven
from tests.support.helpers import libreoffice_convert, run_cli

pytestmark = pytest.mark.integration

PROVINCES = {"tinh-mot": "Tỉnh Thử", "tinh-hai": "Tỉnh Thử Hai"}


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    typed: dict = {}
    folders = {}
    for name, province in PROVINCES.items():
        plan_dir = plan_seven.write(root / name / "plan")
        meta = (plan_dir / "plan.toml").read_text(encoding="utf-8")
        meta = meta.replace('id = "thu-nghiem-7"', f'id = "thu-nghiem-7-{name}"')
        (plan_dir / "plan.toml").write_text(meta.replace('province = "Tỉnh Thử"', f'province = "{province}"'),
                                            encoding="utf-8")
        if name == "tinh-hai":  # another province: another official code for its province level
            for table in ("units.csv", "targets.csv"):
                text = (plan_dir / table).read_text(encoding="utf-8")
                (plan_dir / table).write_text(text.replace("\nP,", "\nP2,"), encoding="utf-8")
        plan = load_plan(plan_dir)
        paths = Paths.beside_outbox(root / name / "inbox", root / name / "outbox")
        sent: dict = {}
        plan_seven.send_round(plan, paths, root / name / "templates", plan.round("2024-annual"), sent)
        report = run(paths, plan_dir, today=date(2024, 9, 5))
        assert all(o.record.status.startswith("accepted") for o in report.outcomes)
        typed[province] = sent
        with Ledger(paths.ledger, paths.home) as ledger:
            folders[province] = write_export(plan, ledger, root / name / "xuat")[0].parent
    return root, folders, typed


def test_the_export_is_one_tidy_table_described_by_its_datapackage(exports):
    root, folders, typed = exports
    folder = folders["Tỉnh Thử"]
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    resource = package["resources"][0]
    data = (folder / resource["path"]).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # Excel opens UTF-8 with its byte-order mark
    assert resource["hash"] == f"sha256:{hashlib.sha256(data).hexdigest()}" and resource["bytes"] == len(data)
    assert resource["schema"]["primaryKey"] == ["unit_code", "round", "part", "subject", "measure"]
    lines = data.decode("utf-8-sig").splitlines()
    header = lines[0].split(",")
    assert header == [f["name"] for f in resource["schema"]["fields"]]
    rows = [dict(zip(header, line.split(","), strict=True)) for line in lines[1:]]
    d1 = next(r for r in rows if (r["unit_code"], r["subject"], r["measure"]) == ("D1", "i2", "estimate"))
    assert float(d1["value"]) == typed["Tỉnh Thử"]["2024-annual", "D1"]["in_i2_estimate"]
    template = root / "tinh-mot" / "templates" / "2024-annual" / "2024-annual_D1_huyen-mot.xlsx"
    sheet, cell = next(iter(openpyxl.load_workbook(template).defined_names["in_i2_estimate"].destinations))
    assert (d1["sheet"], d1["cell"], d1["round_kind"]) == (sheet, cell.replace("$", ""), "annual")
    assert package["p8"]["rows"] == len(rows)
    sheet = openpyxl.load_workbook(folder / "so-lieu_thu-nghiem-7-tinh-mot.xlsx").active
    assert sheet.max_row == len(rows) + 1


def test_the_national_totals_equal_an_independent_sum(exports):
    root, folders, typed = exports
    detail = root / "toan-quoc" / "so-lieu-goc-toan-quoc.csv"
    result = rollup([folders[p] / "datapackage.json" for p in PROVINCES.values()], detail)
    assert result.included == list(PROVINCES.values()) and result.refused == []
    totals = result.totals
    for code in ("i1", "i2", "i5", "i7"):
        expected = sum(values[f"in_{code}_estimate"] for sent in typed.values() for values in sent.values())
        nation = totals[(totals["province"] == "Toàn quốc") & (totals["subject"] == code)]["value"]
        assert list(nation) == [pytest.approx(expected)], code
    written = write_rollup(result, root / "toan-quoc")
    assert openpyxl.load_workbook(written[0]).sheetnames == ["Tong hop", "Theo tinh"]  # aggregates only
    sheet = openpyxl.load_workbook(written[0])["Theo tinh"]
    assert {r[0] for r in sheet.iter_rows(min_row=2, values_only=True)} == {"Tỉnh Thử", "Tỉnh Thử Hai", "Toàn quốc"}
    assert written[1].read_text(encoding="utf-8").startswith("Tổng hợp toàn quốc từ 2 gói số liệu: Tỉnh Thử, "
                                                              "Tỉnh Thử Hai.")
    # every row of both packages, once, in the detail CSV, with its province
    rows = list(csv_module.DictReader(detail.read_text(encoding="utf-8-sig").splitlines()))
    exported = sum(json.loads((folders[p] / "datapackage.json").read_text(encoding="utf-8"))["p8"]["rows"]
                   for p in PROVINCES.values())
    assert len(rows) == result.rows == exported
    assert {r["province"] for r in rows} == set(PROVINCES.values())
    for code in ("i1", "i2"):
        by_hand = sum(float(r["value"]) for r in rows if r["subject"] == code and r["measure"] == "estimate"
                      and r["part"] == "indicator")
        nation = totals[(totals["province"] == "Toàn quốc") & (totals["subject"] == code)]["value"]
        assert list(nation) == [pytest.approx(by_hand)], code


def test_an_altered_or_repeated_package_is_named_and_left_out(exports):
    root, folders, _ = exports
    altered = root / "sua"
    shutil.copytree(folders["Tỉnh Thử Hai"], altered)
    csv = next(altered.glob("*.csv"))
    text = csv.read_text(encoding="utf-8-sig").splitlines()
    fields = text[1].split(",")
    fields[12] = str(float(fields[12]) + 1000)  # a value changed after the export
    csv.write_text("\n".join([text[0], ",".join(fields), *text[2:]]) + "\n", encoding="utf-8-sig")
    done = run_cli("rollup", str(folders["Tỉnh Thử"]), str(folders["Tỉnh Thử"] / "datapackage.json"), str(altered),
                   "--out", str(root / "toan-quoc-2"))
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "Tổng hợp toàn quốc từ 1 gói số liệu: Tỉnh Thử."
    assert lines[1].startswith(f"Không tính gói {folders['Tỉnh Thử'] / 'datapackage.json'}: trùng với gói")
    assert lines[2] == (f"Không tính gói {altered / 'datapackage.json'}: tệp {csv.name} đã bị thay đổi sau khi xuất "
                        "(kích thước hoặc SHA-256 không khớp).")


@pytest.mark.slow
def test_text_that_starts_like_a_formula_stays_text_when_libreoffice_opens_the_csv(exports, tmp_path, soffice):
    """Issue 30, finding 11: sender-chosen names in the CSV (a file name, a sheet name) that begin with
    = + - @ or TAB are prefixed with an apostrophe; LibreOffice's CSV import then makes no formula of them."""
    root, _, _ = exports
    shutil.copytree(root / "tinh-mot", tmp_path / "tinh-mot")
    ledger_path = tmp_path / "tinh-mot" / "ledger.sqlite"
    hostile = ['=HYPERLINK("http://example.invalid","bam")', "+1+1", "-2+3", "@SUM(1)", "\t=1+1"]
    with sqlite3.connect(ledger_path) as db:
        ids = [r[0] for r in db.execute("SELECT id FROM submission ORDER BY id")]
        for record, name in zip(ids, hostile, strict=False):
            db.execute("UPDATE submission SET original_name = ? WHERE id = ?", (f"{name}.xlsx", record))
        db.execute("UPDATE value SET sheet = ? WHERE submission_id = ?", ("=1+2", ids[0]))
        db.execute("DELETE FROM chain")
        chain.build(db)  # chained anew: as if the files had come in with these names
    (tmp_path / "tinh-mot" / "ledger-backups" / "ledger.head.json").unlink()
    plan = load_plan(root / "tinh-mot" / "plan")
    with Ledger(ledger_path, tmp_path / "tinh-mot") as ledger:
        csv = write_export(plan, ledger, tmp_path / "xuat")[0]
    rows = list(csv_module.reader(csv.read_text(encoding="utf-8-sig").splitlines()))
    starts = {cell[:1] for row in rows[1:] for cell in row if cell}
    assert not starts & {"=", "+", "-", "@", "\t", "\r"}
    assert any(cell == "'=1+2" for row in rows for cell in row)
    assert any(cell.startswith("'=HYPERLINK(") for row in rows for cell in row)
    converted = libreoffice_convert(soffice, csv, tmp_path / "lo")
    sheet = openpyxl.load_workbook(converted).active
    formulas = [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []
    assert len(rows) - 1 == sheet.max_row - 1  # every row came through


def _copy(folders, root, name: str):
    target = root / name
    shutil.copytree(folders["Tỉnh Thử"], target)
    return target, json.loads((target / "datapackage.json").read_text(encoding="utf-8"))


def _rewritten(target, package, change_csv=None, change_package=None):
    """The package with its CSV changed and its size and hash made right again (an attacker's care)."""
    resource = package["resources"][0]
    csv_path = target / resource["path"]
    if change_csv is not None:
        csv_path.write_bytes(change_csv(csv_path.read_bytes()))
        data = csv_path.read_bytes()
        resource["bytes"], resource["hash"] = len(data), f"sha256:{hashlib.sha256(data).hexdigest()}"
    if change_package is not None:
        package = change_package(package)
    text = package if isinstance(package, str) else json.dumps(package, ensure_ascii=False)
    (target / "datapackage.json").write_text(text, encoding="utf-8")
    return target / "datapackage.json"


def _value_to(text: bytes):
    def change(data: bytes) -> bytes:
        head, first, *rest = data.split(b"\n")
        cells = first.split(b",")
        cells[12] = text
        return b"\n".join([head, b",".join(cells), *rest])
    return change


SHAPES = {
    "json-list": dict(change_package=lambda p: "[1, 2, 3]"),
    "resources-string": dict(change_package=lambda p: {**p, "resources": "so-lieu.csv"}),
    "resources-integer": dict(change_package=lambda p: {**p, "resources": 7}),
    "nesting-200000": dict(change_package=lambda p: '{"a":' * 200_000 + "1" + "}" * 200_000),
    "fields-strings": dict(change_package=lambda p: {**p, "resources": [{**p["resources"][0], "schema": {
        "fields": [c for c, _, _ in COLUMNS]}}]}),
    "value-nan": dict(change_csv=_value_to(b"nan")),
    "value-1e309": dict(change_csv=_value_to(b"1e309")),
    "value-text": dict(change_csv=_value_to(b"nhieu")),
    "value-negative": dict(change_csv=_value_to(b"-99999999")),
    "csv-without-plan": dict(change_csv=lambda d: d.replace(b"plan,", b"ke_hoach,", 1)),
}


@pytest.mark.parametrize("shape", SHAPES, ids=list(SHAPES))
def test_a_package_of_any_shape_is_refused_with_a_reason_never_a_traceback(exports, tmp_path, shape):
    """Issue 30, finding 9: ten package shapes that stopped rollup with a traceback."""
    _root, folders, _ = exports
    target, package = _copy(folders, tmp_path, shape)
    package_path = _rewritten(target, package, **SHAPES[shape])
    result = rollup([folders["Tỉnh Thử Hai"] / "datapackage.json", package_path])
    assert result.included == ["Tỉnh Thử Hai"]
    [(path, reason)] = result.refused
    assert path == str(package_path) and reason


def test_look_alike_provinces_and_the_national_name_are_not_counted_twice(exports, tmp_path):
    _root, folders, _ = exports
    packages = [folders["Tỉnh Thử"] / "datapackage.json"]
    for name, province in (("nfd", unicodedata.normalize("NFD", "Tỉnh Thử")), ("space", "Tỉnh Thử "),
                           ("nation", "Toàn quốc")):
        target, package = _copy(folders, tmp_path, name)
        packages.append(_rewritten(target, package, change_csv=lambda d, p=province: d.replace(
            "Tỉnh Thử".encode(), p.encode()), change_package=lambda pk, p=province: {**pk, "p8": {**pk["p8"],
                                                                                            "province": p}}))
    result = rollup(packages)
    assert result.included == ["Tỉnh Thử"]
    reasons = [reason for _, reason in result.refused]
    assert reasons[:2] == [f"trùng với gói {packages[0]} (cùng tỉnh hoặc cùng tệp): chỉ tính một lần"] * 2
    assert reasons[2] == "tên tỉnh «Toàn quốc» là tên dòng toàn quốc"


def test_a_linked_or_oversized_csv_is_refused_before_it_is_read(exports, tmp_path):
    _root, folders, _ = exports
    linked, package = _copy(folders, tmp_path, "linked")
    csv_path = linked / package["resources"][0]["path"]
    outside = tmp_path / "outside.csv"
    shutil.move(csv_path, outside)
    csv_path.symlink_to(outside)
    big, package_big = _copy(folders, tmp_path, "big")
    with (big / package_big["resources"][0]["path"]).open("r+b") as handle:
        handle.truncate(3 << 30)  # 3 GB, sparse: refused by its size, never read
    result = rollup([linked / "datapackage.json", big / "datapackage.json"])
    assert result.included == [] and len(result.refused) == 2
    assert "lớn hơn mức cho phép" in result.refused[1][1]


def test_the_export_speaks_vietnamese_to_people_and_keeps_machine_names(exports):
    """Issue 31, finding 9: the export's headers and values were English only (unit_level=district) and
    received_at mixed UTC without a zone with bare dates."""
    from pipeline.exchange.export import TITLES, in_vietnam_time

    _, folders, _ = exports
    folder = folders["Tỉnh Thử"]
    fields = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))["resources"][0]["schema"]["fields"]
    assert [(f["name"], f["title"]) for f in fields][:5] == [
        ("plan", "Kế hoạch"), ("province", "Tỉnh"), ("unit_code", "Mã đơn vị"), ("unit_name", "Đơn vị"),
        ("unit_level", "Cấp")]
    book = openpyxl.load_workbook(next(folder.glob("*.xlsx")), read_only=True)
    assert book.sheetnames == ["So lieu", "Số liệu (tiếng Việt)"]
    machine = list(book["So lieu"].iter_rows(values_only=True))
    people = list(book["Số liệu (tiếng Việt)"].iter_rows(values_only=True))
    assert list(machine[0]) == list(TITLES) and list(people[0]) == list(TITLES.values())
    assert len(people) == len(machine) > 10
    level, part = machine[0].index("unit_level"), machine[0].index("part")
    assert {row[level] for row in machine[1:]} >= {"district"} and {row[level] for row in people[1:]} >= {"huyện"}
    assert {row[part] for row in people[1:]} <= {"chỉ tiêu", "tỷ lệ", "kinh phí", "hoạt động", "câu hỏi"}
    # Moments in Vietnam's time with the zone; a run given a day keeps the day.
    assert in_vietnam_time("2024-09-12T02:15:00+00:00") == "2024-09-12T09:15:00+07:00"
    assert in_vietnam_time("2024-09-12T09:15:00+07:00") == "2024-09-12T09:15:00+07:00"
    assert in_vietnam_time("2024-09-05") == "2024-09-05"


def test_a_value_written_without_a_decimal_point_is_a_value():
    """A package whose every value was whole («12», not «12.0») was refused as «not a finite number»:
    pandas reads such a column as integers, and the check asked for floats."""
    from pipeline.exchange.rollup import _typed

    row = {c: "x" for c, _, _ in COLUMNS} | {"round_year": "2024", "record_id": "7"}
    frame = _typed(pd.DataFrame([row | {"value": "12"}, row | {"value": "3"}], dtype=str))
    assert list(frame["value"]) == [12.0, 3.0]
    with pytest.raises(ValueError, match="không phải số hữu hạn không âm"):
        _typed(pd.DataFrame([row | {"value": "12"}, row | {"value": "-3"}], dtype=str))

"""The plan folder reproduces the appendix of Kế hoạch 286/KH-UBND, and refuses broken copies."""

import csv
import json

import pytest

from pipeline.core.errors import PlanError
from pipeline.plan.loader import load_plan
from tests.support.helpers import run_cli

# The appendix, typed in again from the seed text, column by column, independently of plan/*.csv.
# Columns: villages, then the 11 indicators in the appendix's order.
APPENDIX = {
    "total": (1449, 800, 220, 134, 37, 70, 323, 136, 100, 44, 35, 117),
    "14": (None, 384, 106, 64, 18, 34, 155, 65, 48, 21, 17, 56),
    "districts": (None, 416, 114, 70, 19, 36, 168, 71, 52, 23, 18, 61),
    "121": (78, 22, 6, 5, 1, 3, 15, 5, 4, 1, 1, 3),  # Bắc Yên
    "125": (123, 36, 10, 7, 1, 4, 16, 8, 5, 2, 2, 6),  # Mai Sơn
    "123": (44, 13, 3, 3, 1, 3, 13, 3, 2, 1, 1, 3),  # Mộc Châu
    "120": (147, 42, 12, 8, 2, 3, 16, 8, 6, 2, 2, 6),  # Mường La
    "122": (100, 29, 8, 7, 2, 3, 15, 6, 4, 2, 2, 5),  # Phù Yên
    "118": (44, 13, 3, 3, 1, 3, 13, 3, 2, 1, 1, 3),  # Quỳnh Nhai
    "126": (310, 88, 24, 10, 3, 4, 17, 10, 8, 4, 3, 10),  # Sông Mã
    "127": (85, 24, 7, 5, 1, 3, 15, 5, 4, 2, 1, 4),  # Sốp Cộp
    "119": (310, 88, 24, 10, 3, 4, 17, 10, 8, 4, 3, 10),  # Thuận Châu
    "128": (96, 28, 8, 5, 2, 3, 15, 5, 4, 2, 1, 5),  # Vân Hồ
    "124": (112, 33, 9, 7, 2, 3, 16, 8, 5, 2, 1, 6),  # Yên Châu
}
UNIT_NAMES = {
    "14": "Cấp tỉnh", "118": "Quỳnh Nhai", "119": "Thuận Châu", "120": "Mường La", "121": "Bắc Yên",
    "122": "Phù Yên", "123": "Mộc Châu", "124": "Yên Châu", "125": "Mai Sơn", "126": "Sông Mã",
    "127": "Sốp Cộp", "128": "Vân Hồ",
}
WINDOWS = ["2022-2024", "2023-2024", "2023-2024", "2022-2024", "2022-2023", "2023 và 2025",
           "2023-2024", "2022-2025", "2022-2023", "2022-2023", "2022-2024"]


@pytest.fixture(scope="module")
def plan_json():
    result = run_cli("plan", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_plan_json_reproduces_every_appendix_number(plan_json):
    appendix_codes = [i["code"] for i in plan_json["indicators"] if i["kind"] != "ratio"]
    assert len(appendix_codes) == 11
    for unit in (u for u in plan_json["units"] if u["level"] in ("province", "district")):
        expected = APPENDIX[unit["code"]]
        assert unit["villages"] == expected[0]
        assert [plan_json["targets"][unit["code"]][c] for c in appendix_codes] == list(expected[1:])
    assert [plan_json["totals"]["total"][c] for c in appendix_codes] == list(APPENDIX["total"][1:])
    assert [plan_json["totals"]["districts"][c] for c in appendix_codes] == list(APPENDIX["districts"][1:])
    assert plan_json["total_villages"] == 1449


def test_plan_json_units_names_and_codes(plan_json):
    appendix = {u["code"]: u["name"] for u in plan_json["units"] if u["level"] in ("province", "district")}
    assert appendix == UNIT_NAMES
    assert plan_json["units"][0]["code"] == "14"
    assert all(u["valid_to"] == "2025-07-01" for u in plan_json["units"] if u["level"] == "district")
    communes = [u for u in plan_json["units"] if u["level"] == "commune"]
    assert len(communes) == 75 and all(u["valid_from"] == "2025-07-01" for u in communes)
    assert not any(u["code"] in plan_json["targets"] for u in communes)  # no target, rather than 0
    assert len(plan_json["formed_from"]) == 200


def test_plan_json_indicators_in_appendix_order(plan_json):
    indicators = plan_json["indicators"]
    assert [i["kind"] for i in indicators] == ["stock"] * 5 + ["flow", "stock"] + ["flow"] * 4 + ["ratio"] * 4
    assert [i["group"] for i in indicators[:11]] == ["2.1"] + ["2.2"] * 4 + ["2.3"] * 4 + ["2.4"] * 2
    assert [i["window"] for i in indicators[:11]] == WINDOWS
    assert indicators[0]["name"] == "Thành lập và duy trì tổ truyền thông cộng đồng"
    assert indicators[0]["unit"] == "tổ"
    ratios = {i["code"]: i for i in indicators[11:]}
    assert sorted(r["target_percent"] for r in ratios.values()) == [15, 15, 80, 100]
    assert all(r["unit"] == "%" and r["numerator"] and r["denominator"] for r in ratios.values())


def test_plan_json_rounds(plan_json):
    rounds = {r["id"]: r for r in plan_json["rounds"]}
    assert list(rounds) == ["2022-update", "2023-annual", "2023-update", "2024-annual", "2024-update",
                            "2025-annual", "2025-update"]
    assert rounds["2024-annual"]["district_deadline"] == "2024-09-10"
    assert rounds["2024-annual"]["province_deadline"] == "2024-09-20"
    assert rounds["2024-update"]["district_deadline"] == "2025-01-25"
    assert rounds["2024-update"]["province_deadline"] == "2025-02-05"


def test_plan_table_is_readable():
    result = run_cli("plan")
    assert result.returncode == 0
    assert "Kế hoạch số 286/KH-UBND" in result.stdout
    assert "Quỳnh Nhai" in result.stdout and "2025-update" in result.stdout


def _edit_csv(path, key_column, key, column, value):
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    fields = list(rows[0])
    for row in rows:
        if row[key_column] == key:
            row[column] = value
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fields)
        writer.writeheader()
        writer.writerows(rows)


def test_district_target_changed_is_refused_naming_indicator_and_sums(plan_copy):
    _edit_csv(plan_copy / "targets.csv", "unit", "121", "policy_dialogues", "16")
    with pytest.raises(PlanError) as error:
        load_plan(plan_copy)
    message = str(error.value)
    assert "policy_dialogues" in message
    assert "169" in message and "168" in message


def test_province_target_changed_is_refused(plan_copy):
    _edit_csv(plan_copy / "targets.csv", "unit", "14", "comm_groups", "380")
    with pytest.raises(PlanError, match=r"comm_groups.*cấp tỉnh 380 \+ các huyện 416 = 796.*800"):
        load_plan(plan_copy)


def test_cli_refuses_broken_plan_with_exit_2(plan_copy):
    _edit_csv(plan_copy / "targets.csv", "unit", "126", "leader_clubs", "11")
    result = run_cli("--plan-dir", str(plan_copy), "plan", "--json")
    assert result.returncode == 2
    assert "leader_clubs" in result.stderr and "72" in result.stderr and "71" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("file", "key_column", "key", "column", "value", "expected"),
    [
        ("units.csv", "code", "121", "villages", "79", r"số bản của các huyện cộng lại là 1450.*1449"),
        ("units.csv", "code", "121", "code", "118", r"code «118» bị lặp"),
        ("units.csv", "code", "121", "level", "ward", r"level.*«ward»"),
        ("targets.csv", "unit", "121", "unit", "999", r"không có unit «999»"),
        ("targets.csv", "unit", "121", "savings_groups", "abc", r"targets.csv, dòng 3.*số nguyên.*«abc»"),
        ("indicators.csv", "code", "comm_groups", "kind", "sum", r"kind.*«sum»"),
        ("indicators.csv", "code", "comm_groups", "group", "2.9", r"group.*«2.9»"),
        ("indicators.csv", "code", "savings_groups", "code", "comm_groups", r"«comm_groups» bị lặp"),
        ("rounds.csv", "id", "2024-annual", "district_deadline", "2024-09-31", r"NNNN-TT-NN.*2024-09-31"),
        ("rounds.csv", "id", "2024-annual", "id", "2024-annual-x", r"id phải là «2024-annual»"),
        ("ratios.csv", "code", "savings_members_finance", "target_percent", "150", r"phải từ 1 đến 100"),
    ],
)
def test_broken_plan_copies_are_refused(plan_copy, file, key_column, key, column, value, expected):
    _edit_csv(plan_copy / file, key_column, key, column, value)
    with pytest.raises(PlanError, match=expected):
        load_plan(plan_copy)


def test_missing_unit_row_in_targets_is_refused(plan_copy):
    path = plan_copy / "targets.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(line for line in lines if not line.startswith("128,")), encoding="utf-8")
    with pytest.raises(PlanError, match=r"thiếu dòng của unit 128"):
        load_plan(plan_copy)


def test_excel_saved_csv_with_byte_order_mark_loads(plan_copy):
    path = plan_copy / "units.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert load_plan(plan_copy).unit("121").name == "Bắc Yên"

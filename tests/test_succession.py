"""Units that change: the 2024 rounds come from three districts, the 2025 rounds from the four
communes that succeed them (tests/support/plan_seven.py SUCCESSION). Templates go to the right units, the
figures by former district and by commune equal a computation written out here, and the reports say
what changed."""

from datetime import date

import openpyxl
import pytest
from docx import Document

from pipeline.app.queries import carried_figures
from pipeline.app.runner import run
from pipeline.app.samples import fill_template, sample_values
from pipeline.core.errors import PlanError
from pipeline.core.locations import Paths
from pipeline.plan.loader import load_plan
from pipeline.templates.writer import write_templates
from tests.support import plan_seven
from tests.support.helpers import ROOT, read_file
from tests.support.report_text import all_text

pytestmark = pytest.mark.integration

DAYS = {"2024-annual": date(2024, 9, 5), "2024-update": date(2025, 1, 20), "2025-annual": date(2025, 9, 5),
        "2025-update": date(2026, 1, 20)}
FORMER = {"X1": "D1", "X2": "D1", "X3": "D2", "X4": "D3"}


@pytest.fixture(scope="module")
def reform(tmp_path_factory):
    root = tmp_path_factory.mktemp("reform")
    plan_dir = plan_seven.write_succession(root / "plan")
    plan = load_plan(plan_dir)
    paths = Paths.beside_outbox(root / "inbox", root / "outbox")
    typed, sent = {}, {}
    for rnd in plan.rounds:
        sent[rnd.id] = [t.name for t in plan_seven.send_round(plan, paths, root / "templates", rnd, typed)]
        strays = {"2025-annual": "D2", "2024-update": "X3"}  # a replaced district; a commune too early
        if rnd.id in strays:
            unit = plan.unit(strays[rnd.id])
            stray = write_templates(plan, rnd, root / "stray", [unit])[0]
            fill_template(stray, paths.inbox / stray.name, sample_values(plan, rnd, unit, with_previous=True))
        report = run(paths, plan_dir, today=DAYS[rnd.id])
        typed[rnd.id, "outcomes"] = {o.record.unit: o for o in report.outcomes}
    first_commune_round = carried_figures(plan, paths.ledger, paths.home, plan.round("2025-annual"))
    return plan, root / "outbox", typed, sent, first_commune_round


def _own(plan, typed, code, indicator, through):
    """A unit's own cumulative figure through round `through`, from what it typed."""
    years, before = {}, None
    for round_id in ("2024-annual", "2024-update", "2025-annual", "2025-update"):
        values = typed.get((round_id, code))
        if values is not None:
            measure = "estimate" if round_id.endswith("annual") else "actual"
            years[int(round_id[:4])] = values[f"in_{indicator.code}_{measure}"]
            before = values.get(f"in_{indicator.code}_previous", before)
        if round_id == through:
            break
    if not years:
        return None
    return years[max(years)] if indicator.kind == "stock" else (before or 0) + sum(years.values())


def _line(plan, typed, district, indicator, through):
    own = _own(plan, typed, district, indicator, through)
    parts = [f for c, d in FORMER.items() if d == district
             if (f := _own(plan, typed, c, indicator, through)) is not None]
    if indicator.kind == "stock":
        return sum(parts) if parts else own
    return (own or 0) + sum(parts)


def test_templates_go_to_the_units_of_each_round(reform):
    _, _, _, sent, carried = reform
    assert sorted(n.split("_")[1] for n in sent["2024-annual"]) == ["D1", "D2", "D3", "P"]
    assert sorted(n.split("_")[1] for n in sent["2025-annual"]) == ["P", "X1", "X2", "X3", "X4"]
    assert set(carried["X1"].values()) == {0}  # a commune starts from nothing; its district keeps the past


def test_a_replaced_district_is_told_who_reports_now(reform):
    _, _, typed, _, _ = reform
    outcome = typed["2025-annual", "outcomes"]["D2"]
    assert outcome.record.status == "rejected"
    assert any("Huyện Hai không phải là đơn vị báo cáo của kỳ «Báo cáo kết quả năm 2025» (thay đổi từ ngày "
               "01/07/2025). Số liệu của kỳ này do Xã Hai báo cáo" in f.message for f in outcome.findings)
    early = typed["2024-update", "outcomes"]["X3"]
    assert early.record.status == "rejected"
    assert any("Xã Hai không phải là đơn vị báo cáo của kỳ «Cập nhật số liệu cả năm 2024» (thay đổi từ ngày "
               "01/07/2025). Số liệu của kỳ này do Huyện Hai báo cáo" in f.message for f in early.findings)


@pytest.mark.parametrize("round_id", ["2025-annual", "2025-update"])
def test_figures_by_former_district_and_by_commune(reform, round_id):
    plan, outbox, typed, _, _ = reform
    book = openpyxl.load_workbook(outbox / round_id / f"tong-hop_{round_id}.xlsx", data_only=True)
    summary, communes = book["Tổng hợp"], book["Theo đơn vị mới"]
    rows = {summary.cell(r, 2).value: r for r in range(6, 12)}
    commune_rows = {communes.cell(r, 1).value: r for r in range(6, 12) if communes.cell(r, 1).value}
    assert sorted(commune_rows) == ["X1", "X2", "X3", "X4"]
    for k, indicator in enumerate(plan.indicators):
        col = 5 + 4 * k
        total = _own(plan, typed, "P", indicator, round_id)
        for district in ("D1", "D2", "D3"):
            expected = _line(plan, typed, district, indicator, round_id)
            assert summary.cell(rows[plan.unit(district).name], col + 2).value == expected, (district, indicator.code)
            total += expected
        assert summary.cell(rows["Tổng cộng"], col + 2).value == total, indicator.code
        for code, row in commune_rows.items():
            assert communes.cell(row, 3).value == plan.unit(FORMER[code]).name
            assert communes.cell(row, 6 + 4 * k).value == _own(plan, typed, code, indicator, round_id)
        x1 = commune_rows["X1"]
        assert communes.cell(x1, 7 + 4 * k).value == 1  # its own target
        assert communes.cell(x1, 8 + 4 * k).value == pytest.approx(_own(plan, typed, "X1", indicator, round_id))


def test_the_report_names_the_change(reform):
    _, outbox, _, _, _ = reform
    text = all_text(Document(outbox / "2025-annual" / "bao-cao_2025-annual.docx"))
    assert "5/5 đơn vị (cấp tỉnh và 4 xã, phường) đã gửi báo cáo được tiếp nhận" in text
    assert ("Từ ngày 01/07/2025, 3 huyện (Huyện Một, Huyện Hai và Huyện Ba) được thay bằng 4 xã, phường: 4 xã, "
            "phường kế tục các huyện cũ. Số liệu theo huyện cũ (theo phân bổ chỉ tiêu của Kế hoạch) gồm số liệu "
            "các huyện đã báo cáo trước ngày "
            "này và số liệu các xã, phường kế tục từ ngày này") in text
    assert "Số liệu trong báo cáo là số liệu kỳ này của đủ 5/5 đơn vị." in text
    commune = all_text(Document(outbox / "2025-annual" / "xa" / "bao-cao_2025-annual_X3_xa-hai.docx"))
    assert "HỘI LHPN XÃ\u00a0HAI" in commune and "năm 2025 trên địa bàn xã Hai" in commune
    assert "- Hội Liên hiệp Phụ nữ tỉnh Thử (b/c);\n- UBND xã Hai (b/c);" in commune and "Sơn La" not in commune
    assert sorted(p.name for p in (outbox / "2025-annual").iterdir() if p.is_dir()) == ["feedback", "xa"]
    old = all_text(Document(outbox / "2024-update" / "bao-cao_2024-update.docx"))
    assert "được thay bằng" not in old and "cấp tỉnh và 3 huyện" in old


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("2025-07-01,,D1\n", "2025-07-01,,D9\n", "kế tục đơn vị «D9», nhưng không có đơn vị mã đó"),
    ("X2,commune,Xã Một Tây,xa-mot-tay,,,2025-07-01", "X2,commune,Xã Một Tây,xa-mot-tay,,,2025-08-01",
     "valid_from của nó phải bằng valid_to của D1"),
])
def test_a_succession_that_does_not_add_up_is_refused(tmp_path, old, new, expected):
    from pipeline.core.errors import PlanError

    folder = plan_seven.write_succession(tmp_path / "plan")
    units = folder / "units.csv"
    text = units.read_text(encoding="utf-8")
    assert old in text
    units.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(PlanError, match=expected):
        load_plan(folder)


def test_the_bundled_plan_goes_from_11_districts_to_75_communes_on_1_july_2025(plan):
    """The reform as data: Nghị quyết 1681/NQ-UBTVQH15 and the codes of Quyết định 19/2025/QĐ-TTg, read
    here from ../shared/data, never from the plan folder itself."""
    import csv

    shared = list(csv.DictReader((ROOT.parent / "shared" / "data" / "son-la-communes-2025.csv").open(encoding="utf-8")))
    official = {r["code"]: f"{r['kind'].capitalize()} {r['name']}" for r in shared}
    before, after = plan.round("2024-update"), plan.round("2025-annual")
    assert [u.level for u in plan.units_for(before)] == ["province"] + ["district"] * 11
    communes = [u for u in plan.units_for(after) if u.level == "commune"]
    assert {u.code: u.name for u in communes} == official and len(official) == 75
    assert [u.code for u in plan.units_for(after) if u.level != "commune"] == ["14"]
    assert sum(u.kind == "phường" for u in communes) == 8 and sum(u.kind == "xã" for u in communes) == 67
    chieng_son = plan.unit("03985")
    assert chieng_son.former == ("123", "128") and chieng_son.shares == (("123", 100),)
    assert chieng_son not in plan.successors("128")
    assert [u.code for u in plan.outside_allocation] == ["03646", "03664", "03670", "03679"]
    # Every commune but the four wards continues a district; each former commune is kept for traceability.
    assert sorted(u.code for u in communes if not u.former) == ["03646", "03664", "03670", "03679"]
    assert len(plan.formed_from) == 200 and {f.code for f in plan.formed_from} == set(official)


def test_a_successor_of_two_districts_must_say_where_its_figures_count(plan_copy):
    import re

    units = plan_copy / "units.csv"
    text = units.read_text(encoding="utf-8")
    units.write_text(re.sub(r"^(03985,.*,123;128),123,", r"\1,,", text, flags=re.M), encoding="utf-8")
    with pytest.raises(PlanError, match=r"kế tục 2 đơn vị cũ \(123, 128\); cột «attribution»"):
        load_plan(plan_copy)
    units.write_text(re.sub(r"^(03985,.*,123;128),123,", r"\1,123:60;128:30,", text, flags=re.M), encoding="utf-8")
    with pytest.raises(PlanError, match="cộng lại được 90%, phải đúng 100%"):
        load_plan(plan_copy)
    units.write_text(re.sub(r"^(03985,.*,123;128),123,", r"\1,123:60;128:40,", text, flags=re.M), encoding="utf-8")
    plan = load_plan(plan_copy)
    assert plan.unit("03985").shares == (("123", 60), ("128", 40))
    assert plan.unit("03985") in plan.successors("128")


def test_the_officer_leaves_a_unit_out_of_the_rounds(plan_copy, rules):
    import re

    units = plan_copy / "units.csv"
    units.write_text(re.sub(r"^(03679,.*),$", r"\1,không", units.read_text(encoding="utf-8"), flags=re.M),
                     encoding="utf-8")
    plan = load_plan(plan_copy)
    rnd = plan.round("2025-annual")
    assert "03679" not in [u.code for u in plan.units_for(rnd)] and len(plan.units_for(rnd)) == 75
    assert [u.code for u in plan.left_out(rnd)] == ["03679"]
    template = write_templates(plan, rnd, plan_copy.parent / "t", [plan.unit("03679")])[0]
    fill_template(template, template, sample_values(plan, rnd, plan.unit("03679"), with_previous=True))
    found = read_file(template, plan, rules, received=date(2025, 9, 1))
    assert [f.code for f in found.findings if f.severity == "error"] == ["unit-left-out"]
    assert "Phường Chiềng Sinh không phải gửi báo cáo kỳ «Báo cáo kết quả năm 2025»" in found.findings[0].message
    from pipeline.figures.report_figures import Coverage
    from pipeline.reports.sentences import coverage_sentence

    cover = Coverage(list(plan.units_for(rnd)), [], [], list(plan.left_out(rnd)))
    assert coverage_sentence(rnd, cover) == (
        "Số liệu trong báo cáo là số liệu kỳ này của đủ 75/75 đơn vị. Theo danh sách đơn vị của kế hoạch, "
        "Phường Chiềng Sinh không phải báo cáo kỳ này và không được tính.")


def test_shares_split_a_figure_into_whole_numbers_that_add_up_to_it():
    from pipeline.figures.consolidate import apportion

    assert apportion(7, (("123", 60), ("128", 40))) == {"123": 4, "128": 3}  # 4.2 and 2.8: the .8 gets the 1
    assert apportion(1, (("123", 50), ("128", 50))) == {"123": 1, "128": 0}  # a tie: the first listed
    for value in range(0, 40):
        assert sum(apportion(value, (("a", 33), ("b", 33), ("c", 34))).values()) == value


def test_an_area_whose_units_all_ended_is_written_without_a_rate(tmp_path):
    """An area with no unit in the round (its district ended, none succeeds it) used to stop the
    run with a division by zero while writing its workbook's «Tình hình nộp báo cáo»."""
    import csv

    plan_dir = plan_seven.write_succession(tmp_path / "plan")
    units = plan_dir / "units.csv"
    rows = [r for r in csv.DictReader(units.open(encoding="utf-8")) if r["code"] != "X4"]
    areas = {"D1": "Vùng Một", "X1": "Vùng Một", "X2": "Vùng Một", "D2": "Vùng Hai", "X3": "Vùng Hai",
             "D3": "Vùng Ba"}
    with units.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, [*rows[0], "area"])
        writer.writeheader()
        writer.writerows({**row, "area": areas.get(row["code"], "")} for row in rows)
    plan = load_plan(plan_dir)
    paths = Paths.beside_outbox(tmp_path / "inbox", tmp_path / "outbox")
    plan_seven.send_round(plan, paths, tmp_path / "templates", plan.round("2025-annual"), {})

    report = run(paths, plan_dir, today=DAYS["2025-annual"])

    assert sorted(o.record.unit for o in report.outcomes if o.record.status == "accepted") == ["P", "X1", "X2", "X3"]
    book = openpyxl.load_workbook(tmp_path / "outbox" / "2025-annual" / "khu-vuc" / "tong-hop_2025-annual_vung-ba.xlsx")
    rates = [r[1:4] for r in book["Tình hình nộp báo cáo"].iter_rows(values_only=True) if r[1] and "Tỷ lệ" in r[1]]
    assert rates == [("Tỷ lệ đơn vị đã báo cáo", "–", "không có đơn vị báo cáo trong kỳ này"),
                     ("Tỷ lệ đơn vị báo cáo đúng hạn", "–", "không có đơn vị báo cáo trong kỳ này"),
                     ("Tỷ lệ đơn vị đã gửi tệp (kể cả tệp bị trả lại)", "–", "không có đơn vị báo cáo trong kỳ này")]
    summary = openpyxl.load_workbook(tmp_path / "outbox" / "2025-annual" / "tong-hop_2025-annual.xlsx")["Tổng hợp"]
    basis = {r[1]: r[3] for r in summary.iter_rows(min_row=6, values_only=True) if r[1] and r[3]}
    assert basis["Vùng Ba"] == "Chưa báo cáo; không có đơn vị báo cáo kỳ này"
    assert basis["Vùng Một"] == "Ước tính; 2/2 đơn vị báo cáo kỳ này"


def test_a_former_district_s_basis_counts_its_successors_that_reported(reform):
    """«Căn cứ số liệu» of a district that ended said «chưa báo cáo kỳ này» although its communes,
    who report in its place, had reported."""
    _plan, outbox, *_ = reform
    sheet = openpyxl.load_workbook(outbox / "2025-annual" / "tong-hop_2025-annual.xlsx")["Tổng hợp"]
    basis = {r[1]: r[3] for r in sheet.iter_rows(min_row=6, values_only=True) if r[1] and r[3]}
    assert basis["Huyện Một"] == "Ước tính; 2/2 đơn vị kế tục báo cáo kỳ này"
    assert basis["Huyện Hai"] == "Ước tính; 1/1 đơn vị kế tục báo cáo kỳ này"
    assert basis["Cấp tỉnh"] == "Ước tính"  # a unit that reported itself


def test_the_templates_command_writes_76_templates_for_2025_and_11_plus_1_for_2024(tmp_path):
    """The acceptance of the reform, through the command the officer types."""
    from tests.support.helpers import run_cli

    for round_id, count in (("2025-annual", 76), ("2024-update", 12)):
        out = tmp_path / "templates"
        done = run_cli("templates", "--round", round_id, "--out", str(out), "--ledger", str(tmp_path / "l.sqlite"))
        assert done.returncode == 0, done.stderr
        written = sorted((out / round_id).glob("*.xlsx"))
        assert len(written) == count
        codes = {openpyxl.load_workbook(p, read_only=True)["p8_meta"]["B3"].value for p in written}
        plan = load_plan()
        assert codes == {u.code for u in plan.units_for(plan.round(round_id))}
        levels = {u.level for u in plan.units_for(plan.round(round_id))}
        assert levels == ({"province", "commune"} if round_id == "2025-annual" else {"province", "district"})


def _send_reform(plan, plan_dir, root):
    """2024-annual from the districts, 2025-annual from the province level and every commune."""
    paths = Paths.beside_outbox(root / "inbox", root / "outbox")
    for round_id, day in (("2024-annual", date(2024, 9, 5)), ("2025-annual", date(2025, 9, 5))):
        rnd = plan.round(round_id)
        carried = carried_figures(plan, paths.ledger, paths.home, rnd)
        for unit, template in zip(plan.units_for(rnd), write_templates(plan, rnd, root / "t", carried=carried),
                                  strict=True):
            fill_template(template, paths.inbox / template.name,
                          sample_values(plan, rnd, unit, with_previous=not carried.get(unit.code)))
        run(paths, plan_dir, today=day)
    return paths


def test_shares_split_chieng_son_between_its_two_districts_and_the_total_keeps_every_unit(plan_copy, tmp_path):
    """Xã Chiềng Sơn at 60% Mộc Châu, 40% Vân Hồ: each district's line takes its share in whole numbers,
    the two shares add up to the commune's own figure, and «Tổng cộng» is what it is with the default."""
    import re

    from pipeline.app.rebuild import consolidation
    from pipeline.figures.consolidate import apportion, total_progress
    from pipeline.ledger.store import Ledger

    default = load_plan(plan_copy)
    units = plan_copy / "units.csv"
    units.write_text(re.sub(r"^(03985,.*,123;128),123,", r"\1,123:60;128:40,", units.read_text(encoding="utf-8"),
                            flags=re.M), encoding="utf-8")
    shared = load_plan(plan_copy)
    paths = _send_reform(shared, plan_copy, tmp_path)
    rnd = shared.round("2025-annual")
    with Ledger(paths.ledger, paths.home) as ledger:
        split, whole = consolidation(shared, ledger, rnd), consolidation(default, ledger, rnd)
    for indicator in shared.indicators:
        code = indicator.code
        own = split.own_progress("03985")[code].cumulative
        parts = apportion(own, (("123", 60), ("128", 40)))
        assert parts["123"] + parts["128"] == own
        moc_chau = whole.progress["123"][code].cumulative
        van_ho = whole.progress["128"][code].cumulative
        # flows and stocks alike (every commune reported): the default counted all of it toward Mộc Châu
        assert split.progress["123"][code].cumulative == moc_chau - own + parts["123"]
        assert split.progress["128"][code].cumulative == van_ho + parts["128"]
        assert (total_progress(split, list(shared.lines_for(rnd)), code)
                == total_progress(whole, list(default.lines_for(rnd)), code)), code
    text = all_text(Document(paths.outbox / "2025-annual" / "bao-cao_2025-annual.docx"))
    assert ("Xã Chiềng Sơn hình thành từ địa bàn của Mộc Châu và Vân Hồ, số liệu tính cho Mộc Châu (60%) và "
            "Vân Hồ (40%)") in text


def test_a_template_of_another_period_of_the_same_code_is_refused(tmp_path, plan, rules):
    """03985 was a commune of Mộc Châu before 1/7/2025 and is Xã Chiềng Sơn since: a code alone does not
    name a unit."""
    template = write_templates(plan, plan.round("2025-annual"), tmp_path, [plan.unit("03985")])[0]
    values = sample_values(plan, plan.round("2025-annual"), plan.unit("03985"), with_previous=True)
    fill_template(template, template, values)
    found = read_file(template, plan, rules, received=date(2025, 9, 1))
    assert not [f for f in found.findings if f.severity == "error"]
    book = openpyxl.load_workbook(template)
    book["p8_meta"]["B6"] = "2019-01-01"
    book.save(tmp_path / "other-period.xlsx")
    found = read_file(tmp_path / "other-period.xlsx", plan, rules, received=date(2025, 9, 1))
    assert [f.code for f in found.findings] == ["unit-period-other"]
    assert "mã 03985 hiện là của Xã Chiềng Sơn (có từ 01/07/2025)" in found.findings[0].message

"""An ad-hoc, thematic round defined as data (tests/support/plan_seven.py, ADHOC): two of the plan's
indicators, one activity and five questions of every kind. It flows through templates, ingest and
feedback, its own workbook and report, and leaves the annual figures alone."""

import json
import subprocess
from datetime import date

import openpyxl
import pytest
from docx import Document

from pipeline.app.rebuild import consolidation
from pipeline.app.runner import run
from pipeline.app.samples import fill_template, sample_values
from pipeline.core.errors import PlanError
from pipeline.core.locations import Paths
from pipeline.core.vietnamese import format_number
from pipeline.intake.feedback import note_path
from pipeline.ledger.store import Ledger
from pipeline.plan import form
from pipeline.plan.loader import load_plan
from pipeline.templates.writer import write_templates
from pipeline.validation.book import RuleBook
from pipeline.validation.evaluate import evaluate
from tests.support import plan_seven
from tests.support.helpers import LO_FILL, ROOT, read_file

pytestmark = pytest.mark.integration

ADHOC = plan_seven.ADHOC_ID
RUN_DAY = date(2024, 6, 25)


def _answer(code: str) -> str:
    return f"in_q_{code}_answer"


@pytest.fixture(scope="module")
def adhoc(tmp_path_factory):
    """Huyện Một first sends a wrong file, then a corrected one; Huyện Ba never answers; then the
    2024 annual round follows on the same ledger."""
    root = tmp_path_factory.mktemp("adhoc")
    plan_dir = plan_seven.write_with_adhoc(root / "plan")
    plan = load_plan(plan_dir)
    rnd = plan.round(ADHOC)
    paths = Paths.beside_outbox(root / "inbox", root / "outbox")
    templates = write_templates(plan, rnd, root / "templates")
    typed = {u.code: sample_values(plan, rnd, u) for u in plan.units_for(rnd) if u.code != "D3"}
    wrong = dict(typed["D1"], **{_answer("victims"): -3, _answer("hotline"): "Chắc chắn"})
    del wrong[_answer("support")]
    by_unit = {t.name.split("_")[1]: t for t in templates}
    fill_template(by_unit["D1"], paths.inbox / by_unit["D1"].name, wrong)
    for code in ("P", "D2"):
        fill_template(by_unit[code], paths.inbox / by_unit[code].name, typed[code])
    first = run(paths, plan_dir, today=RUN_DAY)
    fill_template(by_unit["D1"], paths.inbox / by_unit["D1"].name, typed["D1"])
    second = run(paths, plan_dir, today=RUN_DAY)
    annual: dict = {}
    plan_seven.send_round(plan, paths, root / "templates", plan.round("2024-annual"), annual)
    run(paths, plan_dir, today=date(2024, 9, 5))
    return plan, plan_dir, paths, templates, typed, first, second, annual


def test_the_plan_lists_the_adhoc_round_with_what_it_asks(adhoc):
    plan = adhoc[0]
    rnd = plan.round(ADHOC)
    assert [r.id for r in plan.all_rounds] == [ADHOC, "2024-annual", "2024-update"]
    assert [r.id for r in plan.rounds] == ["2024-annual", "2024-update"]
    assert (rnd.kind, rnd.indicators, rnd.activities) == ("adhoc", ("i2", "i5"), ("contest",))
    assert [(q.no, q.code, q.kind, q.required) for q in rnd.questions] == [
        (1, "victims", "count", True), (2, "support", "money", True), (3, "hotline", "yesno", True),
        (4, "hotline_day", "date", False), (5, "model", "text", False)]


@pytest.mark.parametrize(("row", "questions", "message"), [
    ("cd-2024,2024,adhoc,2024-06-01,2024-06-30,2024-07-05,Tên,i2,", "",
     "id của kỳ adhoc bắt đầu bằng năm của kỳ"),
    ("2024-cd,2024,adhoc,2024-06-01,2024-06-30,2024-07-05,Tên,i9,", "", "ghi chỉ tiêu không có: i9"),
    ("2024-cd,2024,adhoc,2024-06-01,2024-06-30,2024-07-05,,i2,", "", "kỳ adhoc cần có tên"),
    ("2024-cd,2024,adhoc,2024-06-01,2024-06-30,2024-07-05,Tên,,", "", "kỳ adhoc 2024-cd chưa hỏi gì"),
    ("2024-cd,2024,adhoc,2024-06-01,2024-06-30,2024-07-05,Tên,i2,",
     "2024-khac,q1,Câu?,count,,", "«2024-khac» không phải là kỳ adhoc nào"),
    ("2024-cd,2024,adhoc,2024-06-01,2024-06-30,2024-07-05,Tên,i2,",
     "2024-cd,q1,Câu?,number,,", "cột «kind» đang ghi «number»"),
])
def test_a_wrong_adhoc_round_is_refused_with_the_line_to_fix(tmp_path, row, questions, message):
    folder = plan_seven.write_with_adhoc(tmp_path / "plan")
    lines = plan_seven.ADHOC["rounds.csv"].splitlines()
    (folder / "rounds.csv").write_text("\n".join([*lines[:3], row]) + "\n", encoding="utf-8")
    (folder / "questions.csv").write_text("round,code,question,kind,unit,required\n" + questions + "\n",
                                          encoding="utf-8")
    if not questions:
        (folder / "questions.csv").unlink()
    with pytest.raises(PlanError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_plan(folder)


def test_templates_ask_exactly_what_the_round_asks(adhoc):
    plan, _, _, templates, *_ = adhoc
    assert [t.name for t in templates] == [f"{ADHOC}_{code}_{slug}.xlsx" for code, slug in
                                           (("P", "cap-tinh"), ("D1", "huyen-mot"), ("D2", "huyen-hai"),
                                            ("D3", "huyen-ba"))]
    book = openpyxl.load_workbook(templates[1])
    assert book.sheetnames == ["Hướng dẫn", "Chỉ tiêu", "Câu hỏi", "Hoạt động", "Thuyết minh", "Kiểm tra", "p8_meta"]
    inputs = {n for n in book.defined_names if n.startswith("in_")}
    assert inputs == {"in_i2_ytd", "in_i2_note", "in_i5_ytd", "in_i5_note",
                      *(_answer(q.code) for q in plan.round(ADHOC).questions),
                      "in_act_contest_done", "in_act_contest_participants", "in_act_contest_note",
                      "in_highlights_text", "in_difficulties_text", "in_proposals_text", "in_preparer_text",
                      "in_phone_text", "in_report_date"}
    questions = book["Câu hỏi"]
    assert [[c.value for c in row] for row in questions["A5:C7"]] == [
        [1, "Số nạn nhân bạo lực gia đình được hỗ trợ", "Số nguyên ≥ 0 (người); bắt buộc"],
        [2, "Kinh phí đã hỗ trợ nạn nhân", "Số ≥ 0 (triệu đồng); bắt buộc"],
        [3, "Đơn vị đã công bố số điện thoại đường dây nóng chưa?", "Chọn Có hoặc Không; bắt buộc"]]
    assert questions.protection.sheet and not questions["D5"].protection.locked
    indicators = book["Chỉ tiêu"]
    assert [[c.value for c in row] for row in indicators["A5:D6"]] == [[2, "Chỉ tiêu hai", "cuộc", 2],
                                                                       [5, "Chỉ tiêu năm", "người", 5]]
    guide = [c.value for c in book["Hướng dẫn"]["B"] if c.value]
    assert "Hạn gửi báo cáo về Hội Liên hiệp Phụ nữ tỉnh Thử: ngày 30/06/2024." in guide


def test_a_wrong_answer_is_returned_naming_the_question_and_its_cell(adhoc):
    first = adhoc[5]
    wrong = next(o for o in first.outcomes if o.record.unit == "D1")
    assert wrong.record.status == "rejected"
    found = {(f.code, f.sheet, f.cell) for f in wrong.findings}
    assert found == {("value-negative", "Câu hỏi", "D5"), ("answer-missing", "Câu hỏi", "D6"),
                     ("value-not-yes-no", "Câu hỏi", "D7")}
    message = next(f.message for f in wrong.findings if f.code == "value-not-yes-no")
    assert message == ("Ô D7 (trang «Câu hỏi», Câu 3. Đơn vị đã công bố số điện thoại đường dây nóng chưa?) cần "
                       "ghi «Có» hoặc «Không», đang ghi «Chắc chắn». Vui lòng chọn trong danh sách của ô.")
    assert all(o.record.status.startswith("accepted") for o in adhoc[6].outcomes)
    letter = note_path(adhoc[2].outbox, wrong.record).read_text(encoding="utf-8")
    assert letter.startswith("Kính gửi: Hội LHPN huyện Một\n")
    assert "cho kỳ «Báo cáo chuyên đề phòng, chống bạo lực gia đình 6 tháng đầu năm 2024»." in letter
    assert "Kết quả: CHƯA TIẾP NHẬN." in letter and message in letter


def _independent(plan, typed):
    """The round's totals worked out here from the typed values."""
    answered = ["P", "D1", "D2"]
    return {
        "i2": sum(typed[u]["in_i2_ytd"] for u in answered),
        "victims": sum(typed[u][_answer("victims")] for u in answered),
        "support": round(sum(typed[u][_answer("support")] for u in answered), 6),
        "yes": [u for u in answered if typed[u][_answer("hotline")] == "Có"],
    }


def test_the_workbook_gives_each_answer_and_the_independent_totals(adhoc):
    plan, _, paths, _, typed, *_ = adhoc
    expected = _independent(plan, typed)
    book = openpyxl.load_workbook(paths.outbox / ADHOC / f"tong-hop_{ADHOC}.xlsx", data_only=True)
    assert book.sheetnames == ["Tổng hợp", "Hoạt động", "Thuyết minh", "Tình hình nộp báo cáo", "Lỗi và cảnh báo",
                               "Truy nguồn", "Nguồn dữ liệu"]
    sheet = book["Tổng hợp"]
    rows = {r[0]: r for r in sheet.iter_rows(min_row=5, max_row=8, values_only=True)}
    assert rows["D3"][1] == "Huyện Ba (chưa báo cáo)" and set(rows["D3"][2:]) == {None}
    for code in ("P", "D1", "D2"):
        assert rows[code][2] == typed[code]["in_i2_ytd"]
        assert rows[code][4] == typed[code][_answer("victims")]
        assert rows[code][6] == typed[code][_answer("hotline")]
    total = [c.value for c in sheet[9]]
    assert total[2] == expected["i2"] and total[4] == expected["victims"]
    assert total[5] == pytest.approx(expected["support"]) and total[6] == len(expected["yes"])
    assert [c.value for c in sheet[10]][2:] == [3] * 7
    assert sheet["A2"].value == "Đã báo cáo: 3/4 đơn vị; chưa báo cáo: Huyện Ba."
    formulas = openpyxl.load_workbook(paths.outbox / ADHOC / f"tong-hop_{ADHOC}.xlsx")["Tổng hợp"]
    assert (formulas["C9"].value, formulas["G9"].value) == ("=SUM(C5:C8)", '=COUNTIF(G5:G8,"Có")')
    # each input by its Vietnamese label, its machine name in brackets
    trace = {(r[0], str(r[2]).rpartition(" (")[2].rstrip(")")): r
             for r in book["Truy nguồn"].iter_rows(min_row=5, values_only=True)}
    assert not str(trace["D2", "q_victims_answer"][2]).startswith("q_")
    assert trace["D2", "q_victims_answer"][6] == typed["D2"][_answer("victims")]
    assert trace["D2", "q_victims_answer"][9:] == ("Câu hỏi", "D5")


def test_the_report_sums_names_and_quotes_as_word_and_html_alike(adhoc):
    plan, _, paths, _, typed, *_ = adhoc
    expected = _independent(plan, typed)
    html = (paths.outbox / ADHOC / f"bao-cao_{ADHOC}.html").read_text(encoding="utf-8")
    word = "\n".join(p.text for p in Document(paths.outbox / ADHOC / f"bao-cao_{ADHOC}.docx").paragraphs)
    names = {"P": "Cấp tỉnh", "D1": "Huyện Một", "D2": "Huyện Hai"}
    yes = [names[u] for u in expected["yes"]]
    yes_text = yes[0] if len(yes) == 1 else ", ".join(yes[:-1]) + " và " + yes[-1]
    sentences = [
        "Chuyên đề phòng, chống bạo lực gia đình 6 tháng đầu năm 2024",
        "Chưa báo cáo: Huyện Ba. Số liệu trong báo cáo này chỉ gồm 3 đơn vị đã báo cáo.",
        f"Hai: từ đầu năm 2024 đến thời điểm báo cáo thực hiện được {format_number(expected['i2'])} cuộc "
        "(số liệu của 3/3 đơn vị đã báo cáo).",
        f"Tổng cộng: {format_number(expected['victims'])} người (3/3 đơn vị trả lời).",
        f"Tổng cộng: {format_number(expected['support'])} triệu đồng (3/3 đơn vị trả lời).",
        f"{len(yes)} đơn vị trả lời Có ({yes_text})",
        f"Huyện Hai: {typed['D2'][_answer('model')]}",
    ]
    for sentence in sentences:
        assert sentence in html and sentence in word, sentence
    assert "III. TRẢ LỜI CÁC CÂU HỎI" in html and "III. TRẢ LỜI CÁC CÂU HỎI" in word


def test_the_adhoc_figures_stay_out_of_the_annual_cumulative_figures(adhoc):
    plan, _, paths, _, _, _, _, annual = adhoc
    with Ledger(paths.ledger, paths.home) as ledger:
        result = consolidation(plan, ledger, plan.round("2024-annual"))
    for unit in ("D1", "D2"):
        typed = annual["2024-annual", unit]
        progress = result.progress[unit]["i2"]
        assert progress.cumulative == typed["in_i2_previous"] + typed["in_i2_estimate"]
        assert {s.round for s in progress.sources} <= {"2024-annual"}


def test_the_status_page_names_the_round_and_links_its_report(adhoc):
    paths = adhoc[2]
    page = (paths.outbox / "index.html").read_text(encoding="utf-8")
    assert "Báo cáo chuyên đề phòng, chống bạo lực gia đình 6 tháng đầu năm 2024" in page
    assert f'href="{ADHOC}/bao-cao_{ADHOC}.docx"' in page


def test_answers_typed_in_libreoffice_are_read_back_exactly(tmp_path, uno_python):
    plan = load_plan(plan_seven.write_with_adhoc(tmp_path / "plan"))
    rules = RuleBook.load(tmp_path / "plan")
    rnd, unit = plan.round(ADHOC), plan.unit("D2")
    template = write_templates(plan, rnd, tmp_path / "t", [unit])[0]
    typed = {_answer("victims"): "12", _answer("support"): "7.5", _answer("hotline"): "Có",
             _answer("hotline_day"): "2024-03-15", _answer("model"): "Nhóm “Phụ nữ an toàn”", "in_i2_ytd": "4",
             "in_i5_ytd": "0", "in_act_contest_done": "Không", "in_act_contest_participants": "0"}
    values_file = tmp_path / "typed.json"
    values_file.write_text(json.dumps(typed, ensure_ascii=False), encoding="utf-8")
    target = tmp_path / "inbox" / template.name
    target.parent.mkdir()
    done = subprocess.run([uno_python, str(LO_FILL), str(template), str(target),
                           str(values_file), str(tmp_path / "uno-profile")], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    sub = read_file(target, plan, rules, date(2024, 6, 20))
    assert (sub.unit, sub.round, sub.findings) == ("D2", ADHOC, [])
    parsed, findings = evaluate(plan, rnd, "D2", sub.cells, rules, date(2024, 6, 20))
    assert findings == []
    assert {name: parsed[name] for name in typed} == {
        _answer("victims"): 12, _answer("support"): 7.5, _answer("hotline"): 1, _answer("hotline_day"): "2024-03-15",
        _answer("model"): "Nhóm “Phụ nữ an toàn”", "in_i2_ytd": 4, "in_i5_ytd": 0, "in_act_contest_done": 0,
        "in_act_contest_participants": 0}
    assert {f.name for f in form.input_fields(plan, rnd)} >= set(typed)


def test_the_plan_readme_example_loads_as_written(plan_copy):
    """plan/README.md's examples of activities.csv, rounds.csv and questions.csv, added to the bundled
    plan, give the adhoc round they describe."""
    text = (ROOT / "plan" / "README.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in text.split("```csv\n")[1:]]
    activities = next(b for b in blocks if b.startswith("code,group,name,asks"))
    rounds = next(b for b in blocks if b.startswith("id,year,kind"))
    questions = next(b for b in blocks if b.startswith("round,code,question"))
    (plan_copy / "activities.csv").write_text(activities, encoding="utf-8")
    bundled = (plan_copy / "rounds.csv").read_text(encoding="utf-8").splitlines()
    (plan_copy / "rounds.csv").write_text("\n".join([bundled[0] + ",name,indicators,activities",
                                                     *[line + ",,," for line in bundled[1:]],
                                                     rounds.splitlines()[-1]]) + "\n", encoding="utf-8")
    (plan_copy / "questions.csv").write_text(questions, encoding="utf-8")
    rnd = load_plan(plan_copy).round("2024-chuyen-de-bao-luc")
    assert (rnd.indicators, rnd.activities, len(rnd.questions)) == (
        ("policy_dialogues", "women_cadres_trained"), ("contest",), 5)

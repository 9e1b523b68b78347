"""Reports that stay readable at any size (issue 32): a list of units names 30 at most, then the first 10
and how many others, and says where the whole list is; a narrative heading quotes the 15 points most units
made and counts the rest. At 3,321 communes the province's report ran to 228 pages."""

from datetime import date
from types import SimpleNamespace

from pipeline.core.vietnamese import listed_units
from pipeline.figures.timeliness import UnitState
from pipeline.reports.assessment import voices
from pipeline.reports.sentences import reporting_sentence

ROUND = SimpleNamespace(id="2025-annual", district_deadline=date(2025, 9, 10))


def _unit(n: int) -> SimpleNamespace:
    return SimpleNamespace(code=f"{n:05d}", name=f"Xã Số {n}")


def test_thirty_units_are_all_named_and_more_are_counted():
    names = [f"Xã {n}" for n in range(31)]
    assert listed_units(names[:30]).count("Xã") == 30
    assert listed_units(names, "danh sách đủ ở đâu đó") == (
        "Xã 0, Xã 1, Xã 2, Xã 3, Xã 4, Xã 5, Xã 6, Xã 7, Xã 8, Xã 9 và 21 đơn vị khác (danh sách đủ ở đâu đó)")


def test_the_reporting_sentence_names_ten_of_many_silent_units_and_says_where_the_rest_are():
    states = [UnitState(_unit(n), "missing", None) for n in range(1, 3322)]
    sentence = reporting_sentence(ROUND, states, "3.321 xã, phường")
    assert sentence.endswith("Chưa gửi: Xã Số 1, Xã Số 2, Xã Số 3, Xã Số 4, Xã Số 5, Xã Số 6, Xã Số 7, Xã Số 8, "
                             "Xã Số 9, Xã Số 10 và 3.311 đơn vị khác (danh sách đủ ở trang «Tình hình nộp báo cáo» "
                             "của tệp tong-hop_2025-annual.xlsx).")
    assert len(sentence) < 600


def test_a_heading_quotes_the_points_most_units_made_and_counts_the_rest():
    units = [_unit(n) for n in range(1, 41)]
    said = {u.code: f"Ý kiến số {int(u.code) % 20}." for u in units}  # 20 points, two units each
    said[units[0].code] += " Đề nghị bố trí kinh phí sớm."
    said[units[1].code] += " Đề nghị bố trí kinh phí sớm."
    said[units[2].code] += " Đề nghị bố trí kinh phí sớm."
    result = SimpleNamespace(round=ROUND, text=lambda code, name: said.get(code))
    quoted = voices(SimpleNamespace(units=units), result, "proposals")
    assert len(quoted) == 16
    assert quoted[0] == "Đề nghị bố trí kinh phí sớm (Xã Số 1, Xã Số 2, Xã Số 3)."
    assert quoted[-1] == ("Còn 6 ý kiến khác, mỗi ý kiến của ít đơn vị hơn: nguyên văn ở trang «Thuyết minh» của tệp "
                          "tong-hop_2025-annual.xlsx.")

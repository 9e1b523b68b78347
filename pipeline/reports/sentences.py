"""The sentences the reports build from figures: the year beside the cumulative figure, every
estimate worded as one, who the figures cover, counts written as a person writes them."""

from __future__ import annotations

from pipeline.core import locations
from pipeline.core.vietnamese import (
    LEVEL_WORDS,
    format_date,
    format_number,
    format_percent,
    listed,
    listed_units,
    round_title,
)
from pipeline.figures.report_figures import Coverage, Figure
from pipeline.figures.timeliness import UnitState, state_lists, tally
from pipeline.plan.model import Indicator, Plan, Round


def cumulative_word(figure: Figure) -> str:
    return "ước lũy kế" if figure.cumulative_estimated else "lũy kế"


def year_word(rnd: Round, figure: Figure) -> str:
    """How the year's figure is named: an estimate in September; in January the actual, unless some
    unit has only its September estimate."""
    return "ước thực hiện cả năm" if rnd.kind == "annual" or figure.year_estimated else "thực hiện cả năm"


def percent(part: float | None, whole: float | None) -> str:
    return format_percent(part / whole) if part is not None and whole else "–"


def _year_clause(rnd: Round, figure: Figure, unit: str) -> str:
    if figure.year is None:
        return f"năm {rnd.year} chưa có số liệu báo cáo"
    if rnd.kind == "annual":
        so_far = (f"đến thời điểm báo cáo thực hiện được {format_number(figure.ytd)} {unit}, "
                  if figure.ytd is not None else "")
        return f"năm {rnd.year}, {so_far}ước thực hiện cả năm {format_number(figure.year)} {unit}"
    clause = f"năm {rnd.year} thực hiện được {format_number(figure.year)} {unit}"
    if figure.year_kept:
        clause += (f" (trong đó {format_number(figure.year_kept)} {unit} là số ước thực hiện báo cáo tháng 9 "
                   "của đơn vị chưa gửi số liệu cả năm)")
    return clause


def indicator_sentence(rnd: Round, indicator: Indicator, figure: Figure) -> str:
    if figure.cumulative is None:
        return f"{indicator.name}: chưa có số liệu được báo cáo."
    sentence = (f"{indicator.name}: {_year_clause(rnd, figure, indicator.unit)}; {cumulative_word(figure)} giai "
                f"đoạn {format_number(figure.cumulative)}/{format_number(figure.target)} {indicator.unit}, đạt "
                f"{percent(figure.cumulative, figure.target)} chỉ tiêu giai đoạn.")
    if figure.kept:
        sentence += (f" Trong đó {format_number(figure.kept)} {indicator.unit} là số liệu giữ từ kỳ trước của đơn "
                     "vị chưa báo cáo kỳ này.")
    return sentence


def reporting_sentence(rnd: Round, states: list[UnitState], who: str) -> str:
    """How many units' reports were accepted and how many on time, then, by name, every unit late, on
    time but corrected late, waiting, returned or silent: the states every output shows
    (figures/timeliness.py)."""
    n = tally(states)
    units, reported, on_time = n.units, n.reported, n.on_time
    deadline = format_date(rnd.district_deadline)
    if not reported:
        sentence = f"Đến ngày báo cáo, chưa có đơn vị nào ({who}) gửi báo cáo được tiếp nhận."
    else:
        sentence = f"Đến ngày báo cáo, {reported}/{units} đơn vị ({who}) đã gửi báo cáo được tiếp nhận"
        if on_time == reported:
            sentence += (f"; đơn vị đã báo cáo gửi đúng hạn ({deadline})." if reported == 1
                         else f"; tất cả đều gửi đúng hạn ({deadline}).")
        elif not on_time:
            sentence += f"; không có đơn vị nào gửi đúng hạn ({deadline})."
        else:
            sentence += f"; {on_time} đơn vị gửi đúng hạn ({deadline}), {reported - on_time} đơn vị gửi sau hạn."
    where = whole_list(rnd)
    named = [f"{label if n == 0 else label[0].lower() + label[1:]}: {listed_units(names, where)}"
             for n, (label, names) in enumerate(state_lists(states))]
    return sentence + (" " + "; ".join(named) + "." if named else "")


def whole_list(rnd: Round, place: str = "trang «Tình hình nộp báo cáo»", what: str = "danh sách đủ") -> str:
    """Where a list the report cuts short (core/vietnamese.listed_units) stands whole: in the round's
    workbook."""
    return f"{what} ở {place} của tệp {locations.workbook_name(rnd.id)}"


def coverage_sentence(rnd: Round, cover: Coverage) -> str:
    """The missing-unit rule as the report states it."""
    if not cover.reported:
        sentence = f"Kỳ báo cáo này chưa có đơn vị nào trong số {cover.units} đơn vị gửi số liệu."
    elif not cover.kept and not cover.without:
        sentence = f"Số liệu trong báo cáo là số liệu kỳ này của đủ {cover.units}/{cover.units} đơn vị."
    else:
        sentence = f"Số liệu trong báo cáo gồm số liệu kỳ này của {len(cover.reported)}/{cover.units} đơn vị."
    where = whole_list(rnd, "cột «Căn cứ số liệu», trang «Tổng hợp»")
    if cover.kept:
        kept = [f"{unit.name} (số liệu {round_title(source)})" for unit, source in cover.kept]
        sentence += (f" {len(cover.kept)} đơn vị chưa báo cáo kỳ này được giữ số liệu đã tiếp nhận gần nhất, "
                     f"tính vào tổng số và nêu riêng ở từng chỉ tiêu: {listed_units(kept, where)}.")
    if cover.without:
        sentence += (f" Chưa có số liệu nào của: {listed_units([u.name for u in cover.without], where)}; tỷ lệ đạt "
                     "vẫn tính trên chỉ tiêu giai đoạn của toàn tỉnh.")
    if cover.left_out:
        sentence += (f" Theo danh sách đơn vị của kế hoạch, {listed_units([u.name for u in cover.left_out])} không "
                     "phải báo cáo kỳ này và không được tính.")
    return sentence


def changes_sentence(compared: int, changes: int, without: list[str]) -> str:
    if not compared:
        sentence = "Chưa có đơn vị nào gửi cả số ước tháng 9 và số thực hiện cả năm để so sánh."
    else:
        sentence = (f"Có {compared} đơn vị gửi cả số ước tháng 9 và số thực hiện cả năm: "
                    + (f"{changes} số liệu thay đổi (bảng dưới)." if changes else "không có số liệu nào thay đổi."))
    if without:
        sentence += f" Không có số ước tháng 9 để so sánh: {listed_units(without)}."
    return sentence


def who_reports(plan: Plan, rnd: Round, reported: set[str] | None = None) -> str:
    """'cấp tỉnh và 11 huyện', as the units of this round are; with `reported`, the units of a level that
    did not all report are counted: 'cấp tỉnh và 72/75 xã, phường'."""
    levels: dict[str, list[str]] = {}
    for unit in plan.units_for(rnd):
        levels.setdefault(unit.level, []).append(unit.code)
    parts = []
    for level, codes in levels.items():
        done = len(codes) if reported is None else sum(c in reported for c in codes)
        if level == "province":
            parts.append(LEVEL_WORDS["province"] + ("" if done == len(codes) else " (chưa gửi)"))
        else:
            parts.append(f"{'' if done == len(codes) else f'{done}/'}{len(codes)} {LEVEL_WORDS[level]}")
    return listed(parts)


def change_sentence(plan: Plan, rnd: Round) -> str:
    """The changes of units that took effect by this round, in plain words."""
    sentences = []
    days = sorted({u.valid_to for u in plan.units if u.valid_to and plan.successors(u.code)
                   and u.valid_to <= rnd.district_deadline})
    for day in days:
        formers = [u for u in plan.units if u.valid_to == day and plan.successors(u.code)]
        successors = list(dict.fromkeys(s for f in formers for s in plan.successors(f.code)))
        new_units = [u for u in plan.units if u.valid_from == day]
        outside = [u for u in new_units if not u.former]
        old, new = LEVEL_WORDS[formers[0].level], LEVEL_WORDS[successors[0].level]
        sentence = (f"Từ ngày {format_date(day)}, {len(formers)} {old} ({listed([u.name for u in formers])}) được thay "
                    f"bằng {len(new_units)} {new}: {len(successors)} {new} kế tục các {old} cũ")
        for unit in (u for u in successors if len(u.former) > 1):
            names = listed([plan.unit(c).name for c in unit.former])
            counted = listed([f"{plan.unit(c).name}{'' if p == 100 else f' ({p}%)'}" for c, p in unit.shares])
            sentence += f" ({unit.name} hình thành từ địa bàn của {names}, số liệu tính cho {counted})"
        if outside:
            sentence += (f"; {len(outside)} đơn vị ({listed([u.name for u in outside])}) hình thành từ địa bàn "
                         "không có trong phân bổ chỉ tiêu của Kế hoạch, không có chỉ tiêu giai đoạn, được tổng hợp "
                         "thành dòng riêng và cộng vào kết quả chung của tỉnh")
        sentences.append(
            sentence + f". Số liệu theo {old} cũ (theo phân bổ chỉ tiêu của Kế hoạch) gồm số liệu các {old} đã báo cáo "
            f"trước ngày này và số liệu các {new} kế tục từ ngày này: hoạt động được cộng dồn; tổ, nhóm, câu lạc bộ, "
            f"địa chỉ lấy số hiện có của các {new}. Số liệu từng {new} ở bảng tổng hợp, trang «Theo đơn vị mới».")
    return " ".join(sentences)

"""The parts of a report that judge: general assessment (kết quả đạt được; tồn tại, hạn chế;
nguyên nhân), tasks for the next period, recommendations.

What the data can say is written from it (which groups are ahead, which indicators and units lag,
who has not reported). What only people can judge is left as a marked placeholder for the officer.
The districts' own words are summarised: the same point made by several units appears once, with
the units that made it.
"""

from __future__ import annotations

import re
from collections import Counter

from pipeline.core.vietnamese import format_date, format_number, format_percent, joined_units, listed, listed_units
from pipeline.figures.consolidate import Consolidation, Standing, share
from pipeline.figures.report_figures import Coverage
from pipeline.plan import form, schedule
from pipeline.plan.model import Plan, Round
from pipeline.reports.sentences import whole_list

PLACEHOLDERS = {
    "achieved": "[Cán bộ tổng hợp bổ sung: nhận định chung về kết quả, mô hình, cách làm hay nổi bật.]",
    "shortcomings": "[Cán bộ tổng hợp bổ sung: tồn tại, hạn chế khác ngoài số liệu.]",
    "causes": "[Cán bộ tổng hợp bổ sung: nguyên nhân khách quan và chủ quan của tồn tại, hạn chế.]",
    "tasks": "[Cán bộ tổng hợp bổ sung: nhiệm vụ, giải pháp trọng tâm khác của Hội LHPN tỉnh.]",
    "proposals": "[Cán bộ tổng hợp bổ sung: kiến nghị của Hội LHPN tỉnh với Trung ương Hội, Ủy ban nhân dân "
                 "tỉnh và các sở, ngành.]",
}
_SPLIT = re.compile(r"\n+|(?<=[.;!?])\s+")
_EDGES = re.compile(r"^[\s\-–•*+.;:]+|[\s.;:]+$")
LAGGING = (schedule.OVERDUE, schedule.BEHIND)
VOICES_SHOWN = 15  # points quoted under one heading, those made by the most units first


def voices(plan: Plan, result: Consolidation, key: str) -> list[str]:
    """Each point the units made under one narrative heading, once, with the units that made it;
    points made by more units first."""
    points: dict[str, tuple[str, dict[str, None]]] = {}
    for unit in plan.units:
        text = result.text(unit.code, form.field_name(key, "text")) or ""
        for piece in _SPLIT.split(text):
            point = _EDGES.sub("", piece.removeprefix(f"{unit.name}:"))
            if not point:
                continue
            norm = " ".join(point.casefold().split())
            points.setdefault(norm, (point, {}))[1][unit.name] = None
    ranked = sorted(points.values(), key=lambda entry: -len(entry[1]))
    quoted = [f"{wording[0].upper()}{wording[1:]} ({joined_units(list(names))})."
              for wording, names in ranked[:VOICES_SHOWN]]
    if len(ranked) > VOICES_SHOWN:  # a province's communes, a country's: the report stays readable
        quoted.append(f"Còn {format_number(len(ranked) - VOICES_SHOWN)} ý kiến khác, mỗi ý kiến của ít đơn vị hơn: "
                      f"{whole_list(result.round, 'trang «Thuyết minh»', 'nguyên văn')}.")
    return quoted


def _behind_phrase(plan: Plan, rnd: Round, code: str, standing: Standing) -> str:
    indicator = next(i for i in plan.indicators if i.code == code)
    achieved = format_percent((standing.cumulative or 0) / standing.target)
    if standing.status == schedule.OVERDUE:
        return f"{indicator.short_name} (thời gian hoàn thành {indicator.window}, mới đạt {achieved})"
    expected = format_percent(standing.expected)
    return f"{indicator.short_name} (cần đạt {expected} đến hết năm {rnd.year}, mới đạt {achieved})"


def achieved(plan: Plan, result: Consolidation, table: dict[str, dict[str, Standing]]) -> list[str]:
    rnd, province = result.round, table["total"]
    word = "ước lũy kế" if rnd.kind == "annual" else "lũy kế"
    states = Counter(s.status for s in province.values())
    ahead = [f"{states[s]} chỉ tiêu {schedule.LABELS[s].lower()}" for s in (schedule.DONE, schedule.ON_TRACK)
             if states[s]]
    lines = [(f"Toàn tỉnh có {listed(ahead)} trên tổng số {len(province)} chỉ tiêu." if ahead else
              f"Chưa có chỉ tiêu nào hoàn thành hoặc đúng tiến độ trên tổng số {len(province)} chỉ tiêu.")]
    shares = {i.code: share(province[i.code].cumulative, province[i.code].target) for i in plan.indicators}
    best = sorted((c for c in shares if shares[c] is not None), key=lambda c: -(shares[c] or 0))[:3]
    if best:
        lines.append(f"Các chỉ tiêu đạt tỷ lệ cao nhất so với chỉ tiêu giai đoạn (theo {word}): "
                     + listed([f"{_name(plan, c)} ({format_percent(shares[c])})" for c in best]) + ".")
    groups = {code: [min(shares[i.code] or 0, 1) for i in plan.indicators
                     if i.group == code and shares[i.code] is not None] for code in plan.groups}
    means = {code: sum(v) / len(v) for code, v in groups.items() if v}
    if len(means) > 1:
        high, low = max(means, key=means.__getitem__), min(means, key=means.__getitem__)
        lines.append(f"Nhóm hoạt động đạt kết quả cao nhất là nhóm {high} (bình quân {format_percent(means[high])} "
                     f"chỉ tiêu giai đoạn), thấp nhất là nhóm {low} ({format_percent(means[low])}).")
    early = [i for i in plan.indicators
             if province[i.code].status == schedule.DONE and schedule.due_year(i.milestones) > rnd.year]
    if early:
        lines.append("Hoàn thành chỉ tiêu giai đoạn trước thời hạn: " + listed(
            [f"{i.short_name} (thời gian hoàn thành {i.window})" for i in early]) + ".")
    return lines


def shortcomings(plan: Plan, result: Consolidation, table: dict[str, dict[str, Standing]],
                 cover: Coverage) -> list[str]:
    rnd, province = result.round, table["total"]
    lines = []
    for state in LAGGING:
        codes = [i.code for i in plan.indicators if province[i.code].status == state]
        if codes:
            lines.append(f"{schedule.LABELS[state]}: "
                         + listed([_behind_phrase(plan, rnd, c, province[c]) for c in codes]) + ".")
    counts = Counter(unit.code for unit in plan.units for i in plan.indicators
                     if table[unit.code][i.code].status in LAGGING)
    if counts:
        names = {u.code: u.name for u in plan.units}
        order = {code: n for n, code in enumerate(names)}
        ranked = sorted(counts.items(), key=lambda item: (-item[1], order[item[0]]))[:3]
        lines.append("Đơn vị có nhiều chỉ tiêu chậm tiến độ hoặc quá hạn nhất: "
                     + listed([f"{names[c]} ({n} chỉ tiêu)" for c, n in ranked]) + ".")
    missing = [u.name for u, _ in cover.kept] + [u.name for u in cover.without]
    if missing:
        lines.append(f"Chưa có báo cáo kỳ này của {len(missing)} đơn vị: {listed_units(missing, whole_list(rnd))}.")
    return lines


def tasks(plan: Plan, result: Consolidation, table: dict[str, dict[str, Standing]], cover: Coverage) -> list[str]:
    rnd, province = result.round, table["total"]
    units = {i.code: i.unit for i in plan.indicators}
    lines = []
    overdue = [(c, s) for c, s in province.items() if s.status == schedule.OVERDUE]
    if overdue:
        lines.append("Tập trung hoàn thành các chỉ tiêu quá hạn: " + listed(
            [f"{_name(plan, c)} (còn thiếu {format_number(s.target - (s.cumulative or 0))} {units[c]})"
             for c, s in overdue]) + ".")
    behind = [(c, s) for c, s in province.items() if s.status == schedule.BEHIND]
    if behind:
        lines.append("Đẩy nhanh tiến độ các chỉ tiêu chậm: " + listed(
            [f"{_name(plan, c)} (cần thêm {format_number(_gap(s))} {units[c]} để đạt mức cần đạt đến hết năm "
             f"{rnd.year})" for c, s in behind]) + ".")
    lagging = [u.name for u in plan.units if any(table[u.code][i.code].status in LAGGING for i in plan.indicators)]
    if lagging:
        lines.append("Đôn đốc, hướng dẫn các đơn vị có chỉ tiêu chậm tiến độ hoặc quá hạn: "
                     f"{listed_units(lagging, whole_list(rnd, 'trang «Tiến độ»'))}.")
    missing = [u.name for u, _ in cover.kept] + [u.name for u in cover.without]
    if missing:
        lines.append(f"Đôn đốc các đơn vị chưa báo cáo gửi báo cáo: {listed_units(missing, whole_list(rnd))}.")
    update = next((r for r in plan.rounds if r.year == rnd.year and r.kind == "update"), None)
    if rnd.kind == "annual" and update is not None:
        lines.append(f"Các đơn vị gửi số liệu thực hiện cả năm {rnd.year} trước ngày "
                     f"{format_date(update.district_deadline)}.")
    return lines


def _name(plan: Plan, code: str) -> str:
    return next(i.short_name for i in plan.indicators if i.code == code)


def _gap(standing: Standing) -> int:
    needed = -(-round(standing.expected * standing.target * 1000) // 1000)  # ceiling, without float dust
    return max(needed - (standing.cumulative or 0), 0)


def assessment_context(plan: Plan, result: Consolidation, table: dict[str, dict[str, Standing]],
                       cover: Coverage) -> dict:
    def part(title: str, computed: list[str], voice_key: str | None, placeholder: str) -> dict:
        return {"title": title, "computed": computed,
                "voices": voices(plan, result, voice_key) if voice_key else [],
                "voices_title": _VOICES_TITLES.get(voice_key or "", ""),
                "placeholder": PLACEHOLDERS[placeholder]}
    return {
        "assessment": [
            part("1. Kết quả đạt được", achieved(plan, result, table), "highlights", "achieved"),
            part("2. Tồn tại, hạn chế", shortcomings(plan, result, table, cover), None, "shortcomings"),
            part("3. Nguyên nhân", [], "difficulties", "causes"),
        ],
        "tasks": [part("", tasks(plan, result, table, cover), None, "tasks")],
        "recommendations": [part("", [], "proposals", "proposals")],
    }


_VOICES_TITLES = {
    "highlights": "Kết quả nổi bật các đơn vị nêu:",
    "difficulties": "Khó khăn, vướng mắc các đơn vị nêu:",
    "proposals": "Đề xuất, kiến nghị của các đơn vị:",
}

"""What the report of an adhoc round says, as template variables (adhoc_report.docx and
adhoc_report.html.j2): who reported and who did not, the indicators' results so far this year, each
question's answers summed or listed, the activities, and the units' proposals.

An adhoc round is a snapshot: a unit that did not answer is named and adds nothing, and every total
says how many units it covers.
"""

from __future__ import annotations

from datetime import date

from pipeline.core.vietnamese import format_date, format_number, listed_units, round_title
from pipeline.figures.consolidate import Consolidation
from pipeline.figures.timeliness import unit_states
from pipeline.plan import adhoc, form
from pipeline.plan.model import Plan, Unit
from pipeline.reports.parts import issuer_line, place_date
from pipeline.reports.province import activity_rows
from pipeline.reports.sentences import reporting_sentence, who_reports, whole_list

ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII")


def adhoc_context(plan: Plan, result: Consolidation) -> dict:
    rnd = result.round
    units = list(plan.units_for(rnd))
    reported = [u for u in units if u.code in result.reported]
    states = unit_states(units, result.round_records, result.reported, result.approved, rnd)
    missing = [u.name for u in units if u.code not in result.reported]
    parts = {
        "indicators": _indicator_rows(plan, result, reported),
        "questions": [_question(result, reported, q) for q in rnd.questions],
        "activities": activity_rows(plan, result, [a for a in plan.activities if a.code in rnd.activities]),
        "proposals": [{"unit": u.name, "text": text} for u in reported
                      if (text := result.text(u.code, form.field_name("proposals", "text")))],
    }
    titles = {"indicators": "KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU", "questions": "TRẢ LỜI CÁC CÂU HỎI",
              "activities": "CÁC HOẠT ĐỘNG", "proposals": "ĐỀ XUẤT, KIẾN NGHỊ CỦA CÁC ĐƠN VỊ"}
    present = [key for key in titles if parts[key]]
    headings = {key: f"{ROMAN[n + 1]}. {titles[key]}" for n, key in enumerate(present)}
    name = rnd.name[0].lower() + rnd.name[1:]
    return {
        "draft": False,
        "title": f"{plan.short_title} – {round_title(rnd)}",
        "issuer": issuer_line(plan.reporting_body),
        "place_date": place_date(plan.province, rnd.province_deadline),
        "subject": _subject(rnd.name),
        "intro": (f"Căn cứ {plan.document}; thực hiện yêu cầu {name} (hạn gửi của các đơn vị: ngày "
                  f"{format_date(rnd.district_deadline)}), {plan.reporting_body} tổng hợp báo cáo như sau:"),
        "reporting_sentence": reporting_sentence(rnd, states, who_reports(plan, rnd)),
        "missing_sentence": (f"Chưa báo cáo: {listed_units(missing, whole_list(rnd))}. Số liệu trong báo cáo này "
                             f"chỉ gồm {len(reported)} đơn vị đã báo cáo." if missing else
                             "Số liệu trong báo cáo này gồm tất cả các đơn vị."),
        "missing_units": missing,
        "headings": headings,
        "indicator_rows": parts["indicators"],
        "questions": parts["questions"],
        "activity_rows": parts["activities"],
        "proposals": parts["proposals"],
        "signer": "",
    }


def _indicator_rows(plan: Plan, result: Consolidation, reported: list[Unit]) -> list[dict]:
    rnd = result.round
    (measure, _), = form.MEASURES[rnd.kind]
    rows = []
    for indicator in (i for i in plan.indicators if i.code in rnd.indicators):
        name = form.field_name(indicator.code, measure)
        given = [n for u in reported if (n := result.number(u.code, name)) is not None]
        total = sum(given) if given else None
        target = plan.totals["total"][indicator.code]
        sentence = (f"{indicator.short_name}: từ đầu năm {rnd.year} đến thời điểm báo cáo thực hiện được "
                    f"{format_number(total)} {indicator.unit}" if total is not None else
                    f"{indicator.short_name}: chưa có số liệu")
        rows.append({"no": indicator.no, "name": indicator.name, "unit": indicator.unit,
                     "target": format_number(target), "total": format_number(total),
                     "answered": f"{len(given)}/{len(reported)}",
                     "sentence": f"{sentence} ({_covered(len(given), len(reported))})."})
    return rows


def _covered(answered: int, reported: int) -> str:
    return f"số liệu của {answered}/{reported} đơn vị đã báo cáo"


def _question(result: Consolidation, reported: list[Unit], question: adhoc.Question) -> dict:
    """One question: the summary sentence and, for dates and text, each unit's answer."""
    name = form.field_name(adhoc.subject(question.code), "answer")
    answers: list[tuple[Unit, object]] = []
    for unit in reported:
        value = result.number(unit.code, name) if question.kind in ("count", "money", "yesno") \
            else result.text(unit.code, name)
        if value is not None and value != "":
            answers.append((unit, value))
    silent = [u.name for u in reported if u not in [a[0] for a in answers]]
    measure = f" {question.unit}" if question.unit else ""
    if not answers:
        summary = "Chưa có đơn vị nào trả lời."
    elif question.kind in ("count", "money"):
        summary = (f"Tổng cộng: {format_number(sum(v for _, v in answers))}{measure} "  # type: ignore[misc]
                   f"({len(answers)}/{len(reported)} đơn vị trả lời).")
    elif question.kind == "yesno":
        yes = [u.name for u, v in answers if v]
        no = [u.name for u, v in answers if not v]
        parts = (f"{len(yes)} đơn vị trả lời Có ({listed_units(yes)})" if yes else "",
                 f"{len(no)} đơn vị trả lời Không ({listed_units(no)})" if no else "")
        summary = "; ".join(p for p in parts if p) + "."
    else:
        quiet = f" (không trả lời: {listed_units(silent)})" if silent else ""
        lines = [f"{u.name}: {format_date(date.fromisoformat(str(v))) if question.kind == 'date' else v}"
                 for u, v in answers]
        return {"no": question.no, "text": question.text, "lines": lines,
                "summary": f"{len(answers)}/{len(reported)} đơn vị trả lời{quiet}:"}
    if answers and silent:
        summary += f" Không trả lời: {listed_units(silent)}."
    return {"no": question.no, "text": question.text, "summary": summary, "lines": []}


def _subject(name: str) -> str:
    """The line under «BÁO CÁO»: the round's name without its leading «Báo cáo»."""
    rest = name.removeprefix("Báo cáo ").removeprefix("báo cáo ")
    return rest[0].upper() + rest[1:]

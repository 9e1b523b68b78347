"""The sheets of an adhoc round's template: its indicators (results so far this year, beside the
locked phase target) and its own questions, one answer cell each."""

from __future__ import annotations

from pipeline.core.vietnamese import format_number, round_title
from pipeline.core.xlsx import cell_name
from pipeline.plan import adhoc, form
from pipeline.templates.cells import SHEET_INDICATORS, SHEET_QUESTIONS, Cells, row_height

HOW_TO_ANSWER = {
    "count": "Số nguyên ≥ 0",
    "money": "Số ≥ 0",
    "text": f"Nội dung, tối đa {format_number(adhoc.ANSWER_LENGTH)} ký tự",
    "date": "Ngày (ngày/tháng/năm)",
    "yesno": "Chọn Có hoặc Không",
}


def sheets(template: Cells) -> list:
    """(name, writer) of the sheets this round asks for; `template` is the template being laid out."""
    rnd = template.rnd
    found = []
    if rnd.indicators:
        found.append((SHEET_INDICATORS, lambda ws: _indicators(template, ws)))
    if rnd.questions:
        found.append((SHEET_QUESTIONS, lambda ws: _questions(template, ws)))
    return found


def _indicators(template: Cells, ws) -> None:
    plan, rnd, unit, s = template.plan, template.rnd, template.unit, template.styles
    (measure, label), = form.MEASURES[rnd.kind]
    headers = ["TT", "Chỉ tiêu", "Đơn vị tính", "Chỉ tiêu giai đoạn", label, "Ghi chú"]
    widths = [6, 50, 10, 12, 18, 34]
    header_row = template.head(ws, f"SỐ LIỆU CHỈ TIÊU – {round_title(rnd).upper()}",
                               f"Đơn vị báo cáo: {unit.name}", headers, widths, 48)
    row = header_row + 1
    for indicator in (i for i in plan.indicators if i.code in rnd.indicators):
        template.fixed(ws, row, 0, indicator.no, s["center"])
        template.fixed(ws, row, 1, indicator.name, s["cell"])
        ws.set_row(row, row_height(indicator.name, widths[1]))
        template.fixed(ws, row, 2, indicator.unit, s["center"])
        template.fixed(ws, row, 3, plan.targets[unit.code][indicator.code], s["number"])
        template.names[form.target_name(indicator.code)] = (ws.name, cell_name(row, 3))
        template.input(ws, row, 4, form.field_name(indicator.code, measure))
        template.input(ws, row, 5, form.field_name(indicator.code, "note"))
        row += 1
    template.page(ws, header_row, len(headers))


def _questions(template: Cells, ws) -> None:
    rnd, s = template.rnd, template.styles
    headers = ["TT", "Câu hỏi", "Cách trả lời", "Trả lời"]
    widths = [6, 60, 22, 40]
    header_row = template.head(ws, f"CÂU HỎI – {round_title(rnd).upper()}",
                               f"Đơn vị báo cáo: {template.unit.name}", headers, widths, 32)
    for index, question in enumerate(rnd.questions):
        row = header_row + 1 + index
        how = HOW_TO_ANSWER[question.kind] + (f" ({question.unit})" if question.unit else "")
        how += "; bắt buộc" if question.required else "; không bắt buộc"
        template.fixed(ws, row, 0, question.no, s["center"])
        template.fixed(ws, row, 1, question.text, s["cell"])
        template.fixed(ws, row, 2, how, s["cell"])
        template.input(ws, row, 3, form.field_name(adhoc.subject(question.code), "answer"))
        height = max(row_height(question.text, widths[1]), row_height(how, widths[2]))
        ws.set_row(row, 90 if question.kind == "text" else height)
    template.page(ws, header_row, len(headers))

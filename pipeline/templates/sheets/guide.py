"""The template's first sheet «Hướng dẫn»: what the round asks, how to fill it in, the deadline, whom
to send it to, and (for a regular round) what each indicator expects by the end of the year. The
fingerprint leaves this sheet out, so its wording and the contact may change between generations."""

from __future__ import annotations

import math

from pipeline.core.vietnamese import format_date, format_number, format_percent, place, round_title
from pipeline.plan import schedule
from pipeline.plan.model import Round
from pipeline.templates.cells import (
    SHEET_ACTIVITIES,
    SHEET_BUDGET,
    SHEET_INDICATORS,
    SHEET_NARRATIVE,
    SHEET_QUESTIONS,
    SHEET_RATIOS,
    Cells,
    row_height,
)

CHECK_STEP = ("{number}. Trước khi gửi, xem trang «Kiểm tra»: trang tự tính lại khi nhập và ghi «Biểu đã đủ và hợp "
              "lệ – có thể gửi» khi không còn lỗi; nếu ghi «Chưa gửi được», trang nêu lỗi ở ô nào (ô lỗi cũng được "
              "tô đỏ, ô cần lưu ý tô vàng).")


def write(template: Cells, ws) -> None:
    plan, rnd, unit, s = template.plan, template.rnd, template.unit, template.styles
    ws.set_column(0, 0, 6)
    ws.set_column(1, 1, 100)
    contact = template.contact
    who = ", ".join(p for p in (contact.name, contact.office) if p) or plan.reporting_body
    reach = "; ".join(p for p in (f"điện thoại {contact.phone}" if contact.phone else "",
                                  f"thư điện tử {contact.email}" if contact.email else "") if p)
    send_to = f" tới địa chỉ {contact.email}" if contact.email else ""
    basis = ("báo cáo theo chế độ tại mục V.5 của Kế hoạch" if rnd.regular
             else f"báo cáo chuyên đề, đột xuất theo yêu cầu của {plan.reporting_body}")
    lines = [
        (f"{plan.short_title.upper()}", s["title_left"]),
        (f"{round_title(rnd)} – Đơn vị báo cáo: {unit.name}", s["bold"]),
        (f"Căn cứ {plan.document}; {basis}.", s["wrap"]),
        *([(change, s["wrap"])] if (change := change_paragraph(template)) else []),
        (f"Hạn gửi báo cáo về {plan.reporting_body}: ngày {format_date(rnd.district_deadline)}.",
         s["deadline"]),
        ("", None),
        ("Cách điền", s["bold"]),
        *[(text, s["wrap"]) for text in (_how_regular(template) if rnd.regular else _how_adhoc(template))],
        ("", None),
        ("Gửi báo cáo", s["bold"]),
        (f"Lưu tệp dạng .xlsx, giữ nguyên tên tệp, và gửi lại dưới dạng tệp đính kèm thư điện tử"
         f"{send_to}. Không đặt mật khẩu, không chuyển sang PDF hay chụp ảnh.", s["wrap"]),
        (f"Liên hệ khi cần hỗ trợ: {who}" + (f" ({reach})." if reach else "."), s["wrap"]),
        ("", None),
        *([*_completion_times(template), ("", None)] if rnd.regular else []),
        ("Ý nghĩa màu ô", s["bold"]),
    ]
    for row, (text, fmt) in enumerate(lines):
        template.fixed(ws, row, 1, text, fmt)
        ws.set_row(row, row_height(text, 95))
    legend = len(lines)
    ws.write(legend, 0, "", s["legend_input"])
    template.fixed(ws, legend, 1, "Ô màu vàng: ô nhập số liệu (chỉ các ô này sửa được).")
    ws.write(legend + 1, 0, "", s["legend_locked"])
    template.fixed(ws, legend + 1, 1, "Ô màu xám: chỉ tiêu giai đoạn, số liệu đã được tiếp nhận, công thức "
                                      "tự tính – đã khóa.")
    template.page(ws, 0, 2)
    ws.set_portrait()



def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def change_paragraph(template: Cells) -> str:
    """One short paragraph for a unit formed in a change of units: what it was formed from, and whose
    targets its figures count toward."""
    plan, unit, rnd = template.plan, template.unit, template.rnd
    if unit.valid_from is None or not rnd.regular:
        return ""
    formed = plan.formed_from_of(unit.code)
    origin = (" được thành lập từ " + ", ".join(
        f"{_lower_first(f.former_name)} ({_lower_first(f.former_district_name)})" for f in formed)) if formed else ""
    text = f"Từ ngày {format_date(unit.valid_from)}, {unit.name}{origin}. "
    formers = [plan.unit(code) for code, _ in unit.shares]
    if formers:
        names = ", ".join(place(f) for f in formers)
        text += (f"Chỉ tiêu của Kế hoạch vẫn giao theo {names} (cũ): đơn vị chỉ báo cáo số liệu của riêng mình "
                 f"trên địa bàn từ đầu năm {rnd.year}, tỉnh cộng vào {names} (cũ) để so với chỉ tiêu. Hai cột "
                 "«Để tham khảo» ở trang «Chỉ tiêu» ghi chỉ tiêu và lũy kế của đơn vị cũ; không điền vào đó.")
    elif not plan.has_targets(unit.code):
        text += ("Kế hoạch không giao chỉ tiêu cho địa bàn này, nên cột «Chỉ tiêu giai đoạn» ghi «–»; số liệu của "
                 "đơn vị được tổng hợp thành dòng riêng và cộng vào kết quả chung của tỉnh.")
    return text


def _how_regular(template: Cells) -> list[str]:
    return [
        f"1. Trang «{SHEET_INDICATORS}»: điền kết quả của từng chỉ tiêu vào các ô màu vàng. "
        + _measure_help(template.rnd),
        f"2. Trang «{SHEET_RATIOS}»: điền tử số và mẫu số; tỷ lệ % được tự tính.",
        f"3. Trang «{SHEET_BUDGET}»: kế hoạch vốn được giao và số đã giải ngân theo từng nguồn, đơn vị "
        f"{template.plan.budget_unit}; nguồn nào không có vốn hoặc chưa giải ngân thì nhập 0, không để trống.",
        f"4. Trang «{SHEET_NARRATIVE}»: kết quả nổi bật, khó khăn, đề xuất; người lập, số điện thoại, "
        "ngày lập báo cáo.",
        "5. Chỉ nhập số nguyên không âm cho các chỉ tiêu đếm; nhập 0 nếu không có kết quả, không "
        "để trống (ô để trống được trả lại để bổ sung). Không thêm, xóa, đổi tên dòng, cột hay trang tính.",
        CHECK_STEP.format(number=6),
    ]


def _how_adhoc(template: Cells) -> list[str]:
    rnd = template.rnd
    steps = []
    if rnd.indicators:
        steps.append(f"Trang «{SHEET_INDICATORS}»: kết quả của từng chỉ tiêu từ đầu năm {rnd.year} đến thời "
                     "điểm báo cáo; nhập 0 nếu chưa có kết quả, không để trống.")
    if rnd.questions:
        steps.append(f"Trang «{SHEET_QUESTIONS}»: trả lời từng câu hỏi vào ô màu vàng, theo cách trả lời ghi "
                     "ở cột bên cạnh; câu bắt buộc không được để trống.")
    if rnd.activities:
        steps.append(f"Trang «{SHEET_ACTIVITIES}»: với từng hoạt động, chọn Có/Không và ghi số cuộc, số người "
                     "tham gia (nhập 0 nếu không có).")
    steps.append(f"Trang «{SHEET_NARRATIVE}»: ý kiến, đề xuất nếu có; người lập, số điện thoại, ngày lập báo cáo.")
    steps.append("Không thêm, xóa, đổi tên dòng, cột hay trang tính.")
    numbered = [f"{number}. {text}" for number, text in enumerate(steps, start=1)]
    return [*numbered, CHECK_STEP.format(number=len(numbered) + 1)]


def _completion_times(template: Cells) -> list[tuple[str, object]]:
    """Each indicator's completion time from the plan's appendix and what it asks of this unit by
    the end of the round's year."""
    plan, rnd, unit, s = template.plan, template.rnd, template.unit, template.styles
    lines: list[tuple[str, object]] = [
        (f"Thời gian hoàn thành các chỉ tiêu (theo phụ lục Kế hoạch) và mức cần đạt đến hết năm {rnd.year}",
         s["bold"])]
    if not plan.has_targets(unit.code):
        return [lines[0], *[(f"{i.no}. {i.short_name}: hoàn thành {i.window}.", s["wrap"]) for i in plan.indicators]]
    for indicator in plan.indicators:
        target = plan.targets[unit.code][indicator.code]
        share = schedule.expected_share(indicator.milestones, rnd.year)
        due = (f"cần đạt {format_percent(share)} chỉ tiêu ({format_number(math.ceil(share * target - 1e-9))} "
               f"{indicator.unit})" if share else "chưa đến thời gian thực hiện")
        lines.append((f"{indicator.no}. {indicator.short_name}: chỉ tiêu giai đoạn {format_number(target)} "
                      f"{indicator.unit}; hoàn thành {indicator.window}; đến hết năm {rnd.year} {due}.",
                      s["wrap"]))
    return lines


def _measure_help(rnd: Round) -> str:
    if rnd.kind == "annual":
        return ("Cột «Kết quả đến thời điểm báo cáo»: số đã thực hiện từ đầu năm đến nay; cột «Ước thực "
                "hiện cả năm»: số dự kiến đạt đến hết năm. Với các tổ, nhóm, CLB, địa chỉ (tồn tại và duy "
                "trì) ghi tổng số hiện có; với các cuộc, lượt cán bộ ghi số của riêng năm nay.")
    return ("Cột «Kết quả thực hiện cả năm»: số thực tế của cả năm, thay cho số ước tính đã báo cáo "
            "tháng 9. Với các tổ, nhóm, CLB, địa chỉ ghi tổng số hiện có cuối năm; với các cuộc, lượt "
            "cán bộ ghi số của riêng năm đó.")

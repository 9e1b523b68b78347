"""Build the Word templates in pipeline/reports/templates/ (docxtpl: jinja2 tags inside Word).

Run once to create them: `.venv/bin/python scripts/build_report_templates.py`. After that the .docx
files are the source: the officer edits their wording in Word (see pipeline/reports/templates/README.md);
running this script again overwrites such edits.

Layout after Nghị định 30/2020/NĐ-CP: A4, margins 20 mm top and bottom, 30 mm left, 15 mm right;
Times New Roman 13-14; the two-column header; "Số: …" left for the clerk; place and date in italics;
"Nơi nhận" and the signature block.
"""

from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from slim_report_templates import slim

FOLDER = Path(__file__).resolve().parent.parent / "pipeline" / "reports" / "templates"


def _document():
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(14)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "Times New Roman")
    style.paragraph_format.space_after = Pt(6)
    style.paragraph_format.first_line_indent = Mm(10)
    section = doc.sections[0]
    section.page_height, section.page_width = Mm(297), Mm(210)
    section.top_margin = section.bottom_margin = Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    # Nghị định 30: pages are numbered from the second page on.
    section.different_first_page_header_footer = True
    _page_numbers(section)
    return doc


def _page_numbers(section) -> None:
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            field = OxmlElement("w:fldChar")
            field.set(qn("w:fldCharType"), kind)
            run._r.append(field)
        else:
            instruction = OxmlElement("w:instrText")
            instruction.text = text
            run._r.append(instruction)
    run.font.size = Pt(13)


def _line(cell_or_doc, text: str, *, bold=False, italic=False, size=13, align=WD_ALIGN_PARAGRAPH.CENTER,
          indent=False):
    paragraph = cell_or_doc.add_paragraph()
    paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(0)
    if not indent:
        paragraph.paragraph_format.first_line_indent = Mm(0)
    run = paragraph.add_run(text)
    run.bold, run.italic = bold, italic
    run.font.size = Pt(size)
    return paragraph


def _no_borders(table) -> None:
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    table._tbl.tblPr.append(borders)


def _widths(table, widths) -> None:
    """Column widths that Word and LibreOffice both keep (the grid and every cell)."""
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
        for cell in column.cells:
            cell.width = width


def _keep_rows_whole(table) -> None:
    """A row never breaks across two pages (the signature block stays together)."""
    for row in table.rows:
        properties = row._tr.get_or_add_trPr()
        properties.append(OxmlElement("w:cantSplit"))


def _header(doc, parent: str, issuer: str) -> None:
    table = doc.add_table(rows=1, cols=2)
    _no_borders(table)
    left, right = table.rows[0].cells
    _widths(table, [Mm(60), Mm(108)])
    left.paragraphs[0].text = ""
    _line(left, parent, size=13)
    _line(left, issuer, bold=True, size=13)
    _line(left, "———", size=10)
    _line(left, "Số: …/BC-HLHPN", size=13)
    # The national motto stands on one line (12 pt, the widest column the page allows).
    _line(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, size=12)
    _line(right, "Độc lập - Tự do - Hạnh phúc", bold=True, size=14)
    _line(right, "———————", size=10)
    _line(right, "{{ place_date }}", italic=True, size=14)
    _line(doc, "{% if draft %}DỰ THẢO{% endif %}", bold=True, size=13, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _line(doc, "BÁO CÁO", bold=True, size=14)
    _line(doc, "{{ subject }}", bold=True, size=14)
    _line(doc, "", size=8)


def _heading(doc, text: str) -> None:
    paragraph = _line(doc, text, bold=True, size=14, align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent=True)
    paragraph.paragraph_format.space_before = Pt(9)  # apart from a table just above


def _text(doc, text: str, *, size=14) -> None:
    paragraph = _line(doc, text, size=size, align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent=True)
    paragraph.paragraph_format.space_after = Pt(6)


def _control(doc, tag: str) -> None:
    """A paragraph holding only a docxtpl {%p … %} tag: it disappears when rendered."""
    _line(doc, tag, size=8, align=WD_ALIGN_PARAGRAPH.LEFT)


def _table(doc, headers: list[str], cells: list[str], loop: str, widths: list[int], size=12):
    """A bordered table: one header row and one template row repeated by {%tr for … %}."""
    table = doc.add_table(rows=4, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for col, width in enumerate(widths):
        table.columns[col].width = Mm(width)
    for row_index, texts in enumerate([headers, [f"{{%tr for row in {loop} %}}"] + [""] * (len(headers) - 1),
                                       cells, ["{%tr endfor %}"] + [""] * (len(headers) - 1)]):
        for col, text in enumerate(texts):
            cell = table.rows[row_index].cells[col]
            cell.width = Mm(widths[col])
            paragraph = cell.paragraphs[0]
            paragraph.paragraph_format.first_line_indent = Mm(0)
            paragraph.paragraph_format.space_after = Pt(0)
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER if row_index == 0 or col > 1 else WD_ALIGN_PARAGRAPH.LEFT
            run = paragraph.add_run(text)
            run.bold = row_index == 0
            run.font.size = Pt(size)
    return table


def _signature(doc, recipients: list[str] | str, role: str) -> None:
    _line(doc, "", size=8)
    table = doc.add_table(rows=1, cols=2)
    _no_borders(table)
    left, right = table.rows[0].cells
    left.paragraphs[0].text = ""
    _line(left, "Nơi nhận:", bold=True, italic=True, size=12, align=WD_ALIGN_PARAGRAPH.LEFT)
    if isinstance(recipients, str):  # a variable: one line per item, by the report's context
        _line(left, f"{{%p for recipient in {recipients} %}}", size=8, align=WD_ALIGN_PARAGRAPH.LEFT)
        _line(left, "- {{ recipient }}", size=11, align=WD_ALIGN_PARAGRAPH.LEFT)
        _line(left, "{%p endfor %}", size=8, align=WD_ALIGN_PARAGRAPH.LEFT)
        recipients = []
    for recipient in recipients:
        _line(left, f"- {recipient}", size=11, align=WD_ALIGN_PARAGRAPH.LEFT)
    _line(right, role, bold=True, size=14)
    for _ in range(4):
        _line(right, "", size=14)
    _line(right, "{{ signer }}", bold=True, size=14)
    _keep_rows_whole(table)


def _parts(doc, name: str) -> None:
    """Assessment, tasks or recommendations: what the data says, what the units said (grouped), and
    the officer's placeholder."""
    _control(doc, f"{{%p for part in {name} %}}")
    _control(doc, "{%p if part.title %}")
    _text(doc, "{{ part.title }}")
    _control(doc, "{%p endif %}")
    _control(doc, "{%p for line in part.computed %}")
    _text(doc, "- {{ line }}")
    _control(doc, "{%p endfor %}")
    _control(doc, "{%p if part.voices %}")
    _text(doc, "{{ part.voices_title }}")
    _control(doc, "{%p for line in part.voices %}")
    _text(doc, "- {{ line }}")
    _control(doc, "{%p endfor %}")
    _control(doc, "{%p endif %}")
    paragraph = _line(doc, "{{ part.placeholder }}", italic=True, size=14, align=WD_ALIGN_PARAGRAPH.JUSTIFY,
                      indent=True)
    paragraph.paragraph_format.space_after = Pt(6)
    _control(doc, "{%p endfor %}")


def _estimate_note(doc, name: str = "estimate_note") -> None:
    _control(doc, f"{{%p if {name} %}}")
    _line(doc, f"{{{{ {name} }}}}", italic=True, size=11, align=WD_ALIGN_PARAGRAPH.LEFT)
    _control(doc, "{%p endif %}")


def _results(doc, *, update: bool) -> None:
    _control(doc, "{%p for group in groups %}")
    _text(doc, "{{ group.code }}. {{ group.title }}")
    _control(doc, "{%p for row in group.rows %}")
    _text(doc, "- {{ row.sentence }}")
    _control(doc, "{%p endfor %}")
    _control(doc, "{%p endfor %}")
    _control(doc, "{%p if activity_rows %}")
    _text(doc, "Các hoạt động không có chỉ tiêu số:")
    _control(doc, "{%p for row in activity_rows %}")
    _text(doc, "- Nhóm {{ row.group }} – {{ row.sentence }}")
    _control(doc, "{%p endfor %}")
    _control(doc, "{%p endif %}")
    _text(doc, "Bảng 1. Kết quả thực hiện các chỉ tiêu toàn tỉnh", size=13)
    if update:
        _table(doc, ["TT", "Chỉ tiêu", "Đơn vị tính", "Chỉ tiêu giai đoạn", "{{ year_label }}",
                     "{{ cumulative_label }}", "% chỉ tiêu"],
               ["{{ row.no }}", "{{ row.name }}", "{{ row.unit }}", "{{ row.target }}", "{{ row.year }}",
                "{{ row.cumulative }}", "{{ row.percent }}"], "indicator_rows", [10, 62, 18, 20, 20, 20, 15])
    else:
        _table(doc, ["TT", "Chỉ tiêu", "Đơn vị tính", "Chỉ tiêu giai đoạn", "{{ ytd_label }}", "{{ year_label }}",
                     "{{ cumulative_label }}", "% chỉ tiêu"],
               ["{{ row.no }}", "{{ row.name }}", "{{ row.unit }}", "{{ row.target }}", "{{ row.ytd }}",
                "{{ row.year }}", "{{ row.cumulative }}", "{{ row.percent }}"], "indicator_rows",
               [9, 52, 16, 18, 18, 18, 18, 16])
    _estimate_note(doc)


def _per_unit_tables(doc) -> None:
    _control(doc, "{%p for table in unit_tables %}")
    _text(doc, "Bảng {{ table.number }}. {{ table.title }}", size=13)
    _table(doc, ["Đơn vị", "Chỉ tiêu giai đoạn", "{{ table.year_label }}", "{{ table.cumulative_label }}",
                 "% chỉ tiêu", "Ghi chú"],
           ["{{ row.unit }}", "{{ row.target }}", "{{ row.year }}", "{{ row.cumulative }}", "{{ row.percent }}",
            "{{ row.note }}"], "table.rows", [35, 22, 25, 22, 18, 43])
    _estimate_note(doc, "table.estimate_note")
    _line(doc, "", size=6)
    _control(doc, "{%p endfor %}")


def _ratios_and_budget(doc, heading_ratio: str, heading_budget: str) -> None:
    _heading(doc, heading_ratio)
    _table(doc, ["Chỉ tiêu", "Tử số", "Mẫu số", "Tỷ lệ đạt", "Mục tiêu"],
           ["{{ row.name }}", "{{ row.numerator }}", "{{ row.denominator }}", "{{ row.percent }}", "{{ row.target }}"],
           "ratios", [75, 22, 22, 22, 20])
    _heading(doc, heading_budget)
    _text(doc, "{{ budget_sentence }}")
    _table(doc, ["Nguồn vốn", "Kế hoạch vốn ({{ budget_unit }})", "{{ disbursed_label }}", "Tỷ lệ giải ngân"],
           ["{{ row.name }}", "{{ row.allocated }}", "{{ row.disbursed }}", "{{ row.rate }}"],
           "budget_rows", [70, 32, 35, 25])


def _annex(doc) -> None:
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    section.left_margin = section.right_margin = Mm(15)
    _line(doc, "PHỤ LỤC", bold=True, size=14)
    _line(doc, "{{ annex_title }}", bold=True, size=13)
    _line(doc, "{{ annex_line }}", italic=True, size=12)
    _line(doc, "{{ annex_cell_note }} Bản Excel: {{ annex_file }}.", italic=True, size=11)
    # One column per indicator, however many the plan has: docxtpl repeats the cell between the
    # {%tc %} cells (which disappear) and shares the width among the columns it makes.
    headers = ["TT", "Đơn vị", "Số bản ĐBKK", "{%tc for header in annex_headers %}", "{{ header }}",
               "{%tc endfor %}"]
    cells = ["{{ row.no }}", "{{ row.name }}", "{{ row.villages }}", "{%tc for value in row.cells %}",
             "{{ value }}", "{%tc endfor %}"]
    table = _table(doc, headers, cells, "annex_rows", [9, 26, 14, 1, 216, 1], size=8)
    caption = OxmlElement("w:tblCaption")  # tells the renderer to share the page width among the columns
    caption.set(qn("w:val"), "p8-share-columns")
    table._tbl.tblPr.append(caption)


def _schedule(doc, heading: str) -> None:
    """Progress against the completion times: the province per indicator, then the lagging units."""
    _heading(doc, heading)
    _text(doc, "{{ schedule_sentence }}")
    _table(doc, ["TT", "Chỉ tiêu", "Thời gian hoàn thành", "Cần đạt đến hết năm", "Đã đạt", "Tiến độ"],
           ["{{ row.no }}", "{{ row.name }}", "{{ row.window }}", "{{ row.expected }}", "{{ row.achieved }}",
            "{{ row.status }}"], "schedule_rows", [10, 62, 25, 22, 18, 33])
    _text(doc, "{{ lagging_sentence }}")
    _control(doc, "{%p if lagging_rows %}")
    _table(doc, ["Đơn vị", "Chỉ tiêu", "Thời gian hoàn thành", "Cần đạt", "Đã đạt", "Tiến độ"],
           ["{{ row.unit }}", "{{ row.indicator }}", "{{ row.window }}", "{{ row.expected }}", "{{ row.achieved }}",
            "{{ row.status }}"], "lagging_rows", [28, 55, 25, 18, 18, 33])
    _control(doc, "{%p endif %}")


PROVINCE_RECIPIENTS = ["Trung ương Hội LHPN Việt Nam (b/c);", "Tỉnh ủy, HĐND, UBND tỉnh (b/c);", "Ban Dân tộc tỉnh;",
                       "Lưu: VT."]
SIGNER_ROLE = "TM. BAN THƯỜNG VỤ\nCHỦ TỊCH"


def _opening(parent: str):
    """A new report: page setup, the Decree 30 header under `parent`, and the introduction."""
    doc = _document()
    _header(doc, parent, "{{ issuer }}")
    _text(doc, "{{ intro }}")
    return doc


def build_province(path: Path, *, update: bool) -> None:
    doc = _opening("HỘI LHPN VIỆT NAM")
    _heading(doc, "I. TÌNH HÌNH BÁO CÁO CỦA CÁC ĐƠN VỊ")
    _text(doc, "{{ reporting_sentence }}")
    _control(doc, "{%p if change_sentence %}")
    _text(doc, "{{ change_sentence }}")
    _control(doc, "{%p endif %}")
    _text(doc, "{{ coverage_sentence }}")
    if update:
        _heading(doc, "II. SỐ LIỆU THỰC HIỆN CẢ NĂM")
        _results(doc, update=True)
        _schedule(doc, "III. TIẾN ĐỘ SO VỚI THỜI GIAN HOÀN THÀNH")
        _heading(doc, "IV. THAY ĐỔI SO VỚI SỐ ƯỚC THỰC HIỆN BÁO CÁO THÁNG 9")
        _text(doc, "{{ changes_sentence }}")
        _control(doc, "{%p if changes %}")
        _table(doc, ["Đơn vị", "Chỉ tiêu", "Ước tháng 9", "Thực hiện cả năm", "Chênh lệch"],
               ["{{ row.unit }}", "{{ row.indicator }}", "{{ row.estimate }}", "{{ row.actual }}",
                "{{ row.difference }}"], "changes", [35, 70, 22, 25, 22])
        _control(doc, "{%p endif %}")
        _ratios_and_budget(doc, "V. CÁC CHỈ TIÊU TỶ LỆ", "VI. KINH PHÍ")
    else:
        _heading(doc, "II. KẾT QUẢ THỰC HIỆN CÁC NHÓM HOẠT ĐỘNG")
        _results(doc, update=False)
        _text(doc, "{{ chart }}")
        _schedule(doc, "III. TIẾN ĐỘ SO VỚI THỜI GIAN HOÀN THÀNH")
        _heading(doc, "IV. KẾT QUẢ THEO ĐƠN VỊ")
        _per_unit_tables(doc)
        _ratios_and_budget(doc, "V. CÁC CHỈ TIÊU TỶ LỆ", "VI. KINH PHÍ THỰC HIỆN")
    _heading(doc, "VII. ĐÁNH GIÁ CHUNG")
    _parts(doc, "assessment")
    _heading(doc, "VIII. NHIỆM VỤ, GIẢI PHÁP THỜI GIAN TỚI")
    _parts(doc, "tasks")
    _heading(doc, "IX. ĐỀ XUẤT, KIẾN NGHỊ")
    _parts(doc, "recommendations")
    _signature(doc, PROVINCE_RECIPIENTS, SIGNER_ROLE)
    _annex(doc)
    doc.save(path)


def build_district(path: Path, *, update: bool) -> None:
    doc = _opening("{{ parent }}")
    _heading(doc, "I. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU")
    if update:
        _table(doc, ["TT", "Chỉ tiêu", "Chỉ tiêu giai đoạn", "{{ year_label }}", "{{ cumulative_label }}",
                     "% chỉ tiêu", "Thời gian hoàn thành", "Tiến độ"],
               ["{{ row.no }}", "{{ row.name }}", "{{ row.target }}", "{{ row.year }}", "{{ row.cumulative }}",
                "{{ row.percent }}", "{{ row.window }}", "{{ row.status }}"], "indicator_rows",
               [9, 50, 17, 17, 15, 15, 20, 22], size=11)
    else:
        _table(doc, ["TT", "Chỉ tiêu", "Chỉ tiêu giai đoạn", "{{ ytd_label }}", "{{ year_label }}",
                     "{{ cumulative_label }}", "% chỉ tiêu", "Thời gian hoàn thành", "Tiến độ"],
               ["{{ row.no }}", "{{ row.name }}", "{{ row.target }}", "{{ row.ytd }}", "{{ row.year }}",
                "{{ row.cumulative }}", "{{ row.percent }}", "{{ row.window }}", "{{ row.status }}"],
               "indicator_rows", [8, 43, 15, 17, 17, 15, 14, 17, 19], size=11)
    _estimate_note(doc)
    _ratios_and_budget(doc, "II. CÁC CHỈ TIÊU TỶ LỆ", "III. KINH PHÍ")
    _heading(doc, "IV. KẾT QUẢ NỔI BẬT, KHÓ KHĂN, ĐỀ XUẤT")
    _control(doc, "{%p for part in narratives %}")
    _text(doc, "{{ part.title }}: {{ part.text }}")
    _control(doc, "{%p endfor %}")
    _signature(doc, "recipients", SIGNER_ROLE)
    doc.save(path)


def build_phase(path: Path) -> None:
    doc = _opening("HỘI LHPN VIỆT NAM")
    _heading(doc, "I. SỐ LIỆU TỔNG KẾT")
    _text(doc, "{{ basis_sentence }}")
    _text(doc, "{{ coverage_sentence }}")
    _heading(doc, "II. KẾT QUẢ TỪNG NĂM VÀ CẢ GIAI ĐOẠN")
    _control(doc, "{%p for row in rows %}")
    _text(doc, "- {{ row.sentence }}")
    _control(doc, "{%p endfor %}")
    _text(doc, "Bảng 1. Kết quả thực hiện các chỉ tiêu giai đoạn toàn tỉnh", size=13)
    _table(doc, ["TT", "Chỉ tiêu", "Chỉ tiêu giai đoạn", "Từng năm", "Lũy kế giai đoạn", "% chỉ tiêu",
                 "Thời gian hoàn thành", "Kết quả"],
           ["{{ row.no }}", "{{ row.short_name }} ({{ row.unit }})", "{{ row.target }}", "{{ row.years }}",
            "{{ row.cumulative }}", "{{ row.percent }}", "{{ row.window }}", "{{ row.outcome }}"], "rows",
           [8, 36, 15, 38, 17, 14, 18, 19], size=11)
    _heading(doc, "III. CÁC CHỈ TIÊU VÀ ĐƠN VỊ CHƯA ĐẠT CHỈ TIÊU GIAI ĐOẠN")
    _text(doc, "{{ short_sentence }}")
    _control(doc, "{%p if unit_rows %}")
    _table(doc, ["Đơn vị", "Chỉ tiêu", "Chỉ tiêu giai đoạn", "Lũy kế", "% chỉ tiêu", "Thời gian hoàn thành",
                 "Kết quả"],
           ["{{ row.unit }}", "{{ row.indicator }}", "{{ row.target }}", "{{ row.cumulative }}", "{{ row.percent }}",
            "{{ row.window }}", "{{ row.outcome }}"], "unit_rows", [26, 48, 17, 16, 15, 20, 23], size=11)
    _control(doc, "{%p endif %}")
    _heading(doc, "IV. ĐÁNH GIÁ CHUNG")
    _parts(doc, "assessment")
    _heading(doc, "V. NHIỆM VỤ, GIẢI PHÁP GIAI ĐOẠN TIẾP THEO")
    _parts(doc, "tasks")
    _heading(doc, "VI. ĐỀ XUẤT, KIẾN NGHỊ")
    _parts(doc, "recommendations")
    _signature(doc, PROVINCE_RECIPIENTS, SIGNER_ROLE)
    doc.save(path)


def build_adhoc(path: Path) -> None:
    """An adhoc or thematic round: its sections appear only when the round asks for them, numbered
    by the context (headings)."""
    doc = _opening("HỘI LHPN VIỆT NAM")
    _heading(doc, "I. TÌNH HÌNH BÁO CÁO CỦA CÁC ĐƠN VỊ")
    _text(doc, "{{ reporting_sentence }}")
    _text(doc, "{{ missing_sentence }}")
    _control(doc, "{%p if indicator_rows %}")
    _heading(doc, "{{ headings.indicators }}")
    _control(doc, "{%p for row in indicator_rows %}")
    _text(doc, "- {{ row.sentence }}")
    _control(doc, "{%p endfor %}")
    _table(doc, ["TT", "Chỉ tiêu", "Đơn vị tính", "Chỉ tiêu giai đoạn", "Từ đầu năm đến thời điểm báo cáo",
                 "Số đơn vị có số liệu"],
           ["{{ row.no }}", "{{ row.name }}", "{{ row.unit }}", "{{ row.target }}", "{{ row.total }}",
            "{{ row.answered }}"], "indicator_rows", [10, 70, 18, 20, 25, 22])
    _control(doc, "{%p endif %}")
    _control(doc, "{%p if questions %}")
    _heading(doc, "{{ headings.questions }}")
    _control(doc, "{%p for question in questions %}")
    _text(doc, "{{ question.no }}. {{ question.text }}")
    _text(doc, "{{ question.summary }}")
    _control(doc, "{%p for line in question.lines %}")
    _text(doc, "- {{ line }}")
    _control(doc, "{%p endfor %}")
    _control(doc, "{%p endfor %}")
    _control(doc, "{%p endif %}")
    _control(doc, "{%p if activity_rows %}")
    _heading(doc, "{{ headings.activities }}")
    _control(doc, "{%p for row in activity_rows %}")
    _text(doc, "- Nhóm {{ row.group }} – {{ row.sentence }}")
    _control(doc, "{%p endfor %}")
    _control(doc, "{%p endif %}")
    _control(doc, "{%p if proposals %}")
    _heading(doc, "{{ headings.proposals }}")
    _control(doc, "{%p for row in proposals %}")
    _text(doc, "- {{ row.unit }}: {{ row.text }}")
    _control(doc, "{%p endfor %}")
    _control(doc, "{%p endif %}")
    _signature(doc, PROVINCE_RECIPIENTS, SIGNER_ROLE)
    doc.save(path)


def main() -> None:
    FOLDER.mkdir(parents=True, exist_ok=True)
    build_province(FOLDER / "province_report.docx", update=False)
    build_province(FOLDER / "update_report.docx", update=True)
    build_district(FOLDER / "district_report.docx", update=False)
    build_district(FOLDER / "district_update_report.docx", update=True)
    build_phase(FOLDER / "phase_report.docx")
    build_adhoc(FOLDER / "adhoc_report.docx")
    for path in sorted(FOLDER.glob("*.docx")):
        slim(path)
    print(f"written to {FOLDER}")


if __name__ == "__main__":
    main()

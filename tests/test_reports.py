"""The reports: Nghị định 30 layout, the same figures as the provincial workbook, and the update's
table of changes."""

import copy
import dataclasses
import io
import re
import shutil
import subprocess
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from docx.oxml.ns import qn

from pipeline.app.queries import carried_figures
from pipeline.app.rebuild import consolidation
from pipeline.app.runner import run
from pipeline.app.samples import fill_template, sample_values
from pipeline.core import locations
from pipeline.core.locations import REPORT_TEMPLATES, Paths
from pipeline.core.office_package import COMPRESS_LEVEL, normalized_package, saved_docx, stamped_package
from pipeline.ledger.store import Ledger
from pipeline.plan.loader import load_plan
from pipeline.reports import chart, documents, word
from pipeline.templates.writer import write_templates
from tests.support.helpers import require, run_cli
from tests.support.installation import send
from tests.support.report_text import all_text, number, percent_as_shown

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("reports")
    assert run_cli("demo", "--workdir", str(workdir)).returncode == 0
    return workdir / "outbox" / "2024-annual"


def test_header_date_line_and_page_follow_the_decree(demo):
    document = Document(demo / "bao-cao_2024-annual.docx")
    header = [cell.text.split("\n") for cell in document.tables[0].rows[0].cells]
    left, right = [[line.strip() for line in cell if line.strip()] for cell in header]
    assert left[:3] == ["HỘI LHPN VIỆT NAM", "HỘI LHPN TỈNH SƠN LA", "———"]
    assert left[-1] == "Số: …/BC-HLHPN"
    assert right[0] == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    assert right[1] == "Độc lập - Tự do - Hạnh phúc"
    assert right[-1] == "Sơn La, ngày 20 tháng 9 năm 2024"
    texts = [p.text for p in document.paragraphs]
    assert "BÁO CÁO" in texts
    assert any(t.startswith("Kết quả thực hiện Dự án 8") and t.endswith("năm 2024 trên địa bàn tỉnh") for t in texts)
    section = document.sections[0]
    margins = [section.top_margin.mm, section.bottom_margin.mm, section.left_margin.mm, section.right_margin.mm]
    assert margins == pytest.approx([20, 20, 30, 15], abs=0.1)
    assert [section.page_width.mm, section.page_height.mm] == pytest.approx([210, 297], abs=0.1)
    assert document.styles["Normal"].font.name == "Times New Roman"
    assert 13 <= document.styles["Normal"].font.size.pt <= 14
    assert "Nơi nhận:" in all_text(document) and "TM. BAN THƯỜNG VỤ" in all_text(document)


def test_indicator_table_figures_equal_the_provincial_workbook(demo, plan):
    document = Document(demo / "bao-cao_2024-annual.docx")
    table = next(t for t in document.tables if t.rows[0].cells[0].text == "TT" and len(t.columns) == 8)
    assert [c.text for c in table.rows[0].cells][3:] == [
        "Chỉ tiêu giai đoạn", "Năm 2024: đến thời điểm báo cáo", "Năm 2024: ước thực hiện cả năm", "Ước lũy kế",
        "% chỉ tiêu"]
    sheet = openpyxl.load_workbook(demo / "tong-hop_2024-annual.xlsx", data_only=True)["Tổng hợp"]
    total_row = next(r for r in range(1, 30) if sheet.cell(r, 2).value == "Tổng cộng")
    assert [sheet.cell(5, c).value for c in range(5, 9)] == [
        "Chỉ tiêu giai đoạn", "Ước TH năm 2024", "Ước lũy kế", "% chỉ tiêu"]
    rows = table.rows[1:]
    assert len(rows) == len(plan.indicators)
    ytd = {i.code: sum(sample_values(plan, plan.round("2024-annual"), u)[f"in_{i.code}_ytd"]
                       for u in plan.units_for(plan.round("2024-annual")))
           for i in plan.indicators}
    for k, (row, indicator) in enumerate(zip(rows, plan.indicators, strict=True)):
        cells = [c.text for c in row.cells]
        assert cells[1] == indicator.name
        col = 5 + 4 * k
        assert number(cells[3]) == sheet.cell(total_row, col).value
        assert number(cells[4]) == ytd[indicator.code]
        assert number(cells[5]) == sheet.cell(total_row, col + 1).value
        assert number(cells[6]) == sheet.cell(total_row, col + 2).value
        assert cells[7] == percent_as_shown(sheet.cell(total_row, col + 3).value)


def test_per_unit_tables_and_ratios_match_the_workbook(demo, plan):
    document = Document(demo / "bao-cao_2024-annual.docx")
    sheet = openpyxl.load_workbook(demo / "tong-hop_2024-annual.xlsx", data_only=True)["Tổng hợp"]
    rows = {sheet.cell(r, 2).value: r for r in range(6, 20)}
    unit_tables = [t for t in document.tables
                   if t.rows[0].cells[1].text == "Chỉ tiêu giai đoạn" and len(t.columns) == 6]
    assert len(unit_tables) == len(plan.indicators)
    for k, table in enumerate(unit_tables):
        for row in table.rows[1:]:
            name, _, year, cumulative, percent, note = (c.text for c in row.cells)
            assert number(year) == sheet.cell(rows[name], 6 + 4 * k).value
            assert number(cumulative) == sheet.cell(rows[name], 7 + 4 * k).value
            assert percent == percent_as_shown(sheet.cell(rows[name], 8 + 4 * k).value)
            assert note == ""


def test_every_generated_docx_converts_to_pdf_with_libreoffice(demo, soffice, tmp_path):
    documents = sorted(demo.rglob("*.docx"))
    assert len(documents) == 12  # the province and 11 districts
    subprocess.run([soffice, "--headless", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), *map(str, documents)],
                   check=True, capture_output=True, timeout=600)
    for document in documents:
        assert (tmp_path / f"{document.stem}.pdf").read_bytes()[:5] == b"%PDF-", document.name


def test_html_report_and_annex_workbook_sit_beside_it(demo):
    html = (demo / "bao-cao_2024-annual.html").read_text(encoding="utf-8")
    assert "Sơn La, ngày 20 tháng 9 năm 2024" in html and "Số: …/BC-HLHPN" in html
    annex = openpyxl.load_workbook(demo / "phu-luc_2024-annual.xlsx")
    assert annex.sheetnames == ["Tổng hợp"]


def test_district_report_is_the_districts_own(demo, plan):
    document = Document(demo / "huyen" / "bao-cao_2024-annual_121_bac-yen.docx")
    text = all_text(document)
    assert "HỘI LHPN HUYỆN BẮC YÊN" in text.replace("\u00a0", " ")  # the place glued: it never wraps inside
    assert "Bắc Yên, ngày 10 tháng 9 năm 2024" in text
    table = next(t for t in document.tables if t.rows[0].cells[0].text == "TT")
    values = sample_values(plan, plan.round("2024-annual"), plan.unit("121"))
    assert [c.text for c in table.rows[0].cells][3:6] == [
        "Năm 2024: đến thời điểm báo cáo", "Năm 2024: ước thực hiện cả năm", "Ước lũy kế"]
    assert [number(r.cells[3].text) for r in table.rows[1:]] == [values[f"in_{i.code}_ytd"] for i in plan.indicators]
    assert [number(r.cells[4].text) for r in table.rows[1:]] == [
        values[f"in_{i.code}_estimate"] for i in plan.indicators]


@pytest.fixture(scope="module")
def update_round(tmp_path_factory, plan):
    """Two districts report in September; in January one changes two figures, one changes none, and
    a third never reports."""
    root = tmp_path_factory.mktemp("update")
    paths = Paths.beside_outbox(root / "inbox", root / "outbox")
    changed = {"121": {"in_policy_dialogues_actual": None, "in_leader_clubs_actual": None}}
    for round_id, day in (("2024-annual", date(2024, 9, 6)), ("2024-update", date(2025, 1, 20))):
        rnd = plan.round(round_id)
        carried = carried_figures(plan, paths.ledger, paths.home, rnd)
        for code in ("121", "125"):
            unit = plan.unit(code)
            template = write_templates(plan, rnd, root / "t", [unit], carried)[0]
            values = sample_values(plan, plan.round("2024-annual"), unit, with_previous=not carried.get(code))
            if rnd.kind == "update":
                values = {k.replace("_estimate", "_actual"): v for k, v in values.items() if not k.endswith("_ytd")}
                for name in changed.get(code, {}):
                    values[name] += 2
                    changed[code][name] = values[name]
            fill_template(template, paths.inbox / template.name, values)
        run(paths, today=day)
    return root / "outbox" / "2024-update", changed


def test_update_report_lists_exactly_the_values_that_changed(update_round, plan):
    folder, changed = update_round
    document = Document(folder / "bao-cao_2024-update.docx")
    table = next(t for t in document.tables if t.rows[0].cells[0].text == "Đơn vị" and len(t.columns) == 5)
    rows = [[c.text for c in r.cells] for r in table.rows[1:]]
    estimates = sample_values(plan, plan.round("2024-annual"), plan.unit("121"))
    expected = [["Bắc Yên", "Đối thoại chính sách", str(estimates["in_policy_dialogues_estimate"]),
                 str(changed["121"]["in_policy_dialogues_actual"]), "+2"],
                ["Bắc Yên", "CLB thủ lĩnh của sự thay đổi", str(estimates["in_leader_clubs_estimate"]),
                 str(changed["121"]["in_leader_clubs_actual"]), "+2"]]
    assert rows == expected
    text = all_text(document)
    assert "Sơn La, ngày 5 tháng 2 năm 2025" in text
    assert ("Có 2 đơn vị gửi cả số ước tháng 9 và số thực hiện cả năm: 2 số liệu thay đổi (bảng dưới)."
            in text)


def test_units_without_figures_are_named_and_add_nothing(update_round):
    folder, _ = update_round
    text = all_text(Document(folder / "bao-cao_2024-update.docx"))
    assert ("Số liệu trong báo cáo gồm số liệu kỳ này của 2/12 đơn vị. Chưa có số liệu nào của: Cấp tỉnh, Mộc Châu, "
            "Mường La, Phù Yên, Quỳnh Nhai, Sông Mã, Sốp Cộp, Thuận Châu, Vân Hồ và Yên Châu; tỷ lệ đạt vẫn tính "
            "trên chỉ tiêu giai đoạn của toàn tỉnh.") in text
    annex = Path(folder / "phu-luc_2024-update.xlsx")
    assert annex.is_file()


@pytest.fixture
def pdftotext():
    return require(shutil.which("pdftotext"), "poppler-utils (pdftotext)")


def _pdf_pages(pdftotext: str, pdf: Path) -> list[str]:
    text = subprocess.run([pdftotext, "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return text.split("\f")


def test_layout_on_the_page_follows_the_decree(demo, soffice, pdftotext, tmp_path):
    """As LibreOffice prints it: the motto on one line, no number on page 1, the signature block whole
    even when it falls at the foot of a page."""
    district = next((demo / "huyen").glob("*_121_*.docx"))
    pushed = []
    for extra in range(12):  # filler lines move the signature block across the foot of page 2
        document = Document(district)
        signature = document.tables[-1]
        assert signature._tbl.xpath(".//w:trPr/w:cantSplit")
        for _ in range(extra):
            signature._tbl.addprevious(document.add_paragraph("Dòng thêm để đẩy khối chữ ký xuống.")._p)
        pushed.append(tmp_path / f"pushed-{extra:02d}.docx")
        document.save(pushed[-1])
    subprocess.run([soffice, "--headless", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(demo / "bao-cao_2024-annual.docx"),
                    *map(str, pushed)], check=True, capture_output=True, timeout=600)
    pages = _pdf_pages(pdftotext, tmp_path / "bao-cao_2024-annual.pdf")
    assert any(line.strip().endswith("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM") for line in pages[0].splitlines())
    first_lines = [next(line.strip() for line in page.splitlines() if line.strip()) for page in pages[:2]]
    assert first_lines[0].startswith("HỘI LHPN VIỆT NAM")  # no page number above the header on page 1
    assert first_lines[1] == "2"
    for docx in pushed:
        pages = _pdf_pages(pdftotext, docx.with_suffix(".pdf"))
        role = next(n for n, page in enumerate(pages) if "TM. BAN THƯỜNG VỤ" in page)
        assert "CHỦ TỊCH" in pages[role], docx.name
        # Issue 31, finding 7: the preparer (who typed the figures) no longer signs for the standing committee;
        # the bundled plan names no chair, so the line is blank for a handwritten name.
        assert "Nguyễn Thị Mẫu" not in "".join(pages), docx.name
        # and the unit's name in the header is never cut in two ("HỘI LHPN HUYỆN BẮC / YÊN")
        header = pages[0].splitlines()[:6]
        assert any("HUYỆN BẮC YÊN" in line for line in header) and not any(
            line.strip().startswith("YÊN") for line in header), docx.name


def test_a_report_saved_in_one_pass_has_the_bytes_of_saving_then_normalising():
    """Reports are saved with their entries stamped as they are written (one compression); the bytes
    must be those of python-docx's own save followed by normalized_package, stamp included."""
    document = Document()
    document.add_paragraph("Kết quả thực hiện Dự án 8 – tỉnh Sơn La")
    document.core_properties.title = "Báo cáo"
    moment = datetime(2024, 9, 10, 8, 30, 6)  # a zip entry keeps even seconds
    saved = io.BytesIO()
    document.save(saved)
    one_pass = saved_docx(document, moment)
    assert one_pass == normalized_package(saved.getvalue(), moment)
    with zipfile.ZipFile(io.BytesIO(one_pass)) as package:
        assert {info.date_time for info in package.infolist()} == {(2024, 9, 10, 8, 30, 6)}
        assert b">2024-09-10T08:30:06Z</dcterms:modified>" in package.read("docProps/core.xml")


def test_a_package_has_the_bytes_zipfile_writes_and_the_same_again_from_what_it_compressed_before():
    """Reports write each entry's compressed bytes themselves (a province's unit reports share all
    their parts but one, compressed once): the package must be byte for byte what zipfile writes."""
    with zipfile.ZipFile(REPORT_TEMPLATES / "province_report.docx") as template:
        entries = [(n, template.read(n)) for n in template.namelist() if n != "docProps/core.xml"]  # (stamped)
    entries.append(("word/empty.xml", b""))
    moment = datetime(2024, 9, 10, 8, 30, 6)
    expected = io.BytesIO()
    with zipfile.ZipFile(expected, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            entry = zipfile.ZipInfo(name, date_time=(2024, 9, 10, 8, 30, 6))
            entry.compress_type, entry.external_attr = zipfile.ZIP_DEFLATED, 0o600 << 16
            archive.writestr(entry, data, compresslevel=COMPRESS_LEVEL)
    assert stamped_package(entries, moment) == expected.getvalue()
    assert stamped_package(entries, moment) == expected.getvalue()  # the compressed entries taken again
    with zipfile.ZipFile(io.BytesIO(stamped_package(entries, moment))) as package:
        assert package.testzip() is None and [package.read(n) for n, _ in entries] == [d for _, d in entries]


def _entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return {name: package.read(name) for name in package.namelist()}


def _same_document(written: bytes, fresh: bytes) -> None:
    """The same package: every part's bytes, but the document's XML, which need only mean the same."""
    from lxml import etree

    ours, theirs = _entries(written), _entries(fresh)
    assert list(ours) == list(theirs)
    for name in ours:
        if name == word.DOCUMENT_PART:
            assert etree.tostring(etree.fromstring(ours[name]), method="c14n") == \
                etree.tostring(etree.fromstring(theirs[name]), method="c14n")
        else:
            assert ours[name] == theirs[name], name


def test_unit_reports_written_as_rendered_are_the_documents_docxtpl_writes(demo, plan, tmp_path, monkeypatch):
    """A process opens a unit report's template once and writes each report's body as jinja2
    renders it. Each report must be the document docxtpl writes from a template opened afresh, and
    have the same bytes whichever report a process writes first, and as the demo's run wrote them."""
    outbox = demo.parent
    with Ledger(outbox.parent / "ledger.sqlite", outbox.parent) as ledger:
        result = consolidation(plan, ledger, plan.round("2024-annual"))
    codes = [u.code for u in documents.unit_reports(plan, result)]
    assert len(codes) == 11
    word.body_only.cache_clear()
    reused = {c: documents.write_unit_report(plan, result, tmp_path / "reused", c).read_bytes() for c in codes}
    assert word.body_only("district_report.docx").as_rendered  # type: ignore[union-attr]
    word.body_only.cache_clear()
    backwards = {c: documents.write_unit_report(plan, result, tmp_path / "backwards", c).read_bytes()
                 for c in reversed(codes)}
    assert backwards == reused
    written = {c: locations.unit_report_path(outbox, result.round.id, plan.unit(c)).read_bytes() for c in codes}
    assert reused == written
    monkeypatch.setattr(word, "body_only", lambda template: None)
    for code in codes:
        _same_document(reused[code], documents.write_unit_report(plan, result, tmp_path / "fresh", code).read_bytes())


HOSTILE_TEXT = "Tab\there\nline\x0bvt\x01 'q' \"dq\" <b>&amp; ]]> {{ x }} {% if %} end\ufffe"
HOSTILE_SHOWN = "Tab\there\nlinevt 'q' \"dq\" <b>&amp; ]]> {{ x }} {% if %} end"


@pytest.mark.parametrize("template", ["district_report.docx", "province_report.docx"])
def test_a_text_with_characters_xml_forbids_is_written_without_them_and_whole(demo, plan, tmp_path, template,
                                                                            monkeypatch):
    """A district may type any character into a cell. Those XML forbids are left out of a report;
    the rest of the text stays whole (lxml's recovering parser dropped what followed them: "<b>"
    became "b"). A unit report written as rendered is the document docxtpl writes."""
    outbox = demo.parent
    with Ledger(outbox.parent / "ledger.sqlite", outbox.parent) as ledger:
        result = consolidation(plan, ledger, plan.round("2024-annual"))
    unit = plan.unit(next(iter(result.reported)))
    from pipeline.reports.district import district_context
    from pipeline.reports.province import province_context

    context = district_context(plan, result, unit) if template.startswith("district") else \
        province_context(plan, result) | {"draft": False}
    context["signer"] = HOSTILE_TEXT
    moment = datetime(2024, 9, 10)
    word.body_only.cache_clear()
    written = word.render_docx(template, context, tmp_path / "written.docx", moment).read_bytes()
    assert HOSTILE_SHOWN in all_text(Document(io.BytesIO(written)))
    monkeypatch.setattr(word, "body_only", lambda template: None)
    _same_document(written, word.render_docx(template, context, tmp_path / "fresh.docx", moment).read_bytes())


@pytest.mark.parametrize(("cells", "grid"), [((2, 2), 2), ((2, 3), 2), ((1, 1), 2), ((1, "span2"), 2), ((), 1)])
def test_a_table_is_left_to_docxtpls_fix_exactly_when_the_fix_would_change_it(cells, grid):
    """A unit report skips docxtpl's fix_tables (a Python walk over every cell) when the tables' grids
    already fit their rows; whether they fit must be exactly whether the fix leaves them as they are."""
    from lxml import etree

    def row(count):
        if count == "span2":
            return '<w:tr><w:tc><w:tcPr><w:gridSpan w:val="2"/></w:tcPr></w:tc></w:tr>'
        return "<w:tr>" + "<w:tc><w:p/></w:tc>" * count + "</w:tr>"

    xml = (f'<w:document xmlns:w="{word.WORD_NS}"><w:body><w:tbl><w:tblGrid>'
           + '<w:gridCol w:w="1000"/>' * grid + "</w:tblGrid>" + "".join(row(c) for c in cells)
           + "</w:tbl></w:body></w:document>")
    tree = etree.fromstring(xml)
    fixed = word.Docx(io.BytesIO()).fix_tables(xml)
    assert word.grids_fit(tree) == (etree.tostring(fixed) == etree.tostring(tree))


def _cells(count: int, text: str = "", texts: tuple[str, ...] = ()) -> str:
    texts = texts or (text,) * count
    return "<w:tr>" + "".join(f"<w:tc><w:p><w:r><w:t>{t}</w:t></w:r></w:p></w:tc>" for t in texts) + "</w:tr>"


LOOP = [_cells(1, "{%tr for item in items %}"), _cells(2, "{{ item }}"), _cells(1, "{%tr endfor %}")]


@pytest.mark.parametrize(("rows", "always"), [
    ([_cells(2, "Tiêu đề"), *LOOP], True),
    ([*LOOP, _cells(2), *LOOP], True),
    (LOOP, False),  # no row is left when the list is empty
    ([_cells(1), *LOOP], False),  # only the looped rows are as wide as the grid
    ([_cells(2), LOOP[0], _cells(3), LOOP[2]], False),  # a looped row is wider than the grid
    ([_cells(0, texts=("{%tc for c in items %}", "{{ c }}", "{%tc endfor %}")), *LOOP], False),  # columns made
])
def test_a_template_is_written_as_rendered_only_when_no_rendering_needs_the_table_fix(rows, always):
    """A unit report is written as jinja2 renders it, with docxtpl's fix_tables skipped for good, only
    when its template cannot render a table that the fix would change, whatever the lists hold."""
    import jinja2
    from lxml import etree

    xml = (f'<w:document xmlns:w="{word.WORD_NS}"><w:body><w:tbl><w:tblGrid>' + '<w:gridCol w:w="1000"/>' * 2
           + "</w:tblGrid>" + "".join(rows) + "</w:tbl></w:body></w:document>")
    assert word.tables_always_fit(etree.fromstring(xml).find(f"{{{word.WORD_NS}}}body")) is always
    template = jinja2.Environment().from_string(word.cleaned(xml))
    fits = [word.grids_fit(etree.fromstring(template.render(items=items))) for items in ([], [1], [1, 2, 3])]
    assert all(fits) is always


def test_the_chart_is_taken_from_the_report_it_replaces_while_the_shares_show_the_same(demo, plan, tmp_path,
                                                                                      monkeypatch):
    """Drawing the chart takes matplotlib most of a second; a report rewritten with the same shares (to
    a tenth of a percent) takes the image, byte for byte, from the report it replaces."""
    with Ledger(demo.parent.parent / "ledger.sqlite", demo.parent.parent) as ledger:
        result = consolidation(plan, ledger, plan.round("2024-annual"))
    report = demo / "bao-cao_2024-annual.docx"
    with zipfile.ZipFile(report) as package:
        [image] = [package.read(n) for n in package.namelist() if n.startswith("word/media/")]
    assert chart.progress_chart(plan, result, tmp_path / "drawn.png").read_bytes() == image

    def drawn(*args):
        raise AssertionError("drawn again")

    monkeypatch.setattr(chart, "draw", drawn)
    assert chart.progress_chart(plan, result, tmp_path / "taken.png", report).read_bytes() == image
    changed = dataclasses.replace(result, progress=copy.deepcopy(result.progress))  # its totals summed afresh
    first = changed.progress[plan.roots[0].code][plan.indicators[0].code]
    first.cumulative = (first.cumulative or 0) + plan.totals["total"][plan.indicators[0].code] // 100  # +1%
    with pytest.raises(AssertionError, match="drawn again"):
        chart.progress_chart(plan, changed, tmp_path / "changed.png", report)


@pytest.mark.parametrize("template", sorted(p.name for p in REPORT_TEMPLATES.glob("*.docx")))
def test_every_style_a_report_template_uses_is_defined_in_it(template):
    """The templates are slimmed of the styles no report uses (scripts/slim_report_templates.py):
    every style a part names, or a kept style rests on, must still be there."""
    with zipfile.ZipFile(REPORT_TEMPLATES / template) as package:
        styles = package.read("word/styles.xml")
        defined = set(re.findall(rb'w:styleId="([^"]+)"', styles))
        named = set(re.findall(rb'<w:(?:basedOn|next|link) w:val="([^"]+)"', styles))
        for name in package.namelist():
            if name.endswith(".xml") and name != "word/styles.xml":
                named |= set(re.findall(rb'<w:(?:pStyle|rStyle|tblStyle|numStyleLink|styleLink) w:val="([^"]+)"',
                                        package.read(name)))
    assert b"TableGrid" in named
    assert named <= defined


def test_a_line_typed_on_two_lines_stays_on_two_lines_in_a_report():
    """Text with a line break or a tab (Alt+Enter in a cell) becomes Word's own break and tab; the
    reports skip docxtpl's rewriting only when no text has one."""
    template = Document()
    template.add_paragraph("{{ words }}")
    source = io.BytesIO()
    template.save(source)
    for words, breaks in (("Khó khăn một\nKhó khăn hai\tghi chú", 1), ("Khó khăn một", 0)):
        document = word.Docx(io.BytesIO(source.getvalue()))
        document.render({"words": words}, word.docx_environment())
        xml = document.docx.element.xml
        assert xml.count("<w:br/>") == breaks and xml.count("<w:tab/>") == breaks
        assert "\n" not in "".join(t.text for t in document.docx.element.iter(qn("w:t")))


def test_a_units_report_is_signed_by_the_chair_the_plan_names(plan_copy, tmp_path):
    """units.csv `chair` names who signs a unit's own report; empty, the line is left to sign by hand."""
    units = plan_copy / "units.csv"
    lines = units.read_text(encoding="utf-8").splitlines()
    lines[0] += ",chair"
    lines[1:] = [line + (",Lò Thị Chủ Tịch" if line.startswith("121,") else ",") for line in lines[1:]]
    units.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "outbox").mkdir()
    plan = load_plan(plan_copy)
    send(plan, tmp_path, "121")
    run(Paths.beside_outbox(tmp_path / "inbox", tmp_path / "outbox"), plan_copy, today=date(2024, 9, 9))
    report = Document(next((tmp_path / "outbox").rglob("*_121_*.docx")))
    signature = report.tables[-1]._tbl.xml
    assert "Lò Thị Chủ Tịch" in signature and "Nguyễn Thị Mẫu" not in signature
    header = "".join(cell.text for cell in report.tables[0].rows[0].cells)
    assert "HỘI LHPN HUYỆN\u00a0BẮC\u00a0YÊN" in header


def test_word_documents_are_tagged_vietnamese(demo):
    """Issue 31, finding 9: the Word files were tagged English (en-US), so Word underlined every
    Vietnamese word as misspelt."""
    documents = [demo / "bao-cao_2024-annual.docx", next((demo / "huyen").glob("*_121_*.docx"))]
    for path in documents:
        with zipfile.ZipFile(path) as package:
            styles = package.read("word/styles.xml").decode()
            tags = re.findall(r'<w:(?:lang|themeFontLang)\b[^>]*?\bw:val="([^"]*)"',
                              "".join(package.read(n).decode() for n in package.namelist() if n.endswith(".xml")))
        assert re.search(r'<w:rPrDefault>.*?<w:lang w:val="vi-VN"', styles, re.S), path.name
        assert tags and set(tags) == {"vi-VN"}, (path.name, tags)


def test_data_tables_repeat_their_heading_and_never_split_a_row(demo):
    """Issue 31, finding 6: document.xml had no repeating header row (tblHeader) and one cantSplit; a
    62-row table ran three pages with no heading, rows broke between pages."""
    for path in [demo / "bao-cao_2024-annual.docx", next((demo / "huyen").glob("*_121_*.docx"))]:
        document = Document(path)
        data = [t for t in document.tables if len(t.rows) > 2]
        assert len(data) >= 3, path.name
        for table in data:
            rows = table._tbl.findall(qn("w:tr"))
            assert rows[0].xpath("./w:trPr/w:tblHeader"), (path.name, table.rows[0].cells[0].text)
            assert all(row.xpath("./w:trPr/w:cantSplit") for row in rows), (path.name, table.rows[0].cells[0].text)
            assert not any(row.xpath("./w:trPr/w:tblHeader") for row in rows[1:])

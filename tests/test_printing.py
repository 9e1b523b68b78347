"""The provincial workbook and the annex as LibreOffice prints them on A4: every sheet's title whole,
legends whole, headers and units repeated on each page of a wide sheet, charts one to a page."""

import math
import re
import shutil
import subprocess

import openpyxl
import pytest

from tests.support.helpers import require, run_cli

pytestmark = pytest.mark.slow

ROUND = "2024-annual"


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    soffice = require(shutil.which("soffice"), "LibreOffice (soffice)")
    pdftotext = require(shutil.which("pdftotext"), "poppler-utils (pdftotext)")
    root = tmp_path_factory.mktemp("printing")
    assert run_cli("demo", "--workdir", str(root)).returncode == 0
    folder = root / "outbox" / ROUND
    books = [folder / f"tong-hop_{ROUND}.xlsx", folder / f"phu-luc_{ROUND}.xlsx"]
    subprocess.run([soffice, "--headless", f"-env:UserInstallation={(root / 'profile').as_uri()}", "--convert-to",
                    "pdf", "--outdir", str(root), *map(str, books)], check=True, capture_output=True, timeout=300)
    pages = {}
    for book in books:
        text = subprocess.run([pdftotext, str(root / f"{book.stem}.pdf"), "-"], check=True, capture_output=True,
                              text=True).stdout
        by_sheet: dict[str, list[str]] = {}
        for page in text.split("\f")[:-1]:
            sheet = re.search(rf"{ROUND} – (.+?)\s*\n", page).group(1)  # the footer names the sheet
            by_sheet.setdefault(sheet, []).append(_flat(page))
        pages[book.stem] = (openpyxl.load_workbook(book), by_sheet)
    pages["folder"] = root / "outbox"
    return pages


def test_every_sheet_prints_with_its_title_whole(printed):
    workbook, by_sheet = printed[f"tong-hop_{ROUND}"]
    assert list(by_sheet) == workbook.sheetnames
    for sheet in workbook.worksheets:
        lines = [_flat(sheet[cell].value) for cell in ("A1", "A2") if isinstance(sheet[cell].value, str)]
        assert all(line in by_sheet[sheet.title][0] for line in lines), sheet.title
        if sheet.print_title_cols and len(by_sheet[sheet.title]) > 1:
            # Printed in blocks (issue 31, finding 5): a title merged past the repeated columns was cut at
            # their edge on every later page (pdftotext still reads clipped text, so the layout is
            # checked): the title wraps within the repeated columns, and the note is merged over each
            # page's own columns.
            merged = {str(r).split(":")[0]: r for r in sheet.merged_cells.ranges}
            repeated = openpyxl.utils.column_index_from_string(sheet.print_title_cols.split(":")[1].strip("$"))
            assert merged["A1"].max_col == repeated and sheet["A1"].alignment.wrap_text, sheet.title
            note = sheet.cell(1, repeated + 1).value
            starts = [repeated + 1, *(b.id + 1 for b in sheet.col_breaks.brk)]
            for start in starts:
                cell = sheet.cell(1, start).coordinate
                assert cell in merged and sheet[cell].value == note and sheet[cell].alignment.wrap_text, cell
            for page in by_sheet[sheet.title]:
                assert _flat(sheet["A1"].value) in page and _flat(note) in page, sheet.title


def test_summary_pages_carry_title_units_and_legend_and_each_indicator_once(printed):
    workbook, by_sheet = printed[f"tong-hop_{ROUND}"]
    pages = by_sheet["Tổng hợp"]
    assert len(pages) == 4  # 11 indicators, three to an A4 page
    legend = "Mức hoàn thành: dưới 50% 50–99% từ 100%"
    for page in pages:
        assert legend in page and "Tổng cộng" in page and "Yên Châu" in page
        assert all(label in page for label in ("Ước TH", "Ước lũy", "% chỉ tiêu"))
    sheet = workbook["Tổng hợp"]
    groups = [_flat(c.value) for c in sheet[4] if isinstance(c.value, str) and c.value[:1].isdigit()]
    assert len(groups) == 11
    for group in groups:  # a heading wraps inside its cell: every word of it on exactly one page
        assert sum(set(group.split()) <= set(page.split()) for page in pages) == 1, group


def test_wide_input_sheet_is_split_not_shrunk(printed):
    _, by_sheet = printed[f"tong-hop_{ROUND}"]
    pages = by_sheet["Chỉ tiêu – số liệu"]
    assert len(pages) == 4
    for page in pages:
        assert "Cấp tỉnh" in page and "Yên Châu" in page


def test_progress_sheet_and_its_legend_on_one_page(printed):
    _, by_sheet = printed[f"tong-hop_{ROUND}"]
    assert len(by_sheet["Tiến độ"]) == 1
    page = by_sheet["Tiến độ"][0]
    assert "Chú thích: Đã hoàn thành Đúng tiến độ Chậm tiến độ Quá hạn chưa hoàn thành" in page


def test_charts_print_one_to_a_page(printed):
    _, by_sheet = printed[f"tong-hop_{ROUND}"]
    pages = by_sheet["Biểu đồ"]
    assert len(pages) == 3
    for title in ("Toàn tỉnh: % chỉ tiêu giai đoạn đã đạt", "Các huyện: % chỉ tiêu giai đoạn đã đạt, theo chỉ tiêu"):
        assert [title in page for page in pages].count(True) == 1, title
    assert not any(all(t in page for t in ("Toàn tỉnh: %", "Các huyện: %")) for page in pages)


def test_annex_says_which_report_it_belongs_to_on_every_page(printed):
    _, by_sheet = printed[f"phu-luc_{ROUND}"]
    pages = by_sheet["Tổng hợp"]
    assert len(pages) == 4
    for page in pages:
        assert "PHỤ LỤC: TỔNG HỢP KẾT QUẢ THỰC HIỆN DỰ ÁN 8 – BÁO CÁO KẾT QUẢ NĂM 2024" in page
        assert ("(Kèm theo Báo cáo số …/BC-HLHPN ngày … tháng … năm 2024 của Hội Liên hiệp Phụ nữ tỉnh Sơn "
                "La)") in page


def _width(sheet, column: int) -> float:
    for dimension in sheet.column_dimensions.values():
        if dimension.min and dimension.max and dimension.min <= column <= dimension.max:
            return dimension.width
    return 8.43


def cut_text(sheet) -> list[tuple[str, str]]:
    """The cells whose text will not print whole: wrapped text needing more lines than its row (or
    merged rows) holds, at a generous 1.3 characters of Times New Roman per unit of column width and
    point of font size over 11; or text too long for its cell, not wrapped, with a neighbour it cannot
    run into. Formulas are left out: their text depends on what is typed."""
    merged = {(r.min_row, r.min_col): r for r in sheet.merged_cells.ranges}
    covered = {(row, col) for r in sheet.merged_cells.ranges for row in range(r.min_row, r.max_row + 1)
               for col in range(r.min_col, r.max_col + 1)}
    cut = []
    for line in sheet.iter_rows():
        for c in line:
            if not isinstance(c.value, str) or c.value.startswith("="):
                continue
            span = merged.get((c.row, c.column))
            columns = range(span.min_col, span.max_col + 1) if span else [c.column]
            rows = range(span.min_row, span.max_row + 1) if span else [c.row]
            size = (c.font.sz or 11) / 11
            per_line = 1.3 * sum(_width(sheet, k) for k in columns) / size
            lines = sum(max(1, math.ceil(len(part) / per_line)) for part in c.value.split("\n"))
            height = sum(sheet.row_dimensions[k].height or 15 for k in rows)
            if c.alignment.wrap_text and height + 1 < 15 * size * lines:
                cut.append((c.coordinate, f"{lines} dòng trong {height} pt: {c.value[:40]}"))
            elif not c.alignment.wrap_text and lines > 1:
                right = (c.row, columns[-1] + 1)
                if right in covered or sheet.cell(*right).value not in (None, ""):
                    cut.append((c.coordinate, f"bị ô bên cạnh che: {c.value[:40]}"))
    return cut


def test_every_sheet_of_every_workbook_prints_its_text_whole(printed):
    """Issue 31, finding 5: titles, notes, names and files cut at the cell's edge or printed over the next
    rows. Every sheet of every round's workbook and annex, as the demo writes them."""
    books = sorted(printed["folder"].glob("*/tong-hop_*.xlsx")) + sorted(printed["folder"].glob("*/phu-luc_*.xlsx"))
    assert len(books) >= 6
    for path in books:
        for sheet in openpyxl.load_workbook(path).worksheets:
            assert cut_text(sheet) == [], (path.name, sheet.title)


def test_wrapped_findings_get_rows_tall_enough_to_print(printed):
    """Issue 31, finding 5: «Lỗi và cảnh báo» printed wrapped text over the next rows: neither Excel nor
    LibreOffice fits a row to wrapped text when it opens a file. Each row is as tall as its longest cell
    needs, even at a generous 1.3 characters of 11-point Times New Roman per unit of column width."""
    import math

    books = [openpyxl.load_workbook(p) for p in sorted(printed["folder"].glob("*/tong-hop_*.xlsx"))]  # every round
    checked = 0
    for book in books:
        sheet = book["Lỗi và cảnh báo"]
        widths = {letter: dimension.width for letter, dimension in sheet.column_dimensions.items()}
        for row in sheet.iter_rows(min_row=5):
            texts = [(str(c.value), widths.get(c.column_letter, 9)) for c in row if isinstance(c.value, str)]
            if not texts:
                continue
            lines = max(math.ceil(len(text) / (1.3 * width)) for text, width in texts)
            height = sheet.row_dimensions[row[0].row].height or 15
            assert height >= 15 * lines, (row[0].row, lines, height)
            checked += lines > 1
    assert checked >= 1

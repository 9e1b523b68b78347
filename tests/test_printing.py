"""The provincial workbook and the annex as LibreOffice prints them on A4: every sheet's title whole,
legends whole, headers and units repeated on each page of a wide sheet, charts one to a page."""

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
            # Printed in blocks: a title in one cell would be clipped at the repeated columns' edge on
            # the later pages (pdftotext still reads clipped text), so it must be merged and wrapped.
            merged = {str(r).split(":")[0]: r for r in sheet.merged_cells.ranges}
            for cell in ("A1", "A2")[:len(lines)]:
                assert cell in merged and merged[cell].max_col > 4, (sheet.title, cell)
                assert sheet[cell].alignment.wrap_text, (sheet.title, cell)


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
        assert ("PHỤ LỤC: TỔNG HỢP KẾT QUẢ THỰC HIỆN DỰ ÁN 8 – BÁO CÁO KẾT QUẢ NĂM 2024 (Kèm theo Báo cáo số "
                "…/BC-HLHPN ngày … tháng … năm 2024 của Hội Liên hiệp Phụ nữ tỉnh Sơn La)") in page


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

"""The provincial workbook of a round: the appendix's layout with live formulas, and behind every
figure the file, sheet and cell it came from. The sheets are written by the modules of
`pipeline.workbook`, one per sheet."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import xlsxwriter

from pipeline import __version__
from pipeline.core import xlsx
from pipeline.core.atomic import atomic_path
from pipeline.core.locations import area_workbook_name, workbook_name
from pipeline.core.vietnamese import round_title
from pipeline.figures.consolidate import Consolidation
from pipeline.plan import areas
from pipeline.plan.areas import Area
from pipeline.plan.model import Plan
from pipeline.workbook import activities as activity_sheet
from pipeline.workbook import (
    answers,
    area_status,
    budget,
    by_year,
    charts,
    findings,
    inputs,
    narrative,
    parts,
    progress,
    ratios,
    sources,
    status,
    successors,
    summary,
    trace,
)
from pipeline.workbook import phase as phase_sheet
from pipeline.workbook.book import SUMMARY, Book, generated_at, inputs_digest


def write_workbook(plan: Plan, result: Consolidation, out_dir: Path,
                   parts_written: Callable[[], object] = lambda: None) -> Path:
    """The round's workbook; in a plan split by area, the summary, which names each area's workbook
    with its SHA-256: it is laid out while they are written, and `parts_written` returns once they are."""
    path = Path(out_dir) / result.round.id / workbook_name(result.round.id)
    with atomic_path(path) as tmp:
        _write(plan, result, tmp, parts_written=parts_written)
    return path


def write_area_workbook(plan: Plan, result: Consolidation, out_dir: Path, area: Area) -> Path:
    """One area's detail workbook: its units' lines, figures, files, findings and provenance."""
    path = Path(out_dir) / result.round.id / area_workbook_name(result.round.id, area.slug)
    with atomic_path(path) as tmp:
        _write(plan, result, tmp, area=area)
    return path


def write_annex(plan: Plan, result: Consolidation, path: Path, annex_line: str) -> Path:
    """The appendix layout alone (the report's annex, as a workbook beside it), with the line that
    ties it to the report."""
    with atomic_path(path) as tmp:
        _write(plan, result, tmp, annex_line=annex_line)
    return path


def write_phase_workbook(plan: Plan, result: Consolidation, path: Path) -> Path:
    """The end-of-phase workbook: «Giai đoạn» first, then the latest round's sheets behind it."""
    with atomic_path(path) as tmp:
        _write(plan, result, tmp, phase=True)
    return path


def _write(plan: Plan, result: Consolidation, path: Path, *, annex_line: str = "", phase: bool = False,
           area: Area | None = None, parts_written: Callable[[], object] = lambda: None) -> None:
    wb = xlsx.Workbook(
        str(path),
        {
            "default_format_properties": {"font_name": "Times New Roman", "font_size": 11},
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "in_memory": True,  # no temporary file per part: 34 area workbooks of 20 parts in a national run
        },
        fastest_zip=True,
    )
    rnd = result.round
    beside = f"../{rnd.id}/" if phase else ""  # the phase's folder is beside the round's
    book = Book(plan, result, wb, area, {a.slug: beside + area_workbook_name(rnd.id, a.slug) for a in areas.of(plan)})
    records = book.records(this_round=False, every_area=True)
    wb.set_properties(
        {
            "title": f"Tổng hợp kết quả Dự án 8 – {round_title(rnd)}" + (f" – {area.name}" if area else ""),
            "subject": plan.document,
            "author": plan.reporting_body,
            "company": plan.reporting_body,
            "comments": f"Tạo bởi p8-pipeline {__version__} từ sổ ghi; kỳ {rnd.id}.",
            "created": generated_at(result, records),
        }
    )
    wb.set_custom_property("Kỳ báo cáo", rnd.id)
    wb.set_custom_property("Kế hoạch", plan.id)
    wb.set_custom_property("Phiên bản chương trình", __version__)
    wb.set_custom_property("SHA-256 dữ liệu vào", inputs_digest(plan, result, records))
    if not rnd.regular:
        _adhoc_sheets(book, wb)
        wb.close()
        return
    if phase:
        phase_sheet.write(book, wb.add_worksheet("Giai đoạn"))
    summary.write(book, wb.add_worksheet(SUMMARY), annex_line=annex_line)
    if not annex_line:
        progress.write(book, wb.add_worksheet("Tiến độ"))
        if any(u.valid_from is not None and u.valid_from <= rnd.district_deadline for u in book.members):
            successors.write(book, wb.add_worksheet("Theo đơn vị mới"))
        by_year.write(book, wb.add_worksheet("Theo năm"))
        inputs.write(book, wb.add_worksheet("Chỉ tiêu – số liệu"))
        ratios.write(book, wb.add_worksheet("Tỷ lệ"))
        budget.write(book, wb.add_worksheet("Kinh phí"))
        _submission_sheets(book, wb, activities=bool(plan.activities))
        digests = parts.write(book, wb.add_worksheet("Các phần")) if book.split and area is None else None
        if area is None:
            charts.write(book, wb, wb.add_worksheet("Biểu đồ"))
        if digests is not None:
            parts_written()
            digests(Path(path).parent)
    wb.close()


def _adhoc_sheets(book: Book, wb: xlsxwriter.Workbook) -> None:
    """An adhoc round: its answers, then what every round's workbook shows of the files behind them."""
    rnd = book.result.round
    if rnd.indicators or rnd.questions:
        answers.write(book, wb.add_worksheet(SUMMARY))
    _submission_sheets(book, wb, activities=bool(rnd.activities))


def _submission_sheets(book: Book, wb: xlsxwriter.Workbook, *, activities: bool) -> None:
    """What every round's workbook shows of the units' files: activities, their words, who sent what,
    the findings, and the provenance of every value."""
    if activities:
        activity_sheet.write(book, wb.add_worksheet("Hoạt động"))
    narrative.write(book, wb.add_worksheet("Thuyết minh"))
    sheet = wb.add_worksheet("Tình hình nộp báo cáo")
    (area_status if book.split and book.area is None else status).write(book, sheet)
    findings.write(book, wb.add_worksheet("Lỗi và cảnh báo"))
    trace.write(book, wb.add_worksheet("Truy nguồn"))
    sources.write(book, wb.add_worksheet("Nguồn dữ liệu"))

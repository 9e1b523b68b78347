"""The provincial workbook: cumulative results against targets, traceable to every source cell."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from . import __version__, form
from .atomic import atomic_path
from .ledger import Record, StoredValue
from .plan import Indicator, Plan, Round, Unit
from .vietnamese import round_title

BASIS_LABELS = {"final": "Chính thức", "estimate": "Ước tính", None: "Chưa báo cáo"}
# Progress against the phase target: below 50%, 50-99%, at least 100%.
PROGRESS_BANDS: tuple[dict, ...] = (
    {"rule": {"type": "cell", "criteria": "<", "value": 0.5}, "style": "band_low"},
    {"rule": {"type": "cell", "criteria": "between", "minimum": 0.5, "maximum": 0.99999},
     "style": "band_mid"},
    {"rule": {"type": "cell", "criteria": ">=", "value": 1}, "style": "band_high"},
)


@dataclass(frozen=True)
class Source:
    round: str
    record_id: int
    file: str
    sheet: str
    cell: str
    value: int


@dataclass
class Progress:
    """One unit's cumulative figure for one indicator, and the figures it rests on."""

    cumulative: int | None = None
    basis: str | None = None  # "final" when every year rests on an update round, else "estimate"
    sources: list[Source] = field(default_factory=list)


@dataclass
class RatioParts:
    numerator: int | None = None
    denominator: int | None = None
    sources: list[Source] = field(default_factory=list)


@dataclass
class Consolidation:
    round: Round
    progress: dict[str, dict[str, Progress]]  # unit -> indicator -> progress
    ratios: dict[str, dict[str, RatioParts]]  # unit -> ratio -> parts
    reported: dict[str, Record]  # unit -> the accepted submission of this round
    records: list[Record]  # every submission that fed the figures, superseded ones included


History = Mapping[str, Mapping[str, tuple[Record, Mapping[str, StoredValue]]]]
"""round id -> unit -> (accepted record, its values), for the rounds through the one consolidated."""


def accumulate(kind: str, figures: list[int]) -> int | None:
    """Stocks keep the latest count; flows add up the years. `figures` is in year order."""
    if not figures:
        return None
    return figures[-1] if kind == "stock" else sum(figures)


def unit_progress(plan: Plan, rnd: Round, unit: str, indicator: Indicator, history: History) -> Progress:
    """Each year's figure comes from the latest round of that year (the update supersedes the
    annual estimate); the years are then accumulated by the indicator's kind. A flow whose first
    reported round had no carried figure starts from the cumulative figure the unit typed there."""
    by_year: dict[int, tuple[Round, Source]] = {}
    baselines: dict[int, Source] = {}
    for earlier in plan.rounds_through(rnd.id):
        entry = history.get(earlier.id, {}).get(unit)
        if entry is None:
            continue
        record, values = entry
        stored = values.get(form.field_name(indicator.code, form.YEAR_MEASURE[earlier.kind]))
        if stored is None or stored.number is None:
            continue
        by_year[earlier.year] = (earlier, _source(earlier, record, stored))
        typed = values.get(form.field_name(indicator.code, form.PREVIOUS))
        if typed is not None and typed.number is not None:
            baselines[earlier.year] = _source(earlier, record, typed)
        else:
            baselines.pop(earlier.year, None)
    years = sorted(by_year)
    if not years:
        return Progress()
    sources = [by_year[y][1] for y in years]
    basis = "final" if all(by_year[y][0].kind == "update" for y in years) else "estimate"
    if indicator.kind == "stock":
        return Progress(sources[-1].value, basis, sources[-1:])
    if years[0] in baselines:
        sources.insert(0, baselines[years[0]])
    return Progress(accumulate(indicator.kind, [s.value for s in sources]), basis, sources)


def _source(rnd: Round, record: Record, stored: StoredValue) -> Source:
    return Source(rnd.id, record.id, record.original_name, stored.sheet, stored.cell, int(stored.number or 0))


def consolidate(plan: Plan, rnd: Round, history: History, records: list[Record]) -> Consolidation:
    progress = {
        unit.code: {i.code: unit_progress(plan, rnd, unit.code, i, history) for i in plan.indicators}
        for unit in plan.units
    }
    this_round = history.get(rnd.id, {})
    ratios: dict[str, dict[str, RatioParts]] = {}
    for unit in plan.units:
        ratios[unit.code] = {}
        for ratio in plan.ratios:
            parts = RatioParts()
            if unit.code in this_round:
                record, values = this_round[unit.code]
                for measure in ("num", "den"):
                    stored = values.get(form.field_name(ratio.code, measure))
                    if stored is not None and stored.number is not None:
                        setattr(parts, "numerator" if measure == "num" else "denominator",
                                int(stored.number))
                        parts.sources.append(_source(rnd, record, stored))
            ratios[unit.code][ratio.code] = parts
    reported = {unit: entry[0] for unit, entry in this_round.items()}
    return Consolidation(rnd, progress, ratios, reported, records)


def total_progress(result: Consolidation, units: list[Unit], indicator: str) -> int | None:
    figures = [result.progress[u.code][indicator].cumulative for u in units]
    known = [f for f in figures if f is not None]
    return sum(known) if known else None


# -- the workbook --------------------------------------------------------------------------------


def workbook_name(rnd: Round) -> str:
    return f"tong-hop_{rnd.id}.xlsx"


def write_workbook(plan: Plan, result: Consolidation, out_dir: Path) -> Path:
    path = Path(out_dir) / result.round.id / workbook_name(result.round)
    with atomic_path(path) as tmp:
        _write(tmp, plan, result)
    return path


def _generated_at(result: Consolidation) -> datetime:
    """Taken from the inputs, not the clock, so the same ledger gives the same bytes."""
    stamps = [r.received_at for r in result.records]
    if not stamps:
        return datetime(result.round.year, 1, 1)
    return datetime.fromisoformat(max(stamps)).replace(tzinfo=None)


def _write(path: Path, plan: Plan, result: Consolidation) -> None:
    wb = xlsxwriter.Workbook(
        str(path),
        {"default_format_properties": {"font_name": "Times New Roman", "font_size": 11},
         "strings_to_formulas": False, "strings_to_urls": False},
    )
    wb.set_properties({
        "title": f"Tổng hợp kết quả Dự án 8 – {round_title(result.round)}",
        "author": plan.reporting_body,
        "comments": f"p8-pipeline {__version__}; plan {plan.id}; round {result.round.id}",
        "created": _generated_at(result),
    })
    styles = {
        "title": wb.add_format({"bold": True, "font_size": 14}),
        "header": wb.add_format({"bold": True, "border": 1, "text_wrap": True, "align": "center",
                                 "valign": "vcenter", "bg_color": "#D9E1F2"}),
        "text": wb.add_format({"border": 1, "text_wrap": True, "valign": "vcenter"}),
        "bold_text": wb.add_format({"border": 1, "bold": True, "valign": "vcenter"}),
        "number": wb.add_format({"border": 1, "num_format": "#,##0"}),
        "bold_number": wb.add_format({"border": 1, "bold": True, "num_format": "#,##0"}),
        "percent": wb.add_format({"border": 1, "num_format": "0.0%"}),
        "band_low": wb.add_format({"bg_color": "#F8CBAD"}),
        "band_mid": wb.add_format({"bg_color": "#FFE699"}),
        "band_high": wb.add_format({"bg_color": "#C6EFCE"}),
    }
    _write_summary(wb.add_worksheet("Tổng hợp"), plan, result, styles)
    _write_indicator_data(wb.add_worksheet("Số liệu chỉ tiêu"), plan, result, styles)
    _write_ratio_data(wb.add_worksheet("Số liệu tỷ lệ"), plan, result, styles)
    _write_sources(wb.add_worksheet("Nguồn dữ liệu"), plan, result, styles)
    wb.close()


def _write_summary(ws, plan: Plan, result: Consolidation, styles) -> None:
    ws.write(0, 0, f"TỔNG HỢP KẾT QUẢ THỰC HIỆN DỰ ÁN 8 – {round_title(result.round).upper()}",
             styles["title"])
    ws.write(1, 0, f"Theo {plan.document}. Lũy kế: tổ/nhóm, CLB, địa chỉ (tồn tại) lấy số mới "
                   "nhất; cuộc, cán bộ (hoạt động) cộng dồn các năm.")
    top, sub = 3, 4
    for col, label in enumerate(["TT", "Đơn vị", "Số bản ĐBKK", "Căn cứ số liệu"]):
        ws.merge_range(top, col, sub, col, label, styles["header"])
    first = 4
    for k, indicator in enumerate(plan.indicators):
        col = first + 3 * k
        ws.merge_range(top, col, top, col + 2, f"{indicator.no}. {indicator.short_name} ({indicator.unit})",
                       styles["header"])
        for offset, label in enumerate(["Chỉ tiêu", "Lũy kế", "% chỉ tiêu"]):
            ws.write(sub, col + offset, label, styles["header"])
    ws.set_row(top, 60)
    ws.set_column(1, 1, 22)
    ws.set_column(3, 3, 12)
    ws.set_column(first, first + 3 * len(plan.indicators), 9)
    ws.freeze_panes(sub + 1, 2)

    total_row, province_row, districts_row = sub + 1, sub + 2, sub + 3
    district_rows = {u.code: districts_row + 1 + i for i, u in enumerate(plan.districts)}
    first_d, last_d = districts_row + 1, districts_row + len(plan.districts)
    province = plan.province_unit

    ws.write(total_row, 0, "", styles["bold_text"])
    ws.write(total_row, 1, "Tổng cộng", styles["bold_text"])
    ws.write(province_row, 0, "I", styles["bold_text"])
    ws.write(province_row, 1, province.name, styles["bold_text"])
    ws.write(districts_row, 0, "II", styles["bold_text"])
    ws.write(districts_row, 1, "Cấp huyện", styles["bold_text"])
    villages = sum(u.villages or 0 for u in plan.districts)
    ws.write_formula(total_row, 2, f"={_cell(districts_row, 2)}", styles["bold_number"], villages)
    ws.write_blank(province_row, 2, None, styles["number"])
    ws.write_formula(districts_row, 2, f"=SUM({_cell(first_d, 2)}:{_cell(last_d, 2)})",
                     styles["bold_number"], villages)
    ws.write(province_row, 3, _basis_label(result, province.code), styles["text"])
    for unit in plan.districts:
        row = district_rows[unit.code]
        ws.write(row, 0, unit.appendix_no, styles["text"])
        ws.write(row, 1, unit.name, styles["text"])
        ws.write_number(row, 2, unit.villages or 0, styles["number"])
        ws.write(row, 3, _basis_label(result, unit.code), styles["text"])

    for k, indicator in enumerate(plan.indicators):
        col = first + 3 * k
        code = indicator.code
        figures: dict[int, tuple[int, int | None]] = {}  # row -> (target, cumulative)
        for unit, row in [(province, province_row), *[(u, district_rows[u.code]) for u in plan.districts]]:
            target = plan.targets[unit.code][code]
            cumulative = result.progress[unit.code][code].cumulative
            ws.write_number(row, col, target, styles["number"])
            if cumulative is None:
                ws.write_blank(row, col + 1, None, styles["number"])
            else:
                ws.write_number(row, col + 1, cumulative, styles["number"])
            figures[row] = (target, cumulative)
        district_target = sum(plan.targets[u.code][code] for u in plan.districts)
        district_cumulative = total_progress(result, list(plan.districts), code)
        province_target = plan.targets[province.code][code]
        figures[districts_row] = (district_target, district_cumulative)
        figures[total_row] = (province_target + district_target,
                              total_progress(result, list(plan.units), code))
        for c, offset in ((col, 0), (col + 1, 1)):
            ws.write_formula(districts_row, c, f"=SUM({_cell(first_d, c)}:{_cell(last_d, c)})",
                             styles["bold_number"], figures[districts_row][offset] or 0)
            ws.write_formula(total_row, c, f"={_cell(province_row, c)}+{_cell(districts_row, c)}",
                             styles["bold_number"], figures[total_row][offset] or 0)
        for row, (target, cumulative) in figures.items():
            share = (cumulative or 0) / target if target else ""
            ws.write_formula(row, col + 2,
                             f'=IF({_cell(row, col)}>0,{_cell(row, col + 1)}/{_cell(row, col)},"")',
                             styles["percent"], share)
        for criteria in PROGRESS_BANDS:
            ws.conditional_format(total_row, col + 2, last_d, col + 2,
                                  {**criteria["rule"], "format": styles[criteria["style"]]})
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(top, sub)


def _basis_label(result: Consolidation, unit: str) -> str:
    bases = {p.basis for p in result.progress[unit].values() if p.basis}
    if not bases:
        return BASIS_LABELS[None]
    return BASIS_LABELS["estimate" if "estimate" in bases else "final"]


def _cell(row: int, col: int) -> str:
    return xl_rowcol_to_cell(row, col)


def _write_indicator_data(ws, plan: Plan, result: Consolidation, styles) -> None:
    headers = ["Mã đơn vị", "Đơn vị", "Mã chỉ tiêu", "Chỉ tiêu", "Lũy kế", "Căn cứ", "Kỳ báo cáo",
               "Giá trị", "Tệp nguồn", "Mã sổ ghi", "Trang", "Ô"]
    _table_header(ws, headers, styles)
    row = 1
    for unit in plan.units:
        for indicator in plan.indicators:
            progress = result.progress[unit.code][indicator.code]
            sources: list[Source | None] = list(progress.sources) or [None]
            for source in sources:
                ws.write_string(row, 0, unit.code)
                ws.write_string(row, 1, unit.name)
                ws.write_string(row, 2, indicator.code)
                ws.write_string(row, 3, indicator.short_name)
                if progress.cumulative is not None:
                    ws.write_number(row, 4, progress.cumulative)
                ws.write_string(row, 5, BASIS_LABELS[progress.basis])
                if source is not None:
                    ws.write_string(row, 6, source.round)
                    ws.write_number(row, 7, source.value)
                    ws.write_string(row, 8, source.file)
                    ws.write_number(row, 9, source.record_id)
                    ws.write_string(row, 10, source.sheet)
                    ws.write_string(row, 11, source.cell)
                row += 1
    _table_footer(ws, row - 1, len(headers))


def _write_ratio_data(ws, plan: Plan, result: Consolidation, styles) -> None:
    headers = ["Mã đơn vị", "Đơn vị", "Mã chỉ tiêu", "Chỉ tiêu", "Tử số", "Mẫu số", "Tỷ lệ",
               "Mục tiêu", "Nguồn (tệp / trang / ô)"]
    _table_header(ws, headers, styles)
    row = 1
    for ratio in plan.ratios:
        for unit in plan.units:
            parts = result.ratios[unit.code][ratio.code]
            ws.write_string(row, 0, unit.code)
            ws.write_string(row, 1, unit.name)
            ws.write_string(row, 2, ratio.code)
            ws.write_string(row, 3, ratio.name)
            if parts.numerator is not None:
                ws.write_number(row, 4, parts.numerator)
            if parts.denominator is not None:
                ws.write_number(row, 5, parts.denominator)
            num, den = _cell(row, 4), _cell(row, 5)
            share = (parts.numerator / parts.denominator
                     if parts.numerator is not None and parts.denominator else "")
            ws.write_formula(row, 6, f'=IF(N({den})>0,{num}/{den},"")', styles["percent"], share)
            ws.write_number(row, 7, ratio.target_percent / 100, styles["percent"])
            ws.write_string(row, 8, "; ".join(f"{s.file} / {s.sheet} / {s.cell}" for s in parts.sources))
            row += 1
    _table_footer(ws, row - 1, len(headers))


def _write_sources(ws, plan: Plan, result: Consolidation, styles) -> None:
    headers = ["Mã sổ ghi", "Tệp gốc", "Người gửi", "Ngày nhận", "Đơn vị", "Kỳ báo cáo",
               "Phiên bản mẫu", "Trạng thái", "SHA-256", "Lưu tại"]
    _table_header(ws, headers, styles)
    for row, record in enumerate(sorted(result.records, key=lambda r: r.id), start=1):
        cells = [record.id, record.original_name, record.sender or "", record.received_at,
                 record.unit or "", record.round or "", record.template_version or "", record.status,
                 record.sha256, record.stored_path]
        for col, value in enumerate(cells):
            if isinstance(value, int):
                ws.write_number(row, col, value)
            else:
                ws.write_string(row, col, value)
    _table_footer(ws, len(result.records), len(headers), width=16)


def _table_header(ws, headers: list[str], styles) -> None:
    for col, label in enumerate(headers):
        ws.write(0, col, label, styles["header"])


def _table_footer(ws, last_row: int, columns: int, width: int = 14) -> None:
    """Filterable, with the header frozen, as auditors work through long lists."""
    ws.autofilter(0, 0, max(1, last_row), columns - 1)
    ws.freeze_panes(1, 0)
    ws.set_column(0, columns - 1, width)

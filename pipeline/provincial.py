"""The provincial workbook of a round: the appendix's layout with live formulas, and behind every
figure the file, sheet and cell it came from."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from pathlib import Path

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from . import __version__, form
from .atomic import atomic_path
from .consolidate import Consolidation, Source, ratio_total, share, total_progress, year_total
from .plan import Plan, Unit
from .vietnamese import format_date, round_title

BASIS_LABELS = {"final": "Chính thức", "estimate": "Ước tính", None: "Chưa báo cáo"}
STATUS_LABELS = {
    "accepted": "Tiếp nhận",
    "accepted_with_warnings": "Tiếp nhận, có lưu ý",
    "rejected": "Trả lại",
    "duplicate": "Trùng",
    "superseded": "Đã được thay thế",
    "unpacked": "Thư (đã tách tệp)",
}
SEVERITY_LABELS = {"error": "Lỗi", "warning": "Lưu ý"}
# Progress against the phase target: below 50%, 50-99%, at least 100%.
PROGRESS_BANDS: tuple[dict, ...] = (
    {"type": "cell", "criteria": "<", "value": 0.5, "style": "band_low"},
    {"type": "cell", "criteria": "between", "minimum": 0.5, "maximum": 0.99999, "style": "band_mid"},
    {"type": "cell", "criteria": ">=", "value": 1, "style": "band_high"},
)
SUMMARY = "Tổng hợp"
SUBMISSION_COLUMNS = ["Mã", "Đơn vị", "Tệp", "Mã sổ ghi"]


def workbook_name(round_id: str) -> str:
    return f"tong-hop_{round_id}.xlsx"


def write_workbook(plan: Plan, result: Consolidation, out_dir: Path) -> Path:
    path = Path(out_dir) / result.round.id / workbook_name(result.round.id)
    with atomic_path(path) as tmp:
        _Workbook(plan, result).write(tmp)
    return path


def write_annex(plan: Plan, result: Consolidation, path: Path) -> Path:
    """The appendix layout alone (the report's annex, as a workbook beside it)."""
    with atomic_path(path) as tmp:
        _Workbook(plan, result).write(tmp, only_summary=True)
    return path


def inputs_digest(plan: Plan, result: Consolidation) -> str:
    """One hash of everything the workbook rests on: the plan, and every file with its status."""
    text = "\n".join([plan.id, result.round.id, *(f"{r.id}:{r.sha256}:{r.status}" for r in result.records)])
    return hashlib.sha256(text.encode()).hexdigest()


def generated_at(result: Consolidation) -> datetime:
    """Taken from the inputs, not the clock, so the same ledger gives the same bytes."""
    stamps = [datetime.fromisoformat(r.received_at).replace(tzinfo=None) for r in result.records]
    return max(stamps) if stamps else datetime(result.round.year, 1, 1)


def _cell(row: int, col: int) -> str:
    return xl_rowcol_to_cell(row, col)


class _Workbook:
    def __init__(self, plan: Plan, result: Consolidation):
        self.plan, self.result = plan, result
        self.units = list(plan.units)
        self.districts = list(plan.districts)
        self.summary_rows: dict[str, int] = {}  # unit code or "total" -> row on Tổng hợp
        self.summary_cols: dict[str, int] = {}  # indicator -> its target column on Tổng hợp

    def write(self, path: Path, *, only_summary: bool = False) -> None:
        wb = xlsxwriter.Workbook(
            str(path),
            {
                "default_format_properties": {"font_name": "Times New Roman", "font_size": 11},
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        rnd = self.result.round
        wb.set_properties(
            {
                "title": f"Tổng hợp kết quả Dự án 8 – {round_title(rnd)}",
                "subject": self.plan.document,
                "author": self.plan.reporting_body,
                "company": self.plan.reporting_body,
                "comments": f"Tạo bởi p8-pipeline {__version__} từ sổ ghi; kỳ {rnd.id}.",
                "created": generated_at(self.result),
            }
        )
        wb.set_custom_property("Kỳ báo cáo", rnd.id)
        wb.set_custom_property("Kế hoạch", self.plan.id)
        wb.set_custom_property("Phiên bản chương trình", __version__)
        wb.set_custom_property("SHA-256 dữ liệu vào", inputs_digest(self.plan, self.result))
        self.styles = _styles(wb)
        self._summary(wb.add_worksheet(SUMMARY))
        if only_summary:
            wb.close()
            return
        self._by_year(wb.add_worksheet("Theo năm"))
        self._indicator_inputs(wb.add_worksheet("Chỉ tiêu – số liệu"))
        self._ratios(wb.add_worksheet("Tỷ lệ"))
        self._budget(wb.add_worksheet("Kinh phí"))
        self._narrative(wb.add_worksheet("Thuyết minh"))
        self._status(wb.add_worksheet("Tình hình nộp báo cáo"))
        self._findings(wb.add_worksheet("Lỗi và cảnh báo"))
        self._trace(wb.add_worksheet("Truy nguồn"))
        self._sources(wb.add_worksheet("Nguồn dữ liệu"))
        self._charts(wb, wb.add_worksheet("Biểu đồ"))
        wb.close()

    # -- helpers ---------------------------------------------------------------------------------

    def _title(self, ws, text: str, note: str = "") -> None:
        ws.write_string(0, 0, text, self.styles["title"])
        if note:
            ws.write_string(1, 0, note, self.styles["italic"])

    def _headers(self, ws, row: int, headers: list[str], widths: list[int] | None = None) -> None:
        for col, label in enumerate(headers):
            ws.write_string(row, col, label, self.styles["header"])
            ws.set_column(col, col, (widths or [])[col] if widths and col < len(widths) else 14)
        ws.set_row(row, 32)

    def _grouped_header(self, ws, fixed: list[str], groups: list[tuple[str, list[str]]], heights=(45, 45)) -> int:
        """Rows 4-5: fixed columns merged over both rows, then each group's title over its columns.
        Returns the first column after the fixed ones."""
        top, sub = 3, 4
        for col, label in enumerate(fixed):
            ws.merge_range(top, col, sub, col, label, self.styles["header"])
        col = len(fixed)
        for title, labels in groups:
            if len(labels) > 1:
                ws.merge_range(top, col, top, col + len(labels) - 1, title, self.styles["header"])
            else:
                ws.write_string(top, col, title, self.styles["header"])
            for offset, label in enumerate(labels):
                ws.write_string(sub, col + offset, label, self.styles["header"])
            col += len(labels)
        ws.set_row(top, heights[0])
        ws.set_row(sub, heights[1])
        return len(fixed)

    def _put(self, ws, row: int, col: int, value, style: str = "text") -> None:
        """Numbers as numbers; everything else as text (never as a formula)."""
        fmt = self.styles[style]
        if value is None or value == "":
            ws.write_blank(row, col, None, fmt)
        elif isinstance(value, bool):
            ws.write_string(row, col, "Có" if value else "Không", fmt)
        elif isinstance(value, int | float):
            ws.write_number(row, col, value, fmt)
        else:
            ws.write_string(row, col, str(value), fmt)

    def _table_end(self, ws, header_row: int, last_row: int, columns: int) -> None:
        ws.autofilter(header_row, 0, max(header_row + 1, last_row), columns - 1)
        ws.freeze_panes(header_row + 1, 2)
        self._page(ws, header_row)

    def _page(self, ws, header_row: int, *, fit_width: bool = True) -> None:
        ws.set_landscape()
        ws.set_paper(9)
        ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
        if fit_width:
            ws.fit_to_pages(1, 0)
        ws.repeat_rows(header_row)
        ws.set_footer(f"&L{self.result.round.id}&CTrang &P/&N")

    # -- Tổng hợp --------------------------------------------------------------------------------

    def _summary(self, ws) -> None:
        plan, result, s = self.plan, self.result, self.styles
        self._title(
            ws,
            f"TỔNG HỢP KẾT QUẢ THỰC HIỆN DỰ ÁN 8 – {round_title(result.round).upper()}",
            f"Theo biểu chỉ tiêu kèm {plan.document}. Lũy kế: tổ, nhóm, CLB, địa chỉ (tồn tại và duy "
            "trì) lấy số mới nhất; cuộc, cán bộ (hoạt động) cộng dồn các năm. Căn cứ: «Chính thức» là "
            "số cập nhật cả năm, «Ước tính» có năm dựa trên số ước tháng 9.",
        )
        top, sub = 3, 4
        first = self._grouped_header(
            ws, ["TT", "Đơn vị", "Số bản ĐBKK", "Căn cứ số liệu"],
            [(f"{i.no}. {i.short_name} ({i.unit})", ["Chỉ tiêu", "Lũy kế", "% chỉ tiêu"]) for i in plan.indicators],
            heights=(62, 15),
        )
        for k, indicator in enumerate(plan.indicators):
            self.summary_cols[indicator.code] = first + 3 * k
        ws.set_column(0, 0, 5)
        ws.set_column(1, 1, 20)
        ws.set_column(2, 3, 11)
        ws.set_column(first, first + 3 * len(plan.indicators) - 1, 9)
        ws.freeze_panes(sub + 1, 2)

        total_row, province_row, districts_row = sub + 1, sub + 2, sub + 3
        rows = {"total": total_row, plan.province_unit.code: province_row}
        rows.update({u.code: districts_row + 1 + i for i, u in enumerate(self.districts)})
        self.summary_rows = rows
        first_d, last_d = districts_row + 1, districts_row + len(self.districts)
        labels = [
            (total_row, "", "Tổng cộng"),
            (province_row, "I", plan.province_unit.name),
            (districts_row, "II", "Cấp huyện"),
        ]
        for row, number, name in labels:
            ws.write_string(row, 0, number, s["bold_text"])
            ws.write_string(row, 1, name, s["bold_text"])
        villages = sum(u.villages or 0 for u in self.districts)
        ws.write_formula(total_row, 2, f"={_cell(districts_row, 2)}", s["bold_number"], villages)
        ws.write_blank(province_row, 2, None, s["number"])
        ws.write_formula(
            districts_row, 2, f"=SUM({_cell(first_d, 2)}:{_cell(last_d, 2)})", s["bold_number"], villages
        )
        for row in (total_row, districts_row):
            ws.write_blank(row, 3, None, s["bold_text"])
        ws.write_string(province_row, 3, self._basis(plan.province_unit.code), s["text"])
        for unit in self.districts:
            row = rows[unit.code]
            ws.write_string(row, 0, unit.appendix_no, s["text"])
            ws.write_string(row, 1, unit.name, s["text"])
            ws.write_number(row, 2, unit.villages or 0, s["number"])
            ws.write_string(row, 3, self._basis(unit.code), s["text"])

        for indicator in plan.indicators:
            col, code = self.summary_cols[indicator.code], indicator.code
            for unit in self.units:
                row = rows[unit.code]
                ws.write_number(row, col, plan.targets[unit.code][code], s["number"])
                self._put(ws, row, col + 1, result.progress[unit.code][code].cumulative, "number")
            district_target = sum(plan.targets[u.code][code] for u in self.districts)
            figures = {
                districts_row: (district_target, total_progress(result, self.districts, code)),
                total_row: (plan.totals["total"][code], total_progress(result, self.units, code)),
            }
            for offset in (0, 1):
                c = col + offset
                ws.write_formula(
                    districts_row,
                    c,
                    f"=SUM({_cell(first_d, c)}:{_cell(last_d, c)})",
                    s["bold_number"],
                    figures[districts_row][offset] or 0,
                )
                ws.write_formula(
                    total_row,
                    c,
                    f"={_cell(province_row, c)}+{_cell(districts_row, c)}",
                    s["bold_number"],
                    figures[total_row][offset] or 0,
                )
            for unit in self.units:
                figures[rows[unit.code]] = (
                    plan.targets[unit.code][code],
                    result.progress[unit.code][code].cumulative,
                )
            for row, (target, cumulative) in figures.items():
                cached = share(cumulative or 0, target)
                ws.write_formula(
                    row,
                    col + 2,
                    f'=IF({_cell(row, col)}>0,{_cell(row, col + 1)}/{_cell(row, col)},"")',
                    s["percent"],
                    cached if cached is not None else "",
                )
            for band in PROGRESS_BANDS:
                rule = {k: v for k, v in band.items() if k != "style"}
                ws.conditional_format(
                    total_row, col + 2, last_d, col + 2, {**rule, "format": s[band["style"]]}
                )
        legend = last_d + 2
        ws.write_string(legend, 1, "Mức hoàn thành:", s["italic"])
        for offset, (style, label) in enumerate(
            (("band_low", "dưới 50%"), ("band_mid", "50–99%"), ("band_high", "từ 100%"))
        ):
            ws.write_string(legend, 2 + offset, label, s[f"{style}_cell"])
        self._page(ws, sub, fit_width=False)
        ws.repeat_rows(top, sub)
        # The appendix is 37 columns wide: print four indicators to an A4 page, units repeated.
        ws.repeat_columns(0, 3)
        ws.set_print_scale(80)
        ws.set_v_pagebreaks([first + 12 * page for page in range(1, -(-len(plan.indicators) // 4))])

    def _basis(self, unit: str) -> str:
        bases = {p.basis for p in self.result.progress[unit].values() if p.basis}
        if not bases:
            return BASIS_LABELS[None]
        return BASIS_LABELS["estimate" if "estimate" in bases else "final"]

    # -- Theo năm --------------------------------------------------------------------------------

    def _by_year(self, ws) -> None:
        plan, result, s = self.plan, self.result, self.styles
        years = sorted({r.year for r in plan.rounds_through(result.round.id)})
        self._title(
            ws,
            "KẾT QUẢ TỪNG NĂM VÀ LŨY KẾ",
            "Số của mỗi năm lấy từ kỳ cập nhật cả năm nếu có, nếu không từ số ước tháng 9. "
            "«Trước kỳ» là số lũy kế do đơn vị tự khai ở kỳ đầu tiên (chỉ với hoạt động).",
        )
        headers = ["Mã", "Đơn vị", "Trước kỳ", *[str(y) for y in years], "Lũy kế", "Căn cứ"]
        ws.set_column(0, 0, 6)
        ws.set_column(1, 1, 20)
        ws.set_column(2, len(headers) - 2, 10)
        ws.set_column(len(headers) - 1, len(headers) - 1, 12)
        row = 3
        for indicator in plan.indicators:
            rule = "lũy kế = số mới nhất" if indicator.kind == "stock" else "lũy kế = cộng dồn các năm"
            ws.merge_range(
                row,
                0,
                row,
                len(headers) - 1,
                f"{indicator.no}. {indicator.name} ({indicator.unit}) – {rule}",
                s["group"],
            )
            row += 1
            for col, label in enumerate(headers):
                ws.write_string(row, col, label, s["header"])
            row += 1
            first = row
            for unit in self.units:
                progress = result.progress[unit.code][indicator.code]
                ws.write_string(row, 0, unit.code, s["text"])
                ws.write_string(row, 1, unit.name, s["text"])
                self._put(ws, row, 2, progress.baseline.value if progress.baseline else None, "number")
                for offset, year in enumerate(years):
                    source = progress.years.get(year)
                    self._put(ws, row, 3 + offset, source.value if source else None, "number")
                cumulative_col = 3 + len(years)
                if indicator.kind == "flow" and progress.cumulative is not None:
                    ws.write_formula(
                        row,
                        cumulative_col,
                        f"=SUM({_cell(row, 2)}:{_cell(row, cumulative_col - 1)})",
                        s["number"],
                        progress.cumulative,
                    )
                else:
                    self._put(ws, row, cumulative_col, progress.cumulative, "number")
                ws.write_string(row, cumulative_col + 1, BASIS_LABELS[progress.basis], s["text"])
                row += 1
            ws.write_string(row, 1, "Tổng cộng", s["bold_text"])
            totals = [
                sum(
                    p.baseline.value
                    for u in self.units
                    if (p := result.progress[u.code][indicator.code]).baseline
                )
            ]
            totals += [year_total(result, self.units, indicator.code, y) or 0 for y in years]
            totals += [total_progress(result, self.units, indicator.code) or 0]
            for offset, cached in enumerate(totals):
                col = 2 + offset
                ws.write_formula(
                    row, col, f"=SUM({_cell(first, col)}:{_cell(row - 1, col)})", s["bold_number"], cached
                )
            row += 2
        self._page(ws, 0)

    # -- this round's inputs ---------------------------------------------------------------------

    def _submission_columns(self, ws, row: int, unit: Unit) -> None:
        record = self.result.reported.get(unit.code)
        ws.write_string(row, 0, unit.code, self.styles["text"])
        ws.write_string(row, 1, unit.name, self.styles["text"])
        self._put(ws, row, 2, record.original_name if record else "Chưa báo cáo")
        self._put(ws, row, 3, record.id if record else None, "number")

    def _indicator_inputs(self, ws) -> None:
        plan, result = self.plan, self.result
        measures = [(form.PREVIOUS, form.PREVIOUS_LABEL), *form.MEASURES[result.round.kind]]
        self._title(
            ws,
            f"SỐ LIỆU CÁC ĐƠN VỊ BÁO CÁO – KỲ {result.round.id}",
            "Giá trị của tệp được tiếp nhận của mỗi đơn vị; trang và ô nguồn của từng giá trị ở trang "
            "«Truy nguồn».",
        )
        sub = 4
        col = self._grouped_header(
            ws, SUBMISSION_COLUMNS,
            [(f"{i.no}. {i.short_name}", [label for _, label in measures]) for i in plan.indicators],
        ) + len(plan.indicators) * len(measures)
        ws.set_column(0, 0, 6)
        ws.set_column(1, 1, 18)
        ws.set_column(2, 2, 30)
        ws.set_column(3, col, 11)
        for index, unit in enumerate(self.units):
            row = sub + 1 + index
            self._submission_columns(ws, row, unit)
            col = 4
            for indicator in plan.indicators:
                for measure, _ in measures:
                    self._put(
                        ws,
                        row,
                        col,
                        result.number(unit.code, form.field_name(indicator.code, measure)),
                        "number",
                    )
                    col += 1
        self._table_end(ws, sub, sub + len(self.units), col)

    def _ratios(self, ws) -> None:
        plan, result, s = self.plan, self.result, self.styles
        self._title(
            ws,
            "CÁC CHỈ TIÊU TỶ LỆ",
            "Tỷ lệ của tỉnh được tính lại từ tổng tử số và tổng mẫu số, không lấy trung bình các tỷ lệ.",
        )
        sub = 4
        self._grouped_header(
            ws, SUBMISSION_COLUMNS,
            [(f"{r.name} (mục tiêu {r.target_percent}%)", ["Tử số", "Mẫu số", "Tỷ lệ"]) for r in plan.ratios],
            heights=(75, 15),
        )
        ws.set_column(0, 0, 6)
        ws.set_column(1, 1, 18)
        ws.set_column(2, 2, 30)
        ws.set_column(3, 4 + 3 * len(plan.ratios), 11)
        first = sub + 1
        for index, unit in enumerate(self.units):
            row = first + index
            self._submission_columns(ws, row, unit)
            for k, ratio in enumerate(plan.ratios):
                parts = result.ratios[unit.code][ratio.code]
                self._ratio_cells(ws, row, 4 + 3 * k, parts.numerator, parts.denominator, bold=False)
        total = first + len(self.units)
        ws.write_string(total, 1, "Toàn tỉnh", s["bold_text"])
        for k, ratio in enumerate(plan.ratios):
            col = 4 + 3 * k
            numerator, denominator = ratio_total(result, self.units, ratio.code)
            for offset, cached in ((0, numerator), (1, denominator)):
                c = col + offset
                ws.write_formula(
                    total, c, f"=SUM({_cell(first, c)}:{_cell(total - 1, c)})", s["bold_number"], cached or 0
                )
            self._rate(ws, total, col + 2, col, col + 1, share(numerator, denominator))
        self._table_end(ws, sub, total, 4 + 3 * len(plan.ratios))

    def _ratio_cells(self, ws, row: int, col: int, numerator, denominator, *, bold: bool) -> None:
        self._put(ws, row, col, numerator, "number")
        self._put(ws, row, col + 1, denominator, "number")
        self._rate(ws, row, col + 2, col, col + 1, share(numerator, denominator))

    def _rate(self, ws, row: int, col: int, part_col: int, whole_col: int, cached: float | None) -> None:
        part, whole = _cell(row, part_col), _cell(row, whole_col)
        ws.write_formula(
            row,
            col,
            f'=IF(N({whole})>0,N({part})/{whole},"")',
            self.styles["percent"],
            cached if cached is not None else "",
        )

    def _budget(self, ws) -> None:
        plan, result, s = self.plan, self.result, self.styles
        sources = plan.budget_sources
        disbursed_label = form.DISBURSED_LABELS[result.round.kind]
        self._title(ws, f"KINH PHÍ THỰC HIỆN DỰ ÁN 8 NĂM {result.round.year} (đơn vị: {plan.budget_unit})")
        sub = 4
        groups = [(source.name, f"budget_{source.code}") for source in sources] + [("Tổng các nguồn", "")]
        self._grouped_header(
            ws, SUBMISSION_COLUMNS,
            [(name, [form.ALLOCATED_LABEL, disbursed_label, "Tỷ lệ giải ngân"]) for name, _ in groups],
        )
        ws.set_column(0, 0, 6)
        ws.set_column(1, 1, 18)
        ws.set_column(2, 2, 30)
        ws.set_column(3, 4 + 3 * len(groups), 13)
        first = sub + 1
        total_col = 4 + 3 * len(sources)
        for index, unit in enumerate(self.units):
            row = first + index
            self._submission_columns(ws, row, unit)
            sums = [0.0, 0.0]
            for k, (_, subject) in enumerate(groups[:-1]):
                col = 4 + 3 * k
                allocated = result.number(unit.code, form.field_name(subject, "allocated"))
                disbursed = result.number(unit.code, form.field_name(subject, "disbursed"))
                sums = [sums[0] + (allocated or 0), sums[1] + (disbursed or 0)]
                self._put(ws, row, col, allocated, "money")
                self._put(ws, row, col + 1, disbursed, "money")
                self._rate(ws, row, col + 2, col + 1, col, share(disbursed, allocated))
            for offset in (0, 1):
                cells = ",".join(_cell(row, 4 + 3 * k + offset) for k in range(len(sources)))
                ws.write_formula(row, total_col + offset, f"=SUM({cells})", s["money"], sums[offset])
            self._rate(ws, row, total_col + 2, total_col + 1, total_col, share(sums[1], sums[0]))
        total = first + len(self.units)
        ws.write_string(total, 1, "Toàn tỉnh", s["bold_text"])
        for k in range(len(groups)):
            col = 4 + 3 * k
            cached = [0.0, 0.0]
            for offset in (0, 1):
                measure = ("allocated", "disbursed")[offset]
                subjects = [f"budget_{src.code}" for src in sources] if k == len(sources) else [groups[k][1]]
                cached[offset] = sum(
                    result.number(u.code, form.field_name(subj, measure)) or 0
                    for u in self.units
                    for subj in subjects
                )
                ws.write_formula(
                    total,
                    col + offset,
                    f"=SUM({_cell(first, col + offset)}:{_cell(total - 1, col + offset)})",
                    s["money_total"],
                    cached[offset],
                )
            self._rate(ws, total, col + 2, col + 1, col, share(cached[1], cached[0]))
        self._table_end(ws, sub, total, 4 + 3 * len(groups))

    def _narrative(self, ws) -> None:
        result, s = self.result, self.styles
        self._title(
            ws,
            "THUYẾT MINH CỦA CÁC ĐƠN VỊ",
            "Nguyên văn nội dung các đơn vị ghi ở trang «Thuyết minh» và cột «Ghi chú» của mẫu báo cáo.",
        )
        headers = ["Mã", "Đơn vị", *[label for _, label, _ in form.NARRATIVE], "Ngày lập báo cáo"]
        self._headers(ws, 3, headers, [6, 16, 50, 50, 50, 22, 16, 14])
        row = 4
        for unit in self.units:
            if unit.code not in result.reported:
                continue
            ws.write_string(row, 0, unit.code, s["wrap"])
            ws.write_string(row, 1, unit.name, s["wrap"])
            for offset, (key, _, _) in enumerate(form.NARRATIVE):
                self._put(ws, row, 2 + offset, result.text(unit.code, form.field_name(key, "text")), "wrap")
            day = result.text(unit.code, "in_report_date")
            self._put(
                ws,
                row,
                2 + len(form.NARRATIVE),
                format_date(date.fromisoformat(day)) if day else None,
                "wrap",
            )
            row += 1
        self._table_end(ws, 3, row - 1, len(headers))
        notes_row = row + 2
        ws.write_string(notes_row, 0, "Ghi chú theo chỉ tiêu", s["bold"])
        for col, label in enumerate(["Mã", "Đơn vị", "Chỉ tiêu", "Ghi chú"]):
            ws.write_string(notes_row + 1, col, label, s["header"])
        row = notes_row + 2
        for unit in self.units:
            for indicator in self.plan.indicators:
                note = result.text(unit.code, form.field_name(indicator.code, "note"))
                if note:
                    for col, value in enumerate([unit.code, unit.name, indicator.short_name, note]):
                        ws.write_string(row, col, value, s["wrap"])
                    row += 1

    # -- the round's files -----------------------------------------------------------------------

    def _status(self, ws) -> None:
        result, s = self.result, self.styles
        rnd = result.round
        self._title(
            ws,
            f"TÌNH HÌNH NỘP BÁO CÁO – KỲ {rnd.id}",
            f"Hạn nộp của các huyện: {format_date(rnd.district_deadline)}. Ngày nhận là ngày gửi thư "
            "(nếu tệp đến qua thư điện tử) hoặc ngày tệp được đưa vào hộp thư đến.",
        )
        headers = [
            "Mã",
            "Đơn vị",
            "Đã báo cáo",
            "Tệp",
            "Ngày nhận",
            "Hạn nộp",
            "Đúng hạn",
            "Số ngày trễ",
            "Trạng thái",
            "Số lỗi",
            "Số lưu ý",
            "Số tệp đã gửi",
        ]
        self._headers(ws, 3, headers, [6, 18, 11, 34, 12, 12, 10, 10, 20, 8, 8, 10])
        files = [r for r in result.round_records if r.unit]
        for index, unit in enumerate(self.units):
            row = 4 + index
            sent = [r for r in files if r.unit == unit.code]
            record = result.reported.get(unit.code) or (sent[-1] if sent else None)
            accepted = unit.code in result.reported
            received = date.fromisoformat(record.received_at[:10]) if record else None
            late = (received - rnd.district_deadline).days if received else None
            findings = result.findings.get(record.id, []) if record else []
            values = [
                unit.code,
                unit.name,
                "Có" if accepted else ("Bị trả lại" if sent else "Chưa"),
                record.original_name if record else None,
                format_date(received) if received else None,
                format_date(rnd.district_deadline),
                ("Có" if late <= 0 else "Trễ") if accepted and late is not None else None,
                max(late, 0) if accepted and late is not None else None,
                STATUS_LABELS.get(record.status, record.status) if record else "Chưa nhận",
                sum(f.severity == "error" for f in findings) if record else None,
                sum(f.severity == "warning" for f in findings) if record else None,
                len(sent),
            ]
            for col, value in enumerate(values):
                self._put(ws, row, col, value, "number" if isinstance(value, int) else "text")
        last = 3 + len(self.units)
        summary = last + 2
        reported = sum(u.code in result.reported for u in self.units)
        on_time = sum(
            1
            for u in self.units
            if (r := result.reported.get(u.code))
            and date.fromisoformat(r.received_at[:10]) <= rnd.district_deadline
        )
        for offset, (label, formula, cached) in enumerate(
            (
                (
                    "Tỷ lệ đơn vị đã báo cáo",
                    f'=COUNTIF(C5:C{last + 1},"Có")/{len(self.units)}',
                    reported / len(self.units),
                ),
                (
                    "Tỷ lệ đơn vị báo cáo đúng hạn",
                    f'=COUNTIF(G5:G{last + 1},"Có")/{len(self.units)}',
                    on_time / len(self.units),
                ),
            )
        ):
            ws.write_string(summary + offset, 1, label, s["bold_text"])
            ws.write_formula(summary + offset, 2, formula, s["percent"], cached)
        ws.autofilter(3, 0, last, len(headers) - 1)
        ws.freeze_panes(4, 2)
        self._page(ws, 3)

    def _findings(self, ws) -> None:
        result = self.result
        self._title(ws, f"LỖI VÀ LƯU Ý CỦA CÁC TỆP – KỲ {result.round.id}")
        headers = ["Mã sổ ghi", "Tệp", "Đơn vị", "Trạng thái tệp", "Mức độ", "Mã", "Trang", "Ô", "Nội dung"]
        self._headers(ws, 3, headers, [9, 30, 8, 16, 8, 26, 12, 8, 90])
        row = 4
        for record in result.round_records:
            for finding in result.findings.get(record.id, []):
                values = [
                    record.id,
                    record.original_name,
                    record.unit,
                    STATUS_LABELS.get(record.status, record.status),
                    SEVERITY_LABELS[finding.severity],
                    finding.code,
                    finding.sheet,
                    finding.cell,
                    finding.message,
                ]
                for col, value in enumerate(values):
                    self._put(ws, row, col, value, "number" if isinstance(value, int) else "wrap")
                row += 1
        self._table_end(ws, 3, row - 1, len(headers))

    def _trace(self, ws) -> None:
        plan, result = self.plan, self.result
        self._title(
            ws,
            "TRUY NGUỒN TỪNG SỐ LIỆU",
            "Mỗi dòng là một giá trị đã dùng: tệp gốc (mã sổ ghi, xem «Nguồn dữ liệu»), trang và ô của nó.",
        )
        headers = [
            "Mã đơn vị",
            "Đơn vị",
            "Chỉ tiêu",
            "Phần",
            "Năm",
            "Kỳ báo cáo",
            "Giá trị",
            "Tệp",
            "Mã sổ ghi",
            "Trang",
            "Ô",
        ]
        self._headers(ws, 3, headers, [8, 16, 34, 16, 7, 12, 10, 34, 9, 12, 7])
        row = 4

        def line(
            unit: Unit,
            subject: str,
            part: str,
            year,
            source: Source | None,
            value=None,
            sheet=None,
            cell=None,
            record_id=None,
            file=None,
            round_id=None,
        ) -> None:
            nonlocal row
            if source is not None:
                value, sheet, cell, record_id, file, round_id = (
                    source.value,
                    source.sheet,
                    source.cell,
                    source.record_id,
                    source.file,
                    source.round,
                )
            for col, item in enumerate(
                [unit.code, unit.name, subject, part, year, round_id, value, file, record_id, sheet, cell]
            ):
                self._put(ws, row, col, item, "number" if isinstance(item, int | float) else "text")
            row += 1

        rounds = {r.id: r for r in plan.rounds}
        for unit in self.units:
            for indicator in plan.indicators:
                progress = result.progress[unit.code][indicator.code]
                if progress.baseline:
                    line(unit, indicator.short_name, "lũy kế trước kỳ", None, progress.baseline)
                for year, source in sorted(progress.years.items()):
                    used = (
                        "năm"
                        if indicator.kind == "flow" or source in progress.sources
                        else "năm (không dùng)"
                    )
                    line(unit, indicator.short_name, used, year, source)
            record = result.reported.get(unit.code)
            if record is None:
                continue
            for name, stored in sorted(result.values[unit.code].items()):
                if stored.number is None or name.startswith(tuple(f"in_{i.code}_" for i in plan.indicators)):
                    continue
                line(
                    unit,
                    name.removeprefix("in_"),
                    "kỳ này",
                    rounds[result.round.id].year,
                    None,
                    stored.number,
                    stored.sheet,
                    stored.cell,
                    record.id,
                    record.original_name,
                    result.round.id,
                )
        self._table_end(ws, 3, row - 1, len(headers))

    def _sources(self, ws) -> None:
        result = self.result
        self._title(
            ws,
            "NGUỒN DỮ LIỆU: MỌI TỆP ĐÃ NHẬN",
            "Bản gốc nguyên vẹn của mỗi tệp nằm ở «Lưu tại», kiểm chứng bằng SHA-256.",
        )
        headers = [
            "Mã sổ ghi",
            "Tệp gốc",
            "Người gửi",
            "Ngày nhận",
            "Đơn vị",
            "Kỳ báo cáo",
            "Phiên bản mẫu",
            "Trạng thái",
            "SHA-256",
            "Lưu tại",
        ]
        self._headers(ws, 3, headers, [9, 32, 24, 20, 8, 12, 9, 18, 66, 60])
        for index, record in enumerate(sorted(result.records, key=lambda r: r.id)):
            values = [
                record.id,
                record.original_name,
                record.sender,
                record.received_at,
                record.unit,
                record.round,
                record.template_version,
                STATUS_LABELS.get(record.status, record.status),
                record.sha256,
                record.stored_path,
            ]
            for col, value in enumerate(values):
                self._put(ws, 4 + index, col, value, "number" if isinstance(value, int) else "text")
        self._table_end(ws, 3, 3 + len(result.records), len(headers))

    # -- charts ----------------------------------------------------------------------------------

    def _charts(self, wb, ws) -> None:
        plan, s = self.plan, self.styles
        self._title(ws, "BIỂU ĐỒ TIẾN ĐỘ SO VỚI CHỈ TIÊU GIAI ĐOẠN", f"Số liệu lấy từ trang «{SUMMARY}».")
        ws.write_string(3, 0, "Chỉ tiêu", s["header"])
        ws.write_string(3, 1, "Toàn tỉnh", s["header"])
        for k, unit in enumerate(self.districts):
            ws.write_string(3, 2 + k, unit.name, s["header"])
        quoted = f"'{SUMMARY}'"
        for index, indicator in enumerate(plan.indicators):
            row = 4 + index
            ws.write_string(row, 0, f"{indicator.no}. {indicator.short_name}", s["text"])
            share_col = self.summary_cols[indicator.code] + 2
            for col, unit_key in enumerate(["total", *[u.code for u in self.districts]], start=1):
                source_row = self.summary_rows[unit_key]
                target = (
                    plan.totals["total"][indicator.code]
                    if unit_key == "total"
                    else plan.targets[unit_key][indicator.code]
                )
                cumulative = (
                    total_progress(self.result, self.units, indicator.code)
                    if unit_key == "total"
                    else self.result.progress[unit_key][indicator.code].cumulative
                )
                cached = share(cumulative or 0, target)
                ws.write_formula(
                    row,
                    col,
                    f"=N({quoted}!{xl_col_to_name(share_col)}{source_row + 1})",
                    s["percent"],
                    cached or 0,
                )
        last = 3 + len(plan.indicators)
        ws.set_column(0, 0, 42)
        ws.set_column(1, 1 + len(self.districts), 10)
        province = wb.add_chart({"type": "bar"})
        province.add_series(
            {
                "name": "Toàn tỉnh",
                "categories": ["Biểu đồ", 4, 0, last, 0],
                "values": ["Biểu đồ", 4, 1, last, 1],
                "data_labels": {"value": True, "num_format": "0%"},
                "fill": {"color": "#2F5597"},
            }
        )
        province.set_title({"name": "Toàn tỉnh: % chỉ tiêu giai đoạn đã đạt"})
        province.set_x_axis({"num_format": "0%", "min": 0})
        province.set_y_axis({"reverse": True})
        province.set_legend({"none": True})
        province.set_size({"width": 900, "height": 480})
        ws.insert_chart(last + 2, 0, province)
        districts = wb.add_chart({"type": "column"})
        for index in range(len(plan.indicators)):
            districts.add_series(
                {
                    "name": ["Biểu đồ", 4 + index, 0],
                    "categories": ["Biểu đồ", 3, 2, 3, 1 + len(self.districts)],
                    "values": ["Biểu đồ", 4 + index, 2, 4 + index, 1 + len(self.districts)],
                }
            )
        districts.set_title({"name": "Các huyện: % chỉ tiêu giai đoạn đã đạt, theo chỉ tiêu"})
        districts.set_y_axis({"num_format": "0%", "min": 0})
        districts.set_legend({"position": "right"})
        districts.set_size({"width": 1200, "height": 520})
        ws.insert_chart(last + 27, 0, districts)


def _styles(wb) -> dict:
    border = {"border": 1, "valign": "vcenter"}
    styles = {
        "title": wb.add_format({"bold": True, "font_size": 14}),
        "italic": wb.add_format({"italic": True}),
        "bold": wb.add_format({"bold": True}),
        "header": wb.add_format(
            {**border, "bold": True, "text_wrap": True, "align": "center", "bg_color": "#D9E1F2"}
        ),
        "group": wb.add_format({**border, "bold": True, "bg_color": "#EDEDED"}),
        "text": wb.add_format({**border}),
        "wrap": wb.add_format({**border, "text_wrap": True, "valign": "top"}),
        "bold_text": wb.add_format({**border, "bold": True}),
        "number": wb.add_format({**border, "num_format": "#,##0"}),
        "bold_number": wb.add_format({**border, "bold": True, "num_format": "#,##0"}),
        "money": wb.add_format({**border, "num_format": "#,##0.00"}),
        "money_total": wb.add_format({**border, "bold": True, "num_format": "#,##0.00"}),
        "percent": wb.add_format({**border, "num_format": "0.0%"}),
    }
    for band, colour in (("band_low", "#F8CBAD"), ("band_mid", "#FFE699"), ("band_high", "#C6EFCE")):
        styles[band] = wb.add_format({"bg_color": colour})
        styles[f"{band}_cell"] = wb.add_format({**border, "bg_color": colour, "align": "center"})
    return styles

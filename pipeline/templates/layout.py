"""Write one reporting workbook per (round, unit): targets locked, only the input cells open.

Every input cell gets a workbook defined name (see form.py), so ingest never depends on positions.
Everything that is not an input is locked, and recorded in a fingerprint kept on the hidden metadata
sheet, so that ingest can tell when locked content was altered.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from pipeline.core import parallel, xlsx
from pipeline.core.atomic import atomic_path
from pipeline.core.config import Contact
from pipeline.core.locations import template_filename
from pipeline.core.vietnamese import round_title
from pipeline.core.xlsx import cell_name
from pipeline.plan import activities, form
from pipeline.plan.model import DEFAULT_PLAN_DIR, Plan, Round, Unit
from pipeline.templates.sheets import activities as activity_sheet
from pipeline.templates.sheets import adhoc, checks, guide
from pipeline.templates.sheets.guide import SHEET_GUIDE, row_height
from pipeline.validation.rules import RuleBook

SHEET_INDICATORS = "Chỉ tiêu"
SHEET_RATIOS = "Tỷ lệ"
SHEET_BUDGET = "Kinh phí"
SHEET_NARRATIVE = "Thuyết minh"
SHEET_META = "p8_meta"

INPUT_FILL = "#FFF2CC"
LOCKED_FILL = "#E7E6E6"
# Fixed document time, so the same round written twice gives the same bytes.
DOCUMENT_TIME = datetime(2022, 11, 29)


def write_templates(
    plan: Plan,
    rnd: Round,
    out_dir: Path,
    units: Iterable[Unit] | None = None,
    carried: Mapping[str, Mapping[str, int]] | None = None,
    contact: Contact | None = None,
    rules: RuleBook | None = None,
) -> list[Path]:
    """Write the templates of `rnd` into out_dir/<round>/; `carried` is {unit: {indicator: figure}};
    `rules`: the plan's rules.toml, for the check sheet (default: the bundled plan's)."""
    rules = rules or RuleBook.load(DEFAULT_PLAN_DIR)
    folder = Path(out_dir) / rnd.id
    folder.mkdir(parents=True, exist_ok=True)
    jobs = [(unit, folder / template_filename(rnd.id, unit), dict((carried or {}).get(unit.code, {})))
            for unit in (units or plan.units_for(rnd))]
    return parallel.spread(_write_one, (plan, rnd, contact or Contact(), rules), jobs)


def _write_one(plan: Plan, rnd: Round, contact: Contact, rules: RuleBook, job: tuple[Unit, Path, dict]) -> Path:
    unit, path, carried = job
    with atomic_path(path) as tmp:
        _Template(plan, rnd, unit, carried, contact, rules).write(tmp)
    return path


@dataclass(frozen=True)
class LockedContent:
    """What ingest checks a received file against: the template as generated for its unit and round."""

    fingerprint: str
    cells: dict[tuple[str, str], object]  # (sheet, cell) -> text, number or "=formula"
    names: dict[str, tuple[str, str]]  # defined name -> (sheet, cell)


_LOCKED_CACHE: dict[tuple[str, str, str], LockedContent] = {}


def locked_content(plan: Plan, rnd: Round, unit: Unit, rules: RuleBook | None = None) -> LockedContent:
    """The identity cells and fingerprint of the template of (round, unit), written in memory once."""
    key = (plan.id, rnd.id, unit.code)
    if key not in _LOCKED_CACHE:
        template = _Template(plan, rnd, unit, {}, Contact(), rules or RuleBook.load(DEFAULT_PLAN_DIR))
        template.write(None)
        cells = {(sheet, cell): value for sheet, cell, value in template.identity_cells()}
        _LOCKED_CACHE[key] = LockedContent(template.fingerprint(), cells, dict(template.names))
    return _LOCKED_CACHE[key]


def _validation(fld: form.Field, rnd: Round) -> dict:
    """Excel data validation for one input, with a Vietnamese hint and error message."""
    if fld.kind == "count":
        rule = {"validate": "integer", "criteria": ">=", "value": 0,
                "input_title": "Nhập số nguyên ≥ 0",
                "error_message": "Chỉ nhập số nguyên không âm (0, 1, 2, …)."}
    elif fld.kind == "money":
        rule = {"validate": "decimal", "criteria": ">=", "value": 0,
                "input_title": "Nhập số tiền ≥ 0",
                "error_message": "Chỉ nhập số không âm (đơn vị: triệu đồng)."}
    elif fld.kind == "yesno":
        rule = {"validate": "list", "source": [activities.YES, activities.NO],
                "input_title": "Chọn Có hoặc Không", "error_message": "Chỉ chọn Có hoặc Không trong danh sách."}
    elif fld.kind == "date":
        rule = {"validate": "date", "criteria": "between",
                "minimum": date(rnd.year, 1, 1), "maximum": date(rnd.year + 1, 12, 31),
                "input_title": "Nhập ngày (ngày/tháng/năm)",
                "error_message": f"Nhập một ngày trong năm {rnd.year} hoặc {rnd.year + 1}, "
                                 "dạng ngày/tháng/năm."}
    else:
        rule = {"validate": "length", "criteria": "<=", "value": fld.max_length,
                "input_title": "Nhập nội dung",
                "error_message": f"Nội dung tối đa {fld.max_length} ký tự."}
    return {**rule, "input_message": fld.label[:250], "error_title": "Giá trị không hợp lệ"}


class _Template:
    def __init__(self, plan: Plan, rnd: Round, unit: Unit, carried: Mapping[str, int], contact: Contact,
                 rules: RuleBook):
        self.plan, self.rnd, self.unit, self.carried, self.contact = plan, rnd, unit, carried, contact
        self.rules = rules
        self.fields = {f.name: f for f in form.input_fields(plan, rnd)}
        self.locked_log: list = []
        self.names: dict[str, tuple[str, str]] = {}
        self.cached: dict[str, object] = {}  # a named locked cell's value as written (for the check sheet)
        self.check_formats: dict[str, object] = {}
        self.local_names: dict[str, dict[str, str]] = {}  # sheet -> its names' cells (template_checks)

    # -- cells ----------------------------------------------------------------------------------

    def fixed(self, ws, row: int, col: int, value, fmt=None, *, carried: bool = False) -> None:
        """A locked cell; `carried` marks a figure taken from the ledger (it may change between two
        generations of the same template, so it stays out of the fingerprint)."""
        ws.write(row, col, value, fmt)
        if not carried:
            self._log(ws, row, col, value)

    def formula(self, ws, row: int, col: int, formula: str, fmt, cached: float | str = 0,
                name: str = "") -> None:
        """A locked formula; `name` gives it a defined name (form.output_name) for auditors and tests."""
        ws.write_formula(row, col, formula, fmt, cached)
        self._log(ws, row, col, formula)
        if name:
            self.names[name] = (ws.name, cell_name(row, col))
            self.cached[name] = cached

    def merged(self, ws, row: int, first_col: int, last_col: int, value, fmt, last_row: int | None = None):
        ws.merge_range(row, first_col, last_row if last_row is not None else row, last_col, value, fmt)
        self._log(ws, row, first_col, value)

    def _log(self, ws, row: int, col: int, value) -> None:
        if value not in (None, ""):
            self.locked_log.append([ws.name, cell_name(row, col), value])

    def input(self, ws, row: int, col: int, name: str, last_col: int | None = None,
              last_row: int | None = None) -> None:
        fld = self.fields[name]
        style = {"count": "input", "money": "input_money", "date": "input_date"}.get(fld.kind, "input_text")
        if last_col is not None or last_row is not None:
            ws.merge_range(row, col, last_row if last_row is not None else row,
                           last_col if last_col is not None else col, None, self.styles[style])
        else:
            ws.write_blank(row, col, None, self.styles[style])
        ws.data_validation(row, col, row, col, _validation(fld, self.rnd))
        self.names[name] = (ws.name, cell_name(row, col))

    def head(self, ws, title: str, subtitle: str, headers: list[str], widths: list[int], height: int) -> int:
        """Title, subtitle and the header row of a table sheet; returns the header row."""
        self.merged(ws, 0, 0, len(headers) - 1, title, self.styles["title"])
        self.merged(ws, 1, 0, len(headers) - 1, subtitle, self.styles["subtitle"])
        header_row = 3
        for col, text in enumerate(headers):
            self.fixed(ws, header_row, col, text, self.styles["header"])
            ws.set_column(col, col, widths[col])
        ws.set_row(header_row, height)
        return header_row

    # -- workbook -------------------------------------------------------------------------------

    def write(self, path: Path | None) -> None:
        """Write the workbook to `path`; None lays out its cells (names, locked content, fingerprint)
        without assembling a file, which is all that checking a received file needs: the instructions
        and the check sheet, which identify nothing (identity_cells), are left out."""
        # Assembled in memory: no temporary file per part (a province writes thousands of templates).
        target = io.BytesIO()
        wb = xlsx.Workbook(
            target,
            {"in_memory": True,
             "default_format_properties": {"font_name": "Times New Roman", "font_size": 12},
             "strings_to_formulas": False, "strings_to_urls": False},
        ) if path is not None else xlsx.LayoutOnly()
        wb.set_properties({
            "title": f"{self.plan.short_title} – {round_title(self.rnd)} – {self.unit.name}",
            "author": self.plan.reporting_body,
            "company": self.plan.reporting_body,
            "created": DOCUMENT_TIME,
        })
        self.styles = _styles(wb)
        writers = [(SHEET_GUIDE, lambda ws: guide.write(self, ws)), *self._data_sheets(),
                   (SHEET_NARRATIVE, self._narrative)]
        sheets = [wb.add_worksheet(name) for name, _ in writers]
        for ws, (name, writer) in zip(sheets, writers, strict=True):
            if path is not None or name != SHEET_GUIDE:
                writer(ws)
        sheets.append(wb.add_worksheet(checks.SHEET_CHECKS))
        if path is not None:
            checks.write(self, sheets[-1], wb, self.rules)
        for name, (sheet, cell) in sorted(self.names.items()):
            wb.define_name(name, "=" + form.reference(sheet, cell))
        self._meta(wb, wb.add_worksheet(SHEET_META))
        for ws in sheets:
            ws.protect("", {"format_columns": True, "format_rows": True})
        sheets[1].activate()
        if path is not None:
            wb.close()
            path.write_bytes(target.getvalue())

    def _data_sheets(self) -> list:
        """The sheets between the instructions and the narrative, as (name, writer)."""
        activities = (activity_sheet.SHEET_ACTIVITIES, lambda ws: activity_sheet.write(self, ws))
        if not self.rnd.regular:
            return adhoc.sheets(self) + ([activities] if self.rnd.activities else [])
        writers = [(SHEET_INDICATORS, self._indicators), (SHEET_RATIOS, self._ratios), (SHEET_BUDGET, self._budget)]
        return writers + ([activities] if self.plan.activities else [])

    def identity_cells(self) -> list:
        """The locked content that makes this template this unit's and this round's: every locked
        cell except the instructions sheet (its contact and wording may be edited between two
        generations), the check sheet (derived from the rules and the carried figures, and only a
        hint: ingest checks every rule itself) and carried figures."""
        return [entry for entry in self.locked_log if entry[0] not in (SHEET_GUIDE, checks.SHEET_CHECKS)]

    def fingerprint(self) -> str:
        text = json.dumps(self.identity_cells(), ensure_ascii=False, sort_keys=True, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def _meta(self, wb, ws) -> None:
        values = {
            "plan": self.plan.id,
            "round": self.rnd.id,
            "unit": self.unit.code,
            "version": form.TEMPLATE_VERSION,
            "fingerprint": self.fingerprint(),
        }
        for row, (key, value) in enumerate(values.items()):
            ws.write_string(row, 0, key)
            ws.write_string(row, 1, value)
            wb.define_name(form.META_NAMES[key], f"={SHEET_META}!$B${row + 1}")
        ws.protect()
        ws.very_hidden()

    # -- sheets ---------------------------------------------------------------------------------

    def _indicators(self, ws) -> None:
        plan, rnd, unit, s = self.plan, self.rnd, self.unit, self.styles
        measures = form.MEASURES[rnd.kind]
        year_measure = form.YEAR_MEASURE[rnd.kind]
        headers = ["TT", "Chỉ tiêu", "Đơn vị tính", "Chỉ tiêu giai đoạn", form.PREVIOUS_LABEL,
                   *[label for _, label in measures], "Lũy kế", "% chỉ tiêu giai đoạn", "Ghi chú"]
        widths = [6, 48, 10, 12, 13, *[14] * len(measures), 12, 12, 30]
        first_input = 5
        col_cumulative = first_input + len(measures)
        last_col = len(headers) - 1
        header_row = self.head(ws, *indicator_sheet_titles(rnd, unit), headers, widths, 48)

        row = header_row + 1
        for group, title in plan.groups.items():
            members = [i for i in plan.indicators if i.group == group]
            if not members:
                continue
            self.fixed(ws, row, 0, group, s["group"])
            self.merged(ws, row, 1, last_col, title, s["group"])
            ws.set_row(row, row_height(title, sum(widths[1:])))
            row += 1
            for indicator in members:
                target = plan.targets[unit.code][indicator.code]
                self.fixed(ws, row, 0, indicator.no, s["center"])
                self.fixed(ws, row, 1, indicator.name, s["cell"])
                ws.set_row(row, row_height(indicator.name, widths[1]))
                self.fixed(ws, row, 2, indicator.unit, s["center"])
                self.fixed(ws, row, 3, target, s["number"])
                self.names[form.target_name(indicator.code)] = (ws.name, cell_name(row, 3))
                self.cached[form.target_name(indicator.code)] = target
                previous = self.carried.get(indicator.code)
                if previous is None:
                    self.input(ws, row, 4, form.field_name(indicator.code, form.PREVIOUS))
                else:
                    self.fixed(ws, row, 4, previous, s["number"], carried=True)
                for offset, (measure, _) in enumerate(measures):
                    self.input(ws, row, first_input + offset, form.field_name(indicator.code, measure))
                year_cell = cell_name(row, first_input + [m for m, _ in measures].index(year_measure))
                previous_cell = cell_name(row, 4)
                if indicator.kind == "stock":
                    formula = f'=IF({year_cell}="",{previous_cell},{year_cell})'
                else:
                    formula = f"={previous_cell}+{year_cell}"
                self.formula(ws, row, col_cumulative, formula, s["number"], previous or 0,
                             form.output_name(indicator.code, "cumulative"))
                cumulative_cell = cell_name(row, col_cumulative)
                target_cell = cell_name(row, 3)
                self.formula(ws, row, col_cumulative + 1,
                             f'=IF({target_cell}>0,{cumulative_cell}/{target_cell},"")', s["percent"],
                             (previous or 0) / target if target else "",
                             form.output_name(indicator.code, "share"))
                self.input(ws, row, col_cumulative + 2, form.field_name(indicator.code, "note"))
                row += 1
        self._page(ws, header_row, len(headers))

    def _ratios(self, ws) -> None:
        plan, s = self.plan, self.styles
        headers = ["TT", "Chỉ tiêu", "Mục tiêu", "Tử số", "Số lượng (tử số)", "Mẫu số",
                   "Số lượng (mẫu số)", "Tỷ lệ đạt"]
        widths = [6, 40, 10, 30, 12, 30, 12, 10]
        header_row = self.head(ws, "CÁC CHỈ TIÊU TỶ LỆ", f"Đơn vị báo cáo: {self.unit.name}", headers, widths, 32)
        for index, ratio in enumerate(plan.ratios):
            row = header_row + 1 + index
            self.fixed(ws, row, 0, index + 1, s["center"])
            self.fixed(ws, row, 1, ratio.name, s["cell"])
            self.fixed(ws, row, 2, ratio.target_percent / 100, s["percent"])
            self.fixed(ws, row, 3, ratio.numerator, s["cell"])
            self.fixed(ws, row, 5, ratio.denominator, s["cell"])
            longest = max((ratio.name, widths[1]), (ratio.numerator, widths[3]),
                          (ratio.denominator, widths[5]), key=lambda p: len(p[0]) / p[1])
            ws.set_row(row, row_height(*longest))
            self.input(ws, row, 4, form.field_name(ratio.code, "num"))
            self.input(ws, row, 6, form.field_name(ratio.code, "den"))
            num, den = cell_name(row, 4), cell_name(row, 6)
            self.formula(ws, row, 7, f'=IF(N({den})>0,{num}/{den},"")', s["percent"], "",
                         form.output_name(ratio.code, "share"))
        self._page(ws, header_row, len(headers))

    def _budget(self, ws) -> None:
        plan, rnd, s = self.plan, self.rnd, self.styles
        headers = ["TT", "Nguồn vốn", f"{form.ALLOCATED_LABEL} {rnd.year}",
                   form.DISBURSED_LABELS[rnd.kind], "Tỷ lệ giải ngân"]
        widths = [6, 50, 18, 18, 12]
        header_row = self.head(ws, f"KINH PHÍ THỰC HIỆN DỰ ÁN 8 NĂM {rnd.year}",
                               f"Đơn vị báo cáo: {self.unit.name} – đơn vị tính: {plan.budget_unit}",
                               headers, widths, 32)
        first = header_row + 1
        for index, source in enumerate(plan.budget_sources):
            row = first + index
            self.fixed(ws, row, 0, index + 1, s["center"])
            self.fixed(ws, row, 1, source.name, s["cell"])
            self.input(ws, row, 2, form.field_name(f"budget_{source.code}", "allocated"))
            self.input(ws, row, 3, form.field_name(f"budget_{source.code}", "disbursed"))
            self._rate(ws, row, f"budget_{source.code}")
        total = first + len(plan.budget_sources)
        self.fixed(ws, total, 0, "", s["bold_cell"])
        self.fixed(ws, total, 1, "Tổng cộng", s["bold_cell"])
        for col in (2, 3):
            top, bottom = cell_name(first, col), cell_name(total - 1, col)
            self.formula(ws, total, col, f"=SUM({top}:{bottom})", s["money_total"], 0,
                         form.output_name("budget_total", "allocated" if col == 2 else "disbursed"))
        self._rate(ws, total, "budget_total")
        self._page(ws, header_row, len(headers))

    def _rate(self, ws, row: int, subject: str) -> None:
        allocated, disbursed = cell_name(row, 2), cell_name(row, 3)
        self.formula(ws, row, 4, f'=IF(N({allocated})>0,N({disbursed})/{allocated},"")',
                     self.styles["percent"], "", form.output_name(subject, "rate"))

    def _narrative(self, ws) -> None:
        s = self.styles
        ws.set_column(0, 0, 6)
        ws.set_column(1, 1, 28)
        ws.set_column(2, 2, 90)
        self.merged(ws, 0, 0, 2, "THUYẾT MINH BÁO CÁO", s["title"])
        self.merged(ws, 1, 0, 2, f"Đơn vị báo cáo: {self.unit.name}", s["subtitle"])
        row = 3
        for number, (key, label, length) in enumerate(form.NARRATIVE, start=1):
            self.fixed(ws, row, 0, number, s["center"])
            self.fixed(ws, row, 1, label, s["cell"])
            self.input(ws, row, 2, form.field_name(key, "text"))
            ws.set_row(row, 120 if length > 500 else 22)
            row += 1
        self.fixed(ws, row, 0, len(form.NARRATIVE) + 1, s["center"])
        self.fixed(ws, row, 1, "Ngày lập báo cáo", s["cell"])
        self.input(ws, row, 2, "in_report_date")
        ws.set_row(row, 22)
        self._page(ws, 0, 3)
        ws.set_portrait()

    def _page(self, ws, header_row: int, columns: int) -> None:
        ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.5, right=0.4, top=0.6, bottom=0.7)
        ws.set_footer(f"&L{self.unit.name} – {round_title(self.rnd)}&CTrang &P/&N")
        if header_row:
            ws.repeat_rows(0, header_row)
            ws.freeze_panes(header_row + 1, 0)


def indicator_sheet_titles(rnd: Round, unit: Unit) -> tuple[str, str]:
    """The two title lines of the indicator sheet, by which a copied-out table is still recognised."""
    return (f"BIỂU KẾT QUẢ THỰC HIỆN CHỈ TIÊU DỰ ÁN 8 – {round_title(rnd).upper()}",
            f"Đơn vị báo cáo: {unit.name}")


def _styles(wb) -> dict:
    border = {"border": 1, "valign": "vcenter", "text_wrap": True}
    unlocked = {**border, "locked": False, "bg_color": INPUT_FILL}
    return {
        "title": wb.add_format({"bold": True, "font_size": 14, "align": "center"}),
        "title_left": wb.add_format({"bold": True, "font_size": 14}),
        "subtitle": wb.add_format({"italic": True, "align": "center"}),
        "bold": wb.add_format({"bold": True}),
        "deadline": wb.add_format({"bold": True, "font_color": "#C00000"}),
        "wrap": wb.add_format({"text_wrap": True, "valign": "top"}),
        "header": wb.add_format({**border, "bold": True, "align": "center", "bg_color": LOCKED_FILL}),
        "group": wb.add_format({**border, "bold": True, "bg_color": "#D9E1F2"}),
        "cell": wb.add_format({**border}),
        "bold_cell": wb.add_format({**border, "bold": True}),
        "center": wb.add_format({**border, "align": "center"}),
        "number": wb.add_format({**border, "num_format": "#,##0", "bg_color": LOCKED_FILL}),
        "money_total": wb.add_format({**border, "bold": True, "num_format": "#,##0.00",
                                      "bg_color": LOCKED_FILL}),
        "percent": wb.add_format({**border, "num_format": "0.0%", "bg_color": LOCKED_FILL}),
        "input": wb.add_format({**unlocked, "num_format": "#,##0"}),
        "input_money": wb.add_format({**unlocked, "num_format": "#,##0.00"}),
        "input_date": wb.add_format({**unlocked, "num_format": "dd/mm/yyyy", "align": "left"}),
        "input_text": wb.add_format({**unlocked, "valign": "top"}),
        "legend_input": wb.add_format({"border": 1, "bg_color": INPUT_FILL}),
        "status": wb.add_format({"bold": True, "font_size": 13, "font_color": "#1F3864"}),
        "legend_locked": wb.add_format({"border": 1, "bg_color": LOCKED_FILL}),
    }



"""A template laid out: the sheets in their order, the defined names, the hidden metadata sheet,
protection; written to a file, or only laid out (to know what a received file is checked against)."""

from __future__ import annotations

import io
from pathlib import Path

from pipeline.core import xlsx
from pipeline.core.signing import stamp
from pipeline.core.vietnamese import round_title
from pipeline.plan import form
from pipeline.templates.cells import (
    DOCUMENT_TIME,
    SHEET_ACTIVITIES,
    SHEET_BUDGET,
    SHEET_CHECKS,
    SHEET_GUIDE,
    SHEET_INDICATORS,
    SHEET_META,
    SHEET_NARRATIVE,
    SHEET_RATIOS,
    Cells,
    styles,
)
from pipeline.templates.sheets import activities, adhoc, budget, checks, guide, indicators, narrative, ratios


def workbook_options() -> dict:
    """A new dict each time: XlsxWriter changes the default format properties it is given."""
    return {"in_memory": True, "default_format_properties": {"font_name": "Times New Roman", "font_size": 12},
            "strings_to_formulas": False, "strings_to_urls": False}


class Layout(Cells):
    def write(self, path: Path | io.BytesIO | None) -> None:
        """Write the workbook to `path`; None lays out its cells (names, locked content, fingerprint)
        without assembling a file, which is all that checking a received file needs: the instructions
        and the check sheet, which identify nothing (identity_cells), are left out."""
        # Assembled in memory: no temporary file per part (a province writes thousands of templates).
        target = io.BytesIO()
        wb = xlsx.Workbook(target, workbook_options()) if path is not None else xlsx.LayoutOnly()
        self.lay_out(wb, whole=path is not None)
        if path is not None:
            wb.close()
            if isinstance(path, io.BytesIO):
                path.write(target.getvalue())
            else:
                path.write_bytes(target.getvalue())

    def lay_out(self, wb, whole: bool = True) -> None:
        """Every call that makes the workbook, on `wb` (an XlsxWriter workbook, or a stand-in that
        ignores or records them: stamping.py); `whole` false leaves out the instructions, the checks
        and the metadata sheet."""
        wb.set_properties({
            "title": f"{self.plan.short_title} – {round_title(self.rnd)} – {self.unit.name}",
            "author": self.plan.reporting_body,
            "company": self.plan.reporting_body,
            "created": DOCUMENT_TIME,
        })
        self.styles = styles(wb)
        writers = [(SHEET_GUIDE, lambda ws: guide.write(self, ws)), *self._data_sheets(),
                   (SHEET_NARRATIVE, lambda ws: narrative.write(self, ws))]
        sheets = [wb.add_worksheet(name) for name, _ in writers]
        for ws, (name, writer) in zip(sheets, writers, strict=True):
            if whole or name != SHEET_GUIDE:
                writer(ws)
        sheets.append(wb.add_worksheet(SHEET_CHECKS))
        if whole:
            checks.write(self, sheets[-1], wb, self.rules)
        for name, (sheet, cell) in sorted(self.names.items()):
            wb.define_name(name, "=" + form.reference(sheet, cell))
        if whole:  # the metadata sheet records no name and no locked cell: the dry run needs nothing of it
            self._meta(wb, wb.add_worksheet(SHEET_META))
        for ws in sheets:
            ws.protect("", {"format_columns": True, "format_rows": True})
        sheets[1].activate()

    def _data_sheets(self) -> list:
        """The sheets between the instructions and the narrative, as (name, writer)."""
        activity_sheet = (SHEET_ACTIVITIES, lambda ws: activities.write(self, ws))
        if not self.rnd.regular:
            return adhoc.sheets(self) + ([activity_sheet] if self.rnd.activities else [])
        writers = [(SHEET_INDICATORS, lambda ws: indicators.write(self, ws)),
                   (SHEET_RATIOS, lambda ws: ratios.write(self, ws)),
                   (SHEET_BUDGET, lambda ws: budget.write(self, ws))]
        return writers + ([activity_sheet] if self.plan.activities else [])

    def _meta(self, wb, ws) -> None:
        values = {
            "plan": self.plan.id,
            "round": self.rnd.id,
            "unit": self.unit.code,
            "version": form.TEMPLATE_VERSION,
            "fingerprint": stamp(self.key, self.fingerprint()),
            "unit_from": self.unit.valid_from.isoformat() if self.unit.valid_from else "",
        }
        for row, (key, value) in enumerate(values.items()):
            ws.write_string(row, 0, key)
            ws.write_string(row, 1, value)
            wb.define_name(form.META_NAMES[key], f"={SHEET_META}!$B${row + 1}")
        ws.protect()
        ws.very_hidden()

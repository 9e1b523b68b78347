"""The template's sheet «Kiểm tra»: the rules of plan/rules.toml that relate cells, as formulas that
recalculate while the unit types, with the number of cells that break each one and where; an overall
status («Biểu đã đủ và hợp lệ – có thể gửi» or «Chưa gửi được: còn N lỗi»); and the same rules as
conditional formats that colour the offending cells as the feedback copies do.

Every formula comes from the rule's definition in comparisons.py, the one ingest evaluates. Only
functions that Excel 2010, LibreOffice and WPS compute alike are used (FUNCTIONS); no array formulas.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.core.findings import SEVERITY_LABELS
from pipeline.core.xlsx import cell_name
from pipeline.plan import form
from pipeline.templates.cells import Cells, row_height
from pipeline.validation import checks as check_types
from pipeline.validation import comparisons
from pipeline.validation.book import RuleBook
from pipeline.validation.checks import scale_of

STATUS_NAME = "out_check_status"
VALID = "Biểu đã đủ và hợp lệ – có thể gửi"
NOT_YET = "Chưa gửi được: còn "
FILLS = {"error": "#FFC7CE", "warning": "#FFEB9C", "valid": "#C6EFCE"}  # as the marked copies of intake/feedback.py
# The functions the template's formulas may use: in Excel 2010, LibreOffice and WPS alike.
FUNCTIONS = frozenset({"IF", "AND", "OR", "NOT", "ISNUMBER", "N", "SUM", "COUNTIF", "SUMIF", "INT", "ABS", "LEFT",
                       "LEN", "SUBSTITUTE"})
HELPER_COL = 7  # hidden columns H (1 while an instance is broken) and I (where it is)


@dataclass(frozen=True)
class Check:
    code: str  # the rule's code in rules.toml
    severity: str
    label: str
    pairs: list[comparisons.Comparison]
    scale: float


def checks(template: Cells, rules: RuleBook) -> list[Check]:
    """The rules this template can check itself, in rules.toml's order."""
    found = []
    for rule in rules.rules.values():
        if rule.check is None or rule.check in check_types.RECEIPT_ONLY:
            continue
        pairs = [p for p in check_types.comparisons_of(rule.check, template.plan, template.rnd)
                 if all(n in template.names for n in (p.flagged, p.left, p.right or p.left))]
        if pairs:
            label = str(rule.params.get("check_label", rule.code)).replace("{percent}", f"{scale_of(rule) * 100:g}")
            found.append(Check(rule.code, rule.severity, label, pairs, scale_of(rule) if rule.check == "above_target"
                               else 1.0))
    return found


def receipt_only(rules: RuleBook) -> list[str]:
    """The labels of the rules checked only when the province receives the file."""
    return [str(r.params.get("check_label", r.code)) for r in rules.rules.values()
            if r.check in check_types.RECEIPT_ONLY]


def write(template: Cells, ws, wb, rules: RuleBook) -> None:
    """`template` is the templates._Template being written, every data sheet already in `wb`."""
    s = template.styles
    cells = {name: form.reference(sheet, cell) for name, (sheet, cell) in template.names.items()}
    ws.set_column(0, 0, 5)
    ws.set_column(1, 1, 46)
    ws.set_column(2, 3, 9)
    ws.set_column(4, 4, 60)
    ws.set_column(HELPER_COL, HELPER_COL + 1, 12, None, {"hidden": True})
    template.merged(ws, 0, 0, 4, "KIỂM TRA BIỂU TRƯỚC KHI GỬI", s["title"])
    template.merged(ws, 2, 0, 4, "Trang này tự tính lại khi nhập số liệu. Ô vi phạm được tô màu ở trang của nó "
                    "(đỏ: lỗi, vàng: lưu ý).", s["subtitle"])
    for col, text in enumerate(["TT", "Kiểm tra", "Mức", "Số ô", "Ở đâu"]):
        template.fixed(ws, 4, col, text, s["header"])
    helper = 5
    error_counts: list[str] = []
    warning_counts: list[str] = []
    found = checks(template, rules)
    for number, check in enumerate(found, start=1):
        row = 4 + number
        first = helper
        broken_now = 0
        where: dict[str, list[str]] = {}  # per sheet, in order: the IF that names each flagged cell
        flags: dict[str, list[str]] = {}
        worst: dict[str, list[str]] = {}  # every cell of the check named: how tall the row must be
        for pair in check.pairs:
            formula = comparisons.formula(pair, cells, check.scale)
            left, right = template.cached.get(pair.left), template.cached.get(pair.right)
            broken = comparisons.broken(pair, left, right, check.scale)
            broken_now += broken
            sheet, cell = template.names[pair.flagged]
            template.formula(ws, helper, HELPER_COL, f"=IF({formula},1,0)", None, int(broken))
            template.fixed(ws, helper, HELPER_COL + 1, f"{cell}, ")
            flag, place = cell_name(helper, HELPER_COL), cell_name(helper, HELPER_COL + 1)
            where.setdefault(sheet, []).append(f'IF({flag}=1,{place},"")')
            flags.setdefault(sheet, []).append(flag)
            worst.setdefault(sheet, []).append(cell)
            _highlight(template, wb, pair, check)
            helper += 1
        count_cell = cell_name(row, 3)
        (error_counts if check.severity == "error" else warning_counts).append(count_cell)
        template.fixed(ws, row, 0, number, s["center"])
        template.fixed(ws, row, 1, check.label, s["cell"])
        named = " ".join(f"«{sheet}» ô {', '.join(found)};" for sheet, found in worst.items())
        ws.set_row(row, max(row_height(check.label, 44), row_height(named, 58)))
        ws.conditional_format(row, 3, row, 3, {"type": "cell", "criteria": ">", "value": 0,
                                               "format": _fill(template, wb, check.severity)})
        template.fixed(ws, row, 2, SEVERITY_LABELS[check.severity], s["center"])
        span = f"{cell_name(first, HELPER_COL)}:{cell_name(helper - 1, HELPER_COL)}"
        template.formula(ws, row, 3, f"=SUM({span})", s["number"], broken_now)
        template.formula(ws, row, 4, "=" + "&".join(_where(sheet, where[sheet], flags[sheet]) for sheet in where),
                         s["cell"], "")
    later = receipt_only(rules)
    if later:
        text = "Kiểm tra khi tỉnh nhận tệp (không thực hiện được trên biểu): " + "; ".join(later) + "."
        template.merged(ws, 5 + len(found), 0, 4, text, s["wrap"])
        ws.set_row(5 + len(found), row_height(text, 125))
    _status(template, ws, wb, error_counts, warning_counts)
    template.page(ws, 4, 5)
    ws.set_portrait()


def _where(sheet: str, named: list[str], flags: list[str]) -> str:
    """«sheet» ô G8, G9; for the broken cells of one sheet, nothing when none is: the sheet named once, so
    that the cell lists what a district must fix in as few lines as its row has."""
    cells = "&".join(named)
    return (f'IF(SUM({",".join(flags)})=0,"","«{sheet}» ô "&SUBSTITUTE({cells}&"|",", |","; "))')


def _status(template: Cells, ws, wb, errors: list[str], warnings: list[str]) -> None:
    error_sum = f"SUM({','.join(errors)})" if errors else "0"
    warning_sum = f"SUM({','.join(warnings)})" if warnings else "0"
    formula = (f'=IF({error_sum}=0,"{VALID}"&IF({warning_sum}>0," (có "&{warning_sum}&" lưu ý, xem bên dưới)",""),'
               f'"{NOT_YET}"&{error_sum}&" lỗi")')
    ws.merge_range(1, 0, 1, 4, "", template.styles["status"])
    template.formula(ws, 1, 0, formula, template.styles["status"], "", STATUS_NAME)
    ws.set_row(1, 28)
    for begins, severity in ((NOT_YET, "error"), (VALID, "valid")):
        ws.conditional_format(1, 0, 1, 4, {"type": "text", "criteria": "begins with", "value": begins,
                                           "format": _fill(template, wb, severity)})


def _highlight(template: Cells, wb, pair: comparisons.Comparison, check: Check) -> None:
    """Colour the flagged cell while the rule is broken (a formula on its own sheet)."""
    sheet, cell = template.names[pair.flagged]
    local = _local_names(template, sheet)
    if not all(n in local for n in (pair.left, pair.right or pair.left)):
        return
    formula = comparisons.formula(pair, local, check.scale)
    wb.get_worksheet_by_name(sheet).conditional_format(cell, {"type": "formula", "criteria": f"={formula}",
                                                              "format": _fill(template, wb, check.severity)})


def _local_names(template: Cells, sheet: str) -> dict[str, str]:
    """Every defined name on `sheet`, as an absolute reference without the sheet (once per sheet)."""
    if sheet not in template.local_names:
        template.local_names[sheet] = {n: form.absolute(c) for n, (s, c) in template.names.items() if s == sheet}
    return template.local_names[sheet]


def _fill(template: Cells, wb, kind: str):
    if kind not in template.check_formats:
        template.check_formats[kind] = wb.add_format({"bg_color": FILLS[kind]})
    return template.check_formats[kind]


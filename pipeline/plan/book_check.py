"""The plan workbook checked as strictly as a unit's report, and turned into the plan folder's files.

`check_book` takes the sheets as the isolated worker read them and returns the files' texts, or every
error found, each located at its sheet and cell. It checks what the folder's loader checks, and more
(a target typed as text, totals that do not add up, validity periods that leave a gap, a round outside
the phase or due before it opens); the caller then loads the written folder as a last check."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from typing import Any

from xlsxwriter.utility import xl_col_to_name

from pipeline.core.errors import PlanError
from pipeline.plan import book_layout as L
from pipeline.plan import schedule, succession
from pipeline.plan.book_cells import BookError, BookRow, Cells
from pipeline.plan.csv_rows import Row, ascii_slug
from pipeline.plan.new_phase import phase_span

_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
OPTIONAL_UNIT_COLUMNS = ("senders", "area", "chair")


@dataclass
class Checked:
    files: dict[str, str]  # file name in the plan folder -> its text; empty when there are errors
    errors: list[BookError]
    rows: dict[str, list[int]]  # file -> the sheet row (0-based) of each data line, to locate later errors


def check_book(grids: dict[str, list[list]], formulas: dict[str, dict[str, str]]) -> Checked:
    cells = Cells(grids, formulas)
    identity = cells.identity()
    tables = {table.file: cells.table(table) for table in L.TABLES}
    phase = _check_identity(cells, identity)
    groups = _unique(cells, tables["groups.csv"], "code", "mã nhóm")
    units = tables["units.csv"]
    _check_units(cells, units)
    indicators = _check_codes(cells, tables["indicators.csv"], groups, "chỉ tiêu")
    _check_codes(cells, tables["ratios.csv"], groups, "chỉ tiêu tỷ lệ")
    for row in tables["ratios.csv"]:
        if row.values.get("code") in indicators:
            cells.error("plan-code-duplicate", row.at("code"), f"mã «{row.text('code')}» đã dùng ở trang "
                                                               f"«{L.SHEET_INDICATORS}».")
    _check_codes(cells, tables["budget_sources.csv"], None, "nguồn kinh phí")
    _check_rounds(cells, tables["rounds.csv"], phase)
    known = {row.text("code") for row in units}
    for row in tables["formed_from.csv"]:
        if row.values.get("code") and row.text("code") not in known:
            cells.error("plan-unit-unknown", row.at("code"), f"không có đơn vị mã «{row.text('code')}» ở trang "
                                                             f"«{L.SHEET_UNITS}».")
    targets = _read_targets(cells, units, indicators)
    if cells.errors:
        return Checked({}, cells.errors, {})
    files = {"plan.toml": _plan_toml(identity, phase)}
    rows: dict[str, list[int]] = {}
    for table in L.TABLES:
        found = tables[table.file]
        if table is L.FORMED and not found:
            continue
        unused = {k for k in OPTIONAL_UNIT_COLUMNS if not any(r.text(k) for r in found)} if table is L.UNITS else set()
        columns = [c.key for c in table.columns if c.key not in unused]
        files[table.file] = _csv(columns, [[_stored(r.values.get(k)) for k in columns] for r in found])
        rows[table.file] = [r.row for r in found]
    files["targets.csv"], files["totals.csv"], rows["targets.csv"] = targets
    rows["totals.csv"] = [L.TARGET_CODE_ROW + 1, L.TARGET_CODE_ROW + 2]
    return Checked(files, [], rows)


def _check_identity(cells: Cells, identity: dict) -> tuple[int, int] | None:
    """The plan's id, and its phase as (first year, last year)."""
    if identity.get("id") and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", str(identity["id"])):
        cells.error("plan-cell-code", identity_cell("id"),
                    "mã kế hoạch chỉ gồm chữ không dấu, số, dấu chấm, gạch ngang và gạch dưới.")
    text = identity.get("phase")
    span = phase_span(str(text or ""))
    if text and span is None:
        cells.error("plan-phase", identity_cell("phase"),
                    f"giai đoạn ghi «{text}»; hãy ghi năm đầu-năm cuối, ví dụ 2026-2030.")
    return span


def identity_cell(key: str) -> str:
    """Where a plan.toml key is typed on the identity sheet."""
    return L.where(L.SHEET_IDENTITY, L.FIRST_ROW + [f.key for f in L.IDENTITY].index(key), 1)


def _unique(cells: Cells, rows: list[BookRow], key: str, what: str) -> dict[str, BookRow]:
    seen: dict[str, BookRow] = {}
    for row in rows:
        value = row.values.get(key)
        if value is None:
            continue
        if value in seen:
            cells.error("plan-code-duplicate", row.at(key), f"{what} «{value}» bị lặp (đã có ở "
                                                            f"{seen[value].at(key)}).")
        else:
            seen[str(value)] = row
    return seen


def _check_codes(cells: Cells, rows: list[BookRow], groups: dict | None, what: str) -> dict[str, BookRow]:
    """Codes of indicators, ratios, budget sources: ASCII, starting with a letter, unique; the group known."""
    for row in rows:
        code = row.values.get("code")
        if code is not None and not _CODE.match(str(code)):
            cells.error("plan-cell-code", row.at("code"), f"mã {what} «{code}» phải bắt đầu bằng chữ cái và chỉ gồm "
                                                          "a-z, 0-9 và _ (không dấu, không cách).")
        if groups is not None and row.values.get("group") is not None and row.text("group") not in groups:
            cells.error("plan-group-unknown", row.at("group"), f"nhóm «{row.text('group')}» không có ở trang "
                                                               f"«{L.SHEET_GROUPS}».")
        if row.values.get("window"):
            try:
                schedule.from_window(row.text("window"), "")
            except PlanError as exc:
                cells.error("plan-window", row.at("window"), _message(exc))
    return _unique(cells, rows, "code", f"mã {what}")


def _check_units(cells: Cells, units: list[BookRow]) -> None:
    by_code = _unique(cells, units, "code", "mã đơn vị")
    for row in units:
        if not row.values.get("slug") and row.values.get("name"):
            row.values["slug"] = ascii_slug(row.text("name"))
    _unique(cells, units, "slug", "tên trong tên tệp")
    provinces = [r for r in units if r.values.get("level") == "province"]
    if len(provinces) != 1:
        cells.error("plan-province", f"'{L.SHEET_UNITS}'", f"phải có đúng một đơn vị «{L.LEVEL_LABELS['province']}», "
                                                           f"đang có {len(provinces)}.")
    for row in units:
        values = row.values
        if values.get("level") == "district" and values.get("villages") is None and values.get("code"):
            cells.error("plan-cell-empty", row.at("villages"), "đơn vị cấp huyện cần ghi số bản ĐBKK.")
        senders = [a for a in re.split(r"[;,\s]+", row.text("senders")) if a]
        if any("@" not in a for a in senders):
            cells.error("plan-senders", row.at("senders"), "ghi các địa chỉ thư điện tử, cách nhau bằng dấu «;».")
        start, end = values.get("valid_from"), values.get("valid_to")
        if start and end and end <= start:
            cells.error("plan-unit-period", row.at("valid_to"), f"ngày thôi hiệu lực ({end:%d/%m/%Y}) phải sau ngày "
                                                                f"có hiệu lực ({start:%d/%m/%Y}).")
        former = [c for c in re.split(r"[;,\s]+", row.text("former")) if c]
        values["former"] = ";".join(former)
        for code in former:
            predecessor = by_code.get(code)
            if predecessor is None:
                cells.error("plan-unit-unknown", row.at("former"), f"kế tục đơn vị «{code}», nhưng không có đơn vị "
                                                                   "mã đó.")
            elif predecessor.values.get("valid_to") != start or start is None:
                end_text = (f"{predecessor.values['valid_to']:%d/%m/%Y}" if predecessor.values.get("valid_to")
                            else "chưa ghi")
                cells.error("plan-unit-gap", row.at("valid_from"),
                            f"đơn vị kế tục {code} phải có hiệu lực đúng từ ngày {code} thôi hiệu lực ({end_text}), "
                            f"không chồng lên nhau, không để khoảng trống ({predecessor.at('valid_to')}).")
        try:
            succession.attribution(Row("", 0, {"attribution": row.text("attribution")}), tuple(former))
        except PlanError as exc:
            cells.error("plan-attribution", row.at("attribution"), _message(exc))


def _check_rounds(cells: Cells, rounds: list[BookRow], phase: tuple[int, int] | None) -> None:
    _unique(cells, rounds, "id", "mã kỳ")
    for row in rounds:
        values = row.values
        year, kind = values.get("year"), values.get("kind")
        if year is not None and kind and values.get("id") and values["id"] != f"{year}-{kind}":
            cells.error("plan-round-id", row.at("id"), f"mã kỳ phải là «{year}-{kind}» (năm-loại), đang ghi "
                                                       f"«{values['id']}».")
        if phase and year is not None and not phase[0] <= year <= phase[1]:
            cells.error("plan-round-outside", row.at("year"), f"năm {year} nằm ngoài giai đoạn "
                                                              f"{phase[0]}-{phase[1]} của kế hoạch.")
        opens, unit_day, province_day = (values.get(k) for k in ("opens", "district_deadline", "province_deadline"))
        if opens and unit_day and unit_day < opens:
            cells.error("plan-round-order", row.at("district_deadline"), f"hạn đơn vị gửi ({unit_day:%d/%m/%Y}) "
                                                                         f"trước ngày mở nhận ({opens:%d/%m/%Y}).")
        if unit_day and province_day and province_day < unit_day:
            cells.error("plan-round-order", row.at("province_deadline"),
                        f"hạn tỉnh báo cáo ({province_day:%d/%m/%Y}) trước hạn đơn vị gửi ({unit_day:%d/%m/%Y}).")


def _read_targets(cells: Cells, units: list[BookRow], indicators: dict[str, BookRow]):
    """(targets.csv, totals.csv, sheet rows of targets.csv): the targets sheet read by its code row."""
    sheet, first = L.SHEET_TARGETS, L.TARGET_FIRST_COL
    if sheet not in cells.grids:
        cells.error("plan-sheet-missing", f"'{sheet}'", "không có trang này.")
        return "", "", []
    columns: dict[str, int] = {}
    for col in range(first, max(cells.width(sheet), first)):
        code = cells.value(sheet, L.TARGET_CODE_ROW, col, "code", "Mã chỉ tiêu")
        if code is None:
            if any(cells.raw(sheet, r, col) not in ("", None) for r in range(L.TARGET_CODE_ROW + 1, cells.rows(sheet))):
                cells.error("plan-target-column", L.where(sheet, L.TARGET_CODE_ROW, col),
                            "cột có số liệu nhưng chưa ghi mã chỉ tiêu ở hàng này.")
        elif code not in indicators:
            cells.error("plan-target-column", L.where(sheet, L.TARGET_CODE_ROW, col),
                        f"«{code}» không phải mã chỉ tiêu nào ở trang «{L.SHEET_INDICATORS}».")
        elif code in columns:
            cells.error("plan-code-duplicate", L.where(sheet, L.TARGET_CODE_ROW, col),
                        f"chỉ tiêu «{code}» đã có cột {xl_col_to_name(columns[code])}.")
        else:
            columns[code] = col
    for code, indicator in indicators.items():
        if code not in columns:
            cells.error("plan-target-column", L.where(sheet, L.TARGET_CODE_ROW, first),
                        f"chưa có cột chỉ tiêu cho «{code}» ({indicator.text('short_name')}); ghi mã vào một ô vàng "
                        "còn trống của hàng này.")
    codes = [c for c in indicators if c in columns]
    errors_before = len(cells.errors)
    by_code = {r.text("code"): r for r in units if r.values.get("code")}
    targets: dict[str, dict[str, Any]] = {}
    lines: list[int] = []
    for row in range(L.TARGET_FIRST_UNIT_ROW, cells.rows(sheet)):
        unit = cells.value(sheet, row, 0, "code", "Mã đơn vị")
        figures = {c: cells.value(sheet, row, columns[c], "count", f"Chỉ tiêu {c} của {unit or 'dòng này'}",
                                  required=unit is not None)
                   for c in codes} if unit is not None or _any_figure(cells, row, columns) else {}
        if unit is None:
            if figures:
                cells.error("plan-target-unit", L.where(sheet, row, 0), "dòng có chỉ tiêu nhưng chưa ghi mã đơn vị.")
            continue
        if unit not in by_code:
            cells.error("plan-unit-unknown", L.where(sheet, row, 0), f"không có đơn vị mã «{unit}» ở trang "
                                                                     f"«{L.SHEET_UNITS}».")
        elif unit in targets:
            cells.error("plan-code-duplicate", L.where(sheet, row, 0), f"đơn vị «{unit}» đã có dòng chỉ tiêu.")
        else:
            targets[unit] = figures
            lines.append(row)
    for code, entry in by_code.items():
        if entry.values.get("level") in ("province", "district") and code not in targets:
            cells.error("plan-target-missing", f"'{sheet}'", f"thiếu dòng chỉ tiêu của {code} ({entry.text('name')}): "
                                                             "cấp tỉnh và mọi huyện đều được giao chỉ tiêu.")
    # a total is compared only where every figure under it was read: one wrong cell, one error
    doubtful = any(e.where.startswith(f"'{sheet}'!A") or not e.where.startswith(f"'{sheet}'!")
                   for e in cells.errors[errors_before:])
    unread = {c for c in codes for v in targets.values() if v.get(c) is None}
    totals = _totals(cells, units, targets, codes, columns, skip=set(codes) if doubtful else unread)
    names = {code: row.text("name") for code, row in by_code.items()}
    target_text = _csv(["unit", "name", *codes], [[u, names.get(u, ""), *(_stored(v[c]) for c in codes)]
                                                 for u, v in targets.items()])
    labels = {"total": "Tổng cộng chỉ tiêu giai đoạn", "districts": "Cộng mục II"}
    totals_text = _csv(["row", "name", *codes], [[k, labels[k], *(_stored(totals[k][c]) for c in codes)]
                                                 for k in L.TARGET_TOTAL_ROWS])
    return target_text, totals_text, lines


def _any_figure(cells: Cells, row: int, columns: dict[str, int]) -> bool:
    return any(cells.raw(L.SHEET_TARGETS, row, col) not in ("", None) for col in columns.values())


def _totals(cells: Cells, units: list[BookRow], targets: dict, codes: list[str], columns: dict[str, int],
            skip: set[str]) -> dict:
    """The two total rows: each as given, or the sum when left empty; given, it must agree."""
    sheet = L.SHEET_TARGETS
    province = next((r.text("code") for r in units if r.values.get("level") == "province"), "")
    below = [r.text("code") for r in units if r.values.get("level") not in ("province", None) and not r.text("former")
             and (r.text("code") in targets or r.values.get("level") == "district")]
    sums = {"districts": {c: sum(targets.get(u, {}).get(c) or 0 for u in below) for c in codes}}
    sums["total"] = {c: (targets.get(province, {}).get(c) or 0) + sums["districts"][c] for c in codes}
    found = {}
    for n, key in enumerate(L.TARGET_TOTAL_ROWS):
        row = L.TARGET_CODE_ROW + 1 + n
        given = {c: cells.value(sheet, row, columns[c], "count", f"Tổng chỉ tiêu «{c}»") for c in codes}
        if all(v is None for v in given.values()):
            found[key] = sums[key]
            continue
        for code in codes:
            where = L.where(sheet, row, columns[code])
            if given[code] is None and cells.raw(sheet, row, columns[code]) in ("", None):
                cells.error("plan-cell-empty", where, f"dòng tổng đã điền nên cần đủ mọi chỉ tiêu; «{code}» còn trống.")
            elif given[code] is not None and given[code] != sums[key][code] and code not in skip:
                what = "cấp tỉnh cộng các đơn vị" if key == "total" else "cộng các đơn vị dưới cấp tỉnh"
                cells.error("plan-total-mismatch", where, f"chỉ tiêu «{code}»: {what} được {sums[key][code]}, "
                                                          f"nhưng dòng tổng ghi {given[code]}.")
        found[key] = given
    return found


def _plan_toml(identity: dict, phase: tuple[int, int] | None) -> str:
    lines = ["# Written by run_pipeline.py plan --from-workbook; the tables are the CSV files beside this one."]
    for fld in L.IDENTITY:
        value = identity.get(fld.key)
        if fld.key == "phase" and phase:
            value = f"{phase[0]}-{phase[1]}"
        if fld.key == "total_villages":
            lines.append(f"total_villages = {value or 0}")
        elif value not in (None, ""):
            lines.append(f"{fld.key} = {json.dumps(str(value), ensure_ascii=False)}")
    return "\n".join(lines) + "\n"


def _stored(value: object) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()  # type: ignore[union-attr]
    return str(value)


def _csv(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _message(exc: PlanError) -> str:
    """A loader's message without the file and line it would name (the caller gives the cell)."""
    text = str(exc)
    return text.split(": ", 1)[1] if ": " in text[:40] else text

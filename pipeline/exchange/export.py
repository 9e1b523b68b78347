"""The ledger's accepted figures as one tidy table, for other programs and for the national rollup:
one row per unit × round × subject × measure, with the value and the file, sheet and cell it came
from. Written as CSV (UTF-8 with a byte-order mark, so Excel opens it), as .xlsx, and described by a
Frictionless `datapackage.json` (columns, types, the CSV's SHA-256 and size)."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd

from pipeline import __version__
from pipeline.core.atomic import atomic_path, write_bytes, write_text
from pipeline.core.locations import EXPORT_PACKAGE
from pipeline.core.vietnamese import LEVEL_WORDS
from pipeline.ledger.store import Ledger
from pipeline.plan import form
from pipeline.plan.model import Plan

PACKAGE_PROFILE = "tabular-data-package"
# (column, Frictionless type, description): the contract rollup.py reads back.
COLUMNS = (
    ("plan", "string", "mã kế hoạch (plan.toml id)"),
    ("province", "string", "tỉnh"),
    ("unit_code", "string", "mã đơn vị"),
    ("unit_name", "string", "tên đơn vị"),
    ("unit_level", "string", "cấp: province, district, commune, department"),
    ("former_unit", "string", "mã các đơn vị cũ mà đơn vị này kế tục, cách nhau bằng «;» (nếu có)"),
    ("round", "string", "mã kỳ báo cáo"),
    ("round_year", "integer", "năm của kỳ"),
    ("round_kind", "string", "annual, update hoặc adhoc"),
    ("part", "string", "indicator, ratio, budget, activity, question"),
    ("subject", "string", "mã chỉ tiêu, tỷ lệ, nguồn vốn, hoạt động hoặc câu hỏi"),
    ("measure", "string", "ytd, estimate, actual, previous, num, den, allocated, disbursed, …"),
    ("value", "number", "giá trị đã tiếp nhận"),
    ("record_id", "integer", "mã sổ ghi của tệp nguồn"),
    ("source_file", "string", "tên tệp nguồn"),
    ("sheet", "string", "trang tính của ô nguồn"),
    ("cell", "string", "ô nguồn"),
    ("sha256", "string", "SHA-256 của tệp nguồn"),
    ("received_at", "string", "thời điểm nhận tệp, ISO 8601 theo giờ Việt Nam (+07:00); chỉ có ngày khi lần "
                              "chạy được giao một ngày (--today)"),
)
# The columns' Vietnamese titles (datapackage.json `title`, and the headings of the .xlsx's sheet for people).
TITLES = {
    "plan": "Kế hoạch", "province": "Tỉnh", "unit_code": "Mã đơn vị", "unit_name": "Đơn vị", "unit_level": "Cấp",
    "former_unit": "Kế tục đơn vị", "round": "Kỳ báo cáo", "round_year": "Năm", "round_kind": "Loại kỳ",
    "part": "Phần", "subject": "Nội dung (mã)", "measure": "Số đo (mã)", "value": "Giá trị",
    "record_id": "Mã sổ ghi", "source_file": "Tệp nguồn", "sheet": "Trang tính", "cell": "Ô",
    "sha256": "SHA-256 của tệp nguồn", "received_at": "Thời điểm nhận tệp (giờ Việt Nam)",
}
WORDS = {
    "unit_level": LEVEL_WORDS,
    "round_kind": {"annual": "báo cáo năm", "update": "cập nhật cả năm", "adhoc": "chuyên đề, đột xuất"},
    "part": {"indicator": "chỉ tiêu", "ratio": "tỷ lệ", "budget": "kinh phí", "activity": "hoạt động",
             "question": "câu hỏi"},
}
VIETNAM = timezone(timedelta(hours=7), "ICT")
KEY = ["unit_code", "round", "part", "subject", "measure"]
# A text cell a spreadsheet would take as a formula when it opens the CSV (OWASP, "CSV injection"):
# it gets a leading apostrophe, which spreadsheets show as text and do not display.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def export_name(plan: Plan) -> str:
    return f"so-lieu_{plan.id}"


def tidy(plan: Plan, ledger: Ledger) -> pd.DataFrame:
    """Every number of every accepted submission that counts, in a stable order."""
    rows = []
    for rnd in plan.all_rounds:
        fields = {f.name: f for f in form.input_fields(plan, rnd)}
        for code, record in sorted(ledger.current(rnd.id).items()):
            unit = plan.unit(code)
            for name, stored in sorted(ledger.values(record.id).items()):
                fld = fields.get(name)
                if fld is None or stored.number is None or fld.kind not in ("count", "money", "yesno"):
                    continue
                rows.append((plan.id, plan.province, unit.code, unit.name, unit.level, ";".join(unit.former), rnd.id,
                             rnd.year, rnd.kind, fld.part, fld.subject, fld.measure, stored.number, record.id,
                             record.shown_name, stored.sheet, stored.cell, record.sha256,
                             in_vietnam_time(record.received_at)))
    frame = pd.DataFrame(rows, columns=[c for c, _, _ in COLUMNS])
    return frame.astype({"round_year": "int64", "record_id": "int64", "value": "float64"})


def in_vietnam_time(received_at: str) -> str:
    """A ledger moment as ISO 8601 in Vietnam's time (+07:00): a moment with a zone is converted, one
    without is this machine's local time (the officer's), a bare day stays a day."""
    if len(received_at) <= 10:
        return received_at
    try:
        moment = datetime.fromisoformat(received_at)
    except ValueError:
        return received_at
    return (moment if moment.tzinfo else moment.astimezone()).astimezone(VIETNAM).isoformat(timespec="seconds")


def write_export(plan: Plan, ledger: Ledger, folder: Path) -> list[Path]:
    frame = tidy(plan, ledger)
    name = export_name(plan)
    csv = neutralised(frame).to_csv(index=False, lineterminator="\n").encode("utf-8-sig")
    csv_path = folder / f"{name}.csv"
    write_bytes(csv_path, csv)
    xlsx_path = folder / f"{name}.xlsx"
    moment = max((datetime.fromisoformat(r).replace(tzinfo=None) for r in frame["received_at"]),
                 default=datetime(2000, 1, 1))  # the latest file's moment, in Vietnam, stamps the workbook
    with atomic_path(xlsx_path) as tmp:
        _write_xlsx(frame, tmp, moment)
    package = {
        "profile": PACKAGE_PROFILE,
        "name": name,
        "title": f"Số liệu đã tiếp nhận – {plan.title}",
        "p8": {"plan": plan.id, "province": plan.province, "document": plan.document, "rows": len(frame),
               "generator": f"p8-pipeline {__version__}"},
        "resources": [{
            "name": "so-lieu",
            "path": csv_path.name,
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8-sig",
            "bytes": len(csv),
            "hash": f"sha256:{hashlib.sha256(csv).hexdigest()}",
            "schema": {"fields": [{"name": c, "title": TITLES[c], "type": t, "description": d}
                                  for c, t, d in COLUMNS],
                       "primaryKey": KEY},
        }],
    }
    package_path = folder / EXPORT_PACKAGE
    write_text(package_path, json.dumps(package, ensure_ascii=False, indent=1) + "\n")
    return [csv_path, xlsx_path, package_path]


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every text cell that starts like a formula prefixed with an apostrophe (the .xlsx
    needs none: its cells are typed)."""
    text = frame.select_dtypes(include="object").columns
    return frame.assign(**{column: frame[column].map(
        lambda v: f"'{v}" if isinstance(v, str) and v.startswith(FORMULA_START) else v) for column in text})


def _write_xlsx(frame: pd.DataFrame, path: Path, moment: datetime) -> None:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="xlsxwriter",
                        engine_kwargs={"options": {"strings_to_formulas": False, "strings_to_urls": False}}) as writer:
        writer.book.set_properties({"created": moment, "title": "Số liệu đã tiếp nhận"})
        frame.to_excel(writer, sheet_name="So lieu", index=False)
        writer.sheets["So lieu"].freeze_panes(1, 0)
        writer.sheets["So lieu"].autofilter(0, 0, len(frame), len(frame.columns) - 1)
        # The same rows for people: Vietnamese headings and words; the sheet above keeps the machine names.
        shown = frame.assign(**{c: frame[c].map(lambda v, w=words: w.get(v, v)) for c, words in WORDS.items()})
        shown.rename(columns=TITLES).to_excel(writer, sheet_name="Số liệu (tiếng Việt)", index=False)
        writer.sheets["Số liệu (tiếng Việt)"].freeze_panes(1, 0)
        writer.sheets["Số liệu (tiếng Việt)"].autofilter(0, 0, len(frame), len(frame.columns) - 1)
    path.write_bytes(buffer.getvalue())

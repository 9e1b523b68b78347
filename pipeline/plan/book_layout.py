"""The plan as a workbook (`plan --workbook`, `plan --from-workbook`): its sheets, and in each the
columns, their Vietnamese headings and what a cell may hold. The writer lays the workbook out from
this, and the checker reads it back by the same description, so the two cannot drift apart.

Each table sheet maps to one file of the plan folder, one row per row, one column per column; the
identity sheet maps to plan.toml. Choices are shown in Vietnamese and stored as the folder's codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.core.xlsx import cell_name
from pipeline.plan.model import ROUND_KINDS, UNIT_LEVELS

SHEET_GUIDE = "Hướng dẫn"
SHEET_IDENTITY = "Kế hoạch"
SHEET_UNITS = "Đơn vị"
SHEET_GROUPS = "Nhóm nội dung"
SHEET_INDICATORS = "Chỉ tiêu"
SHEET_TARGETS = "Chỉ tiêu theo đơn vị"
SHEET_RATIOS = "Chỉ tiêu tỷ lệ"
SHEET_BUDGET = "Nguồn kinh phí"
SHEET_ROUNDS = "Kỳ báo cáo"
SHEET_FORMED = "Hình thành từ"

# Rows, 0-based as the writer counts them: title, subtitle, a blank row, the headings, then data.
HEADER_ROW = 3
FIRST_ROW = 4
# The targets sheet has a second heading row: the indicator codes, by which its columns are read.
TARGET_CODE_ROW = 4
TARGET_TOTAL_ROWS = ("total", "districts")  # totals.csv, above the units' rows
TARGET_FIRST_UNIT_ROW = 7
TARGET_FIRST_COL = 2

LEVEL_LABELS = {"province": "Cấp tỉnh", "district": "Cấp huyện", "commune": "Cấp xã", "department": "Sở, ngành"}
KIND_LABELS = {"stock": "Số hiện có", "flow": "Số phát sinh"}
# Only the regular rounds: an adhoc round's questions stay in the folder's files (plan/README.md).
ROUND_LABELS = {"annual": "Báo cáo năm", "update": "Cập nhật cả năm"}
YES_NO_LABELS = {"": "Có", "no": "Không"}
assert set(LEVEL_LABELS) == set(UNIT_LEVELS) and set(ROUND_LABELS) < set(ROUND_KINDS)


@dataclass(frozen=True)
class Column:
    key: str  # the folder file's column
    label: str  # the heading people read
    kind: str = "text"  # text, code (ASCII), int, count (int ≥ 0), percent, date, choice
    width: int = 14
    required: bool = False
    choices: dict[str, str] = field(default_factory=dict)  # stored code -> label shown
    hint: str = ""  # the input message of the cell


@dataclass(frozen=True)
class Table:
    sheet: str
    file: str
    title: str
    columns: tuple[Column, ...]
    spare: int  # empty input rows below the data, for rows the officer adds

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.columns)


@dataclass(frozen=True)
class Field:
    """One line of the identity sheet: a plan.toml key."""

    key: str
    label: str
    kind: str = "text"
    required: bool = False
    hint: str = ""


IDENTITY = (
    Field("id", "Mã kế hoạch (chữ không dấu, không cách)", "code", True,
          "Mã ngắn, duy nhất cho kế hoạch này; in trên mọi mẫu báo cáo để nhận ra tệp của kế hoạch nào."),
    Field("document", "Văn bản (số, ngày, cơ quan ban hành)", "text", True),
    Field("title", "Tên kế hoạch", "text", True),
    Field("short_title", "Tên ngắn (in trên mẫu và báo cáo)", "text"),
    Field("phase", "Giai đoạn (ví dụ 2026-2030)", "text", True),
    Field("province", "Tỉnh", "text"),
    Field("reporting_body", "Cơ quan nhận và tổng hợp báo cáo", "text"),
    Field("total_villages", "Tổng số bản ĐBKK (để trống nếu không giao theo bản)", "count"),
    Field("budget_unit", "Đơn vị tính kinh phí", "text"),
)

UNITS = Table(SHEET_UNITS, "units.csv", "DANH SÁCH ĐƠN VỊ BÁO CÁO", (
    Column("code", "Mã đơn vị", "code", 10, True, hint="Mã đơn vị hành chính chính thức (cấp tỉnh: mã tỉnh)."),
    Column("level", "Cấp", "choice", 11, True, LEVEL_LABELS),
    Column("kind", "Loại (huyện, xã, phường…)", "text", 11),
    Column("name", "Tên đơn vị", "text", 24, True),
    Column("slug", "Tên trong tên tệp (không dấu)", "code", 18,
           hint="Để trống: lấy từ tên đơn vị, bỏ dấu."),
    Column("villages", "Số bản ĐBKK", "count", 9),
    Column("appendix_no", "STT trong phụ lục", "text", 8),
    Column("valid_from", "Có hiệu lực từ ngày", "date", 12,
           hint="Để trống nếu đơn vị có từ đầu giai đoạn."),
    Column("valid_to", "Thôi hiệu lực từ ngày", "date", 12,
           hint="Ngày đơn vị không còn (ví dụ 01/07/2025 khi sắp xếp); để trống nếu vẫn còn."),
    Column("former", "Kế tục đơn vị (mã, cách nhau bằng ;)", "text", 14),
    Column("attribution", "Số liệu tính cho (mã hoặc mã:%)", "text", 14,
           hint="Khi kế tục nhiều đơn vị: một mã, hoặc tỷ lệ, ví dụ 123:60; 128:40."),
    Column("reports", "Có báo cáo", "choice", 8, choices=YES_NO_LABELS),
    Column("senders", "Địa chỉ thư điện tử đã đăng ký (cách nhau bằng ;)", "text", 26),
    Column("area", "Khu vực", "text", 12),
    Column("chair", "Người ký báo cáo của đơn vị (Chủ tịch Hội)", "text", 22,
           hint="Để trống: báo cáo của đơn vị để trống dòng tên người ký, để ký tay."),
), spare=100)

GROUPS = Table(SHEET_GROUPS, "groups.csv", "NHÓM NỘI DUNG HOẠT ĐỘNG", (
    Column("code", "Mã nhóm", "text", 10, True),
    Column("title", "Nội dung", "text", 110, True),
), spare=8)

INDICATORS = Table(SHEET_INDICATORS, "indicators.csv", "CHỈ TIÊU", (
    Column("code", "Mã chỉ tiêu (không dấu)", "code", 24, True),
    Column("no", "STT", "count", 6, True),
    Column("group", "Nhóm", "text", 8, True, hint="Mã một nhóm ở trang «Nhóm nội dung»."),
    Column("kind", "Loại số liệu", "choice", 13, True, KIND_LABELS,
           hint="Số hiện có: đếm số đang có (tổ, CLB…), lấy số mới nhất. Số phát sinh: cộng dồn qua các năm."),
    Column("unit", "Đơn vị tính", "text", 9, True),
    Column("window", "Thời gian hoàn thành", "text", 12, True, hint="Một năm, khoảng năm (2026-2028) "
           "hoặc danh sách năm (2027 và 2030)."),
    Column("name", "Tên chỉ tiêu", "text", 50, True),
    Column("short_name", "Tên ngắn", "text", 30, True),
), spare=15)

RATIOS = Table(SHEET_RATIOS, "ratios.csv", "CHỈ TIÊU TỶ LỆ", (
    Column("code", "Mã chỉ tiêu (không dấu)", "code", 24, True),
    Column("group", "Nhóm", "text", 8, True),
    Column("target_percent", "Chỉ tiêu (%)", "percent", 9, True),
    Column("name", "Tên chỉ tiêu", "text", 40, True),
    Column("numerator", "Tử số", "text", 34, True),
    Column("denominator", "Mẫu số", "text", 34, True),
), spare=8)

BUDGET = Table(SHEET_BUDGET, "budget_sources.csv", "NGUỒN KINH PHÍ", (
    Column("code", "Mã nguồn (không dấu)", "code", 16, True),
    Column("name", "Tên nguồn kinh phí", "text", 70, True),
), spare=5)

ROUNDS = Table(SHEET_ROUNDS, "rounds.csv", "KỲ BÁO CÁO", (
    Column("id", "Mã kỳ", "code", 14, True, hint="Năm-loại: 2026-annual (báo cáo năm), 2026-update (cập nhật)."),
    Column("year", "Năm", "count", 8, True),
    Column("kind", "Loại kỳ", "choice", 16, True, ROUND_LABELS),
    Column("opens", "Mở nhận từ ngày", "date", 13, True),
    Column("district_deadline", "Hạn đơn vị gửi", "date", 13, True),
    Column("province_deadline", "Hạn tỉnh báo cáo", "date", 13, True),
), spare=10)

FORMED = Table(SHEET_FORMED, "formed_from.csv", "ĐƠN VỊ ĐƯỢC HÌNH THÀNH TỪ (ĐỂ TRA CỨU)", (
    Column("code", "Mã đơn vị", "code", 10, True),
    Column("former_code", "Mã xã cũ", "code", 10, True),
    Column("former_name", "Tên xã cũ", "text", 24, True),
    Column("former_district_code", "Mã huyện cũ", "code", 10, True),
    Column("former_district_name", "Tên huyện cũ", "text", 20, True),
    Column("change", "Hình thức", "text", 16),
), spare=20)

TABLES = (UNITS, GROUPS, INDICATORS, RATIOS, BUDGET, ROUNDS, FORMED)
# The order of the sheets; the targets sheet stands after the indicators.
SHEETS = (SHEET_GUIDE, SHEET_IDENTITY, SHEET_UNITS, SHEET_GROUPS, SHEET_INDICATORS, SHEET_TARGETS,
          SHEET_RATIOS, SHEET_BUDGET, SHEET_ROUNDS, SHEET_FORMED)
TARGET_SPARE_ROWS = 100
TARGET_SPARE_COLS = 10


def target_name(unit: str, indicator: str) -> str:
    """The defined name of a target cell."""
    return f"plan_target_{unit}_{indicator}"


def where(sheet: str, row: int, col: int) -> str:
    """A cell as people and spreadsheets write it: 'Chỉ tiêu theo đơn vị'!E7."""
    return f"'{sheet}'!{cell_name(row, col)}"

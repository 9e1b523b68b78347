"""The inputs of a template for a round: the contract between the templates and ingest.

Every input cell carries a workbook defined name built here, so ingest finds each value by name
and never by its position on the sheet.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from pipeline.plan import activities, adhoc
from pipeline.plan.model import Plan, Round

TEMPLATE_VERSION = "1"

# Workbook defined names that identify a template; the values live on the hidden metadata sheet.
META_NAMES = {
    "plan": "p8_plan",
    "round": "p8_round",
    "unit": "p8_unit",
    "version": "p8_template_version",
    "fingerprint": "p8_fingerprint",
    # A code names a unit only within its period of validity (every new commune reuses the code of one of
    # the communes it was formed from): the first day of the unit's period, empty when it has none.
    "unit_from": "p8_unit_valid_from",
}

# What each round kind asks for every indicator, with the column label districts see.
MEASURES = {
    "annual": (("ytd", "Kết quả đến thời điểm báo cáo"), ("estimate", "Ước thực hiện cả năm")),
    "update": (("actual", "Kết quả thực hiện cả năm"),),
    adhoc.KIND: (("ytd", "Kết quả từ đầu năm đến thời điểm báo cáo"),),
}
# The measure that counts as the year's figure when results are accumulated.
YEAR_MEASURE = {"annual": "estimate", "update": "actual"}
# The cumulative figure through the previous year: carried from the ledger into a locked cell, or,
# for a unit with no accepted round yet, typed by the unit itself.
PREVIOUS = "previous"
PREVIOUS_LABEL = "Lũy kế đến hết năm trước"
DISBURSED_LABELS = {"annual": "Đã giải ngân đến thời điểm báo cáo", "update": "Đã giải ngân trong năm"}
ALLOCATED_LABEL = "Kế hoạch vốn được giao trong năm"
NARRATIVE = (
    ("highlights", "Kết quả nổi bật", 2000),
    ("difficulties", "Khó khăn, vướng mắc", 2000),
    ("proposals", "Đề xuất, kiến nghị", 2000),
    ("preparer", "Họ và tên người lập báo cáo", 100),
    ("phone", "Số điện thoại liên hệ", 30),
)
NOTE_LENGTH = 500


@dataclass(frozen=True)
class Field:
    name: str  # workbook defined name
    part: str  # "indicator", "note", "ratio", "budget", "activity", "question" or "narrative"
    subject: str  # indicator, ratio or budget source code; narrative key
    measure: str  # ytd / estimate / actual / previous / note / num / den / allocated / disbursed / text
    kind: str  # "count", "money", "text", "date" or "yesno"
    label: str  # Vietnamese, for messages to the sender
    required: bool = True  # must hold a value when the cell is in the workbook
    optional: bool = False  # the cell may be absent (a carried figure replaces it)
    max_length: int = 0  # for text


NO_TARGET = "–"  # what a target cell holds for a unit the plan gives no target (never a target of 0)


def field_name(subject: str, measure: str) -> str:
    return f"in_{subject}_{measure}"


@functools.lru_cache(maxsize=1 << 14)  # a layout's names, for every template written with it
def reference(sheet: str, cell: str) -> str:
    """Where a defined name points, as a formula writes it: ('Chỉ tiêu', 'F6') -> "'Chỉ tiêu'!$F$6"
    (intake's parse_reference reads it back)."""
    from xlsxwriter.utility import quote_sheetname  # on first use: a run with nothing new never needs it

    return f"{quote_sheetname(sheet)}!{absolute(cell)}"


@functools.lru_cache(maxsize=1 << 14)
def absolute(cell: str) -> str:
    """'F6' -> '$F$6'."""
    from xlsxwriter.utility import xl_cell_to_rowcol, xl_rowcol_to_cell

    return xl_rowcol_to_cell(*xl_cell_to_rowcol(cell), True, True)


def target_name(indicator: str) -> str:
    """Defined name of the locked phase-target cell of an indicator (checked on ingest)."""
    return f"p8_target_{indicator}"


def output_name(subject: str, measure: str) -> str:
    """Defined name of a computed (locked) cell: cumulative, share, rate, budget totals."""
    return f"out_{subject}_{measure}"


def input_fields(plan: Plan, rnd: Round) -> tuple[Field, ...]:
    return plan.derived((input_fields, rnd.id), lambda: _input_fields(plan, rnd))


def _input_fields(plan: Plan, rnd: Round) -> tuple[Field, ...]:
    if not rnd.regular:
        return _adhoc_fields(plan, rnd)
    fields: list[Field] = []
    for indicator in plan.indicators:
        fields.append(Field(field_name(indicator.code, PREVIOUS), "indicator", indicator.code, PREVIOUS,
                            "count", f"{indicator.short_name} – {PREVIOUS_LABEL.lower()}", optional=True))
        fields += _indicator_fields(indicator, rnd)
    for ratio in plan.ratios:
        fields.append(Field(field_name(ratio.code, "num"), "ratio", ratio.code, "num", "count",
                            ratio.numerator))
        fields.append(Field(field_name(ratio.code, "den"), "ratio", ratio.code, "den", "count",
                            ratio.denominator))
    for source in plan.budget_sources:
        fields.append(Field(field_name(f"budget_{source.code}", "allocated"), "budget", source.code,
                            "allocated", "money", f"{source.name} – {ALLOCATED_LABEL.lower()}"))
        fields.append(Field(field_name(f"budget_{source.code}", "disbursed"), "budget", source.code,
                            "disbursed", "money", f"{source.name} – {DISBURSED_LABELS[rnd.kind].lower()}"))
    fields += _activity_fields(plan.activities)
    return (*fields, *_narrative_fields())


def _adhoc_fields(plan: Plan, rnd: Round) -> tuple[Field, ...]:
    """What an adhoc round asks: its indicators (results so far this year), activities, questions."""
    fields = [f for i in plan.indicators if i.code in rnd.indicators for f in _indicator_fields(i, rnd)]
    fields += _activity_fields(tuple(a for a in plan.activities if a.code in rnd.activities))
    for question in rnd.questions:
        fields.append(Field(field_name(adhoc.subject(question.code), "answer"), "question", question.code,
                            "answer", question.kind, f"Câu {question.no}. {question.text}",
                            required=question.required,
                            max_length=adhoc.ANSWER_LENGTH if question.kind == "text" else 0))
    return (*fields, *_narrative_fields())


def _indicator_fields(indicator, rnd: Round) -> list[Field]:
    fields = [Field(field_name(indicator.code, measure), "indicator", indicator.code, measure, "count",
                    f"{indicator.short_name} – {label.lower()}") for measure, label in MEASURES[rnd.kind]]
    fields.append(Field(field_name(indicator.code, "note"), "note", indicator.code, "note", "text",
                        f"{indicator.short_name} – ghi chú", required=False, max_length=NOTE_LENGTH))
    return fields


def _activity_fields(listed: tuple[activities.Activity, ...]) -> list[Field]:
    fields = []
    for activity in listed:
        for ask in activity.asks:
            kind, label = activities.ASKS[ask]
            fields.append(Field(field_name(activities.subject(activity.code), ask), "activity", activity.code, ask,
                                kind, f"{activity.name} – {label.lower()}", required=ask == "done",
                                max_length=NOTE_LENGTH if kind == "text" else 0))
    return fields


def _narrative_fields() -> list[Field]:
    fields = [Field(field_name(key, "text"), "narrative", key, "text", "text", label, required=False,
                    max_length=length) for key, label, length in NARRATIVE]
    fields.append(Field("in_report_date", "narrative", "report_date", "date", "date", "Ngày lập báo cáo",
                        required=False))
    return fields

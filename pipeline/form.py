"""The inputs of a template for a round: the contract between the templates and ingest.

Every input cell carries a workbook defined name built here, so ingest finds each value by name
and never by its position on the sheet.
"""

from __future__ import annotations

from dataclasses import dataclass

from .plan import Plan, Round

TEMPLATE_VERSION = "1"

# Workbook defined names that identify a template; the values live on the hidden metadata sheet.
META_NAMES = {
    "plan": "p8_plan",
    "round": "p8_round",
    "unit": "p8_unit",
    "version": "p8_template_version",
    "fingerprint": "p8_fingerprint",
}

# What each round kind asks for every indicator, with the column label districts see.
MEASURES = {
    "annual": (("ytd", "Kết quả đến thời điểm báo cáo"), ("estimate", "Ước thực hiện cả năm")),
    "update": (("actual", "Kết quả thực hiện cả năm"),),
}
# The measure that counts as the year's figure when results are accumulated.
YEAR_MEASURE = {"annual": "estimate", "update": "actual"}


@dataclass(frozen=True)
class Field:
    name: str  # workbook defined name
    part: str  # "indicator", "ratio" or "note"
    subject: str  # indicator or ratio code
    measure: str  # ytd / estimate / actual / num / den / note
    kind: str  # "count" or "text"
    label: str  # Vietnamese, for messages to the sender


def field_name(subject: str, measure: str) -> str:
    return f"in_{subject}_{measure}"


def input_fields(plan: Plan, rnd: Round) -> tuple[Field, ...]:
    fields: list[Field] = []
    for indicator in plan.indicators:
        for measure, label in MEASURES[rnd.kind]:
            fields.append(
                Field(field_name(indicator.code, measure), "indicator", indicator.code, measure,
                      "count", f"{indicator.short_name} – {label.lower()}")
            )
        fields.append(
            Field(field_name(indicator.code, "note"), "note", indicator.code, "note", "text",
                  f"{indicator.short_name} – ghi chú")
        )
    for ratio in plan.ratios:
        fields.append(Field(field_name(ratio.code, "num"), "ratio", ratio.code, "num", "count",
                            ratio.numerator))
        fields.append(Field(field_name(ratio.code, "den"), "ratio", ratio.code, "den", "count",
                            ratio.denominator))
    return tuple(fields)

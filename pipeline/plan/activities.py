"""Activities without numeric targets (the plan's section III.2: campaigns, contests, review
conferences, …): what each unit is asked about each one, as listed in the plan's activities.csv."""

from __future__ import annotations

from dataclasses import dataclass

# What a unit can be asked about an activity: the input kind and the column heading districts see.
ASKS = {
    "done": ("yesno", "Đã thực hiện (Có/Không)"),
    "events": ("count", "Số cuộc, sự kiện"),
    "participants": ("count", "Số người tham gia"),
    "note": ("text", "Ghi chú"),
}
YES, NO = "Có", "Không"


@dataclass(frozen=True)
class Activity:
    code: str
    group: str
    name: str
    asks: tuple[str, ...]  # keys of ASKS, in ASKS order


def subject(code: str) -> str:
    """The subject of an activity's input names (form.field_name)."""
    return f"act_{code}"

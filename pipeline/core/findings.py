"""A finding: one problem found in a received file, as a record: a stable code, a severity, where it
is, the parameters of what was found, and the message the rule book's wording renders from them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

SEVERITIES = ("error", "warning")
SEVERITY_LABELS = {"error": "Lỗi", "warning": "Lưu ý"}


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    message: str
    unit: str | None = None
    round: str | None = None
    sheet: str | None = None
    cell: str | None = None
    # What the message was rendered from (found, expected, label, …), kept beside it in the ledger so
    # that the wording can change without losing what was found.
    params: Mapping[str, object] = field(default_factory=dict, hash=False)


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)

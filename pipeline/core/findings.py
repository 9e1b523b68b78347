"""A finding: one problem found in a received file, as a record (stable code, severity, where it
is, the message rendered from the rule book's wording)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

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


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)

"""A rule of plan/rules.toml: its stable code, severity, Vietnamese wording, the check it runs (see
checks.py) and the parameters the check and the wording use."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    message: str
    check: str | None
    params: Mapping[str, object]

"""The rule book: plan/rules.toml loaded and checked (every rule names a severity, its wording and a
check type that exists), and the findings its rules make."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path

from pipeline.core.errors import PlanError
from pipeline.core.findings import SEVERITIES, Finding
from pipeline.validation.checks import NAMES as CHECKS
from pipeline.validation.rule import Rule


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class RuleBook:
    def __init__(self, rules: Mapping[str, Rule]):
        self.rules = dict(rules)
        self._by_check: dict[str | None, list[Rule]] = {}  # asked for each check of every file read
        for rule in self.rules.values():
            self._by_check.setdefault(rule.check, []).append(rule)

    @classmethod
    def load(cls, plan_dir: Path) -> RuleBook:
        path = Path(plan_dir) / "rules.toml"
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise PlanError(f"Không tìm thấy {path}: thư mục kế hoạch nào cũng cần tệp rules.toml.") from None
        except tomllib.TOMLDecodeError as exc:
            raise PlanError(f"{path}: viết sai cú pháp TOML ({exc}).") from None
        rules = {}
        for code, entry in raw.items():
            severity, message, check = entry.get("severity"), entry.get("message"), entry.get("check")
            if severity not in SEVERITIES or not message:
                raise PlanError(f"{path}: [{code}] cần severity (error hoặc warning) và message.")
            if check is not None and check not in CHECKS:
                raise PlanError(f"{path}: [{code}] có check «{check}» không tồn tại; các check: {', '.join(CHECKS)}.")
            params = {k: v for k, v in entry.items() if k not in ("severity", "message", "check")}
            rules[code] = Rule(code, severity, message, check, params)
        return cls(rules)

    def finding(self, code: str, *, unit=None, round=None, sheet=None, cell=None, **values) -> Finding:
        rule = self.rules[code]
        context = _Blank({**rule.params, **{name: _shown(value) for name, value in values.items()},
                          "sheet": sheet or "", "cell": cell or "", "unit": unit or "", "round": round or ""})
        kept = {name: _kept(value) for name, value in values.items()}
        if "title" in rule.params:  # the rule's Vietnamese name, kept with the finding for auditors' sheets
            kept.setdefault("title", str(rule.params["title"]))
        return Finding(code, rule.severity, rule.message.format_map(context), unit, round, sheet, cell, kept)

    def with_check(self, check: str) -> list[Rule]:
        return list(self._by_check.get(check, ()))


PARAM_CHARS = 1000  # a parameter kept beside a message: what a sender typed may be megabytes


SHOWN_CHARS = 200  # a value quoted in a message: what a person reads, and what every letter repeats


def _shown(value: object) -> object:
    """A long text quoted in a message is cut, with its size stated: a letter, a reply draft and the
    ledger never grow with the size of what a sender typed."""
    if not isinstance(value, str) or len(value) <= SHOWN_CHARS:
        return value
    cut = _CUT_EARLIER.search(value)  # the guard keeps a formula's start and states its whole size
    size = cut.group(1) if cut else f"{len(value):,}".replace(",", ".")
    return f"{value[:SHOWN_CHARS]}… (dài {size} ký tự)"


_CUT_EARLIER = re.compile(r"… \(([\d.]+) ký tự\)$")


def _kept(value: object) -> object:
    if isinstance(value, int | float | bool) or value is None:
        return value
    text = str(value)
    return text if len(text) <= PARAM_CHARS else text[:PARAM_CHARS] + "…"

"""How far a received file proves which unit's template it is, and whether it may count before the
officer confirms it.

A file proves it with the keyed fingerprint of the template issued to the unit (core/signing.py):
nobody can compute that from the public plan. A bare digest (a sample, or a template issued before the
key existed) or titles alone (the content copied into another workbook) show only what anyone could
type. Such a file from an address not registered for the unit is held «chờ xác nhận»: recorded,
answered, not counted, until `confirm`."""

from __future__ import annotations

import hmac

from pipeline.core.findings import Finding
from pipeline.core.signing import keyed
from pipeline.core.vietnamese import round_title
from pipeline.intake.records import Reading
from pipeline.plan.model import Plan
from pipeline.validation.book import RuleBook

KEYED = "keyed"
BARE = "bare"
TITLES = "titles"
UNPROVEN = (BARE, TITLES)
TITLES_CODE = "template-recognised-from-titles"
HOW = {BARE: "dấu nhận dạng của tệp là loại cũ, ai cũng tính được",
       TITLES: "tệp chỉ được nhận dạng theo tiêu đề"}


def template_proof(sub: Reading, findings: list[Finding], key: bytes | None, plan: Plan, rules: RuleBook) -> str:
    """KEYED, BARE, TITLES, or "" (not identified, or its locked content differs, already a finding). A
    fingerprint that is neither the keyed nor the bare one adds template-fingerprint-mismatch."""
    if any(f.code == TITLES_CODE for f in findings):
        return TITLES
    if not sub.identity_digest:
        return ""
    if key is not None and hmac.compare_digest(sub.fingerprint, keyed(key, sub.identity_digest)):
        return KEYED
    if hmac.compare_digest(sub.fingerprint, sub.identity_digest):
        return BARE
    unit, rnd = plan.unit(sub.unit or ""), plan.round(sub.round or "")
    findings.append(rules.finding("template-fingerprint-mismatch", unit=sub.unit, round=sub.round,
                                  unit_name=unit.name, round_name=round_title(rnd)))
    return ""


def hold_finding(sub: Reading, proof: str, plan: Plan, rules: RuleBook) -> Finding | None:
    """The finding that holds a file whose identity is unproven and whose sender is not registered for
    the unit; None when it may count. A file the officer dropped into the inbox has no sender: the
    officer vouches for it."""
    sender = (sub.incoming.sender or "").strip().lower()
    unit = plan.unit(sub.unit or "")
    if proof not in UNPROVEN or not sender or sender in unit.senders:
        return None
    return rules.finding("submission-held", unit=unit.code, round=sub.round, unit_name=unit.name,
                         sender=sender, how=HOW[proof])

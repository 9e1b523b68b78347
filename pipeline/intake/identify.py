"""Which template a received workbook is: its plan, round and unit, from the hidden metadata or from
the titles of a copied-out table; and whether that unit reports in that round."""

from __future__ import annotations

import re
from datetime import date

from pipeline.core.vietnamese import format_date, round_title
from pipeline.intake import guard
from pipeline.intake.records import Reading
from pipeline.intake.xlsx_reader import Workbook, parse_reference
from pipeline.plan import form
from pipeline.plan.model import Plan, Round
from pipeline.templates.cells import SHEET_INDICATORS, indicator_sheet_titles
from pipeline.templates.identity import template_bytes
from pipeline.validation.book import RuleBook


def identify(sub: Reading, book: Workbook, plan: Plan, rules: RuleBook, received: date) -> bool:
    """Find the unit and round; True when they come from the template's metadata (not its titles)."""
    meta = {}
    for key, name in form.META_NAMES.items():
        location = book.location(name)
        meta[key] = str(book.value(*location)).strip() if location else ""
    if not (meta["plan"] and meta["round"] and meta["unit"]):
        _recognise_from_titles(sub, book, plan, rules)
        return False
    if meta["plan"] != plan.id:
        sub.findings.append(rules.finding("template-other-plan", found=meta["plan"]))
        return False
    if not plan.has_unit(meta["unit"]):
        sub.findings.append(rules.finding("unit-unknown", found=meta["unit"]))
        return False
    unit = plan.unit(meta["unit"])
    if book.location(form.META_NAMES["unit_from"]) is not None and meta["unit_from"] != (
            unit.valid_from.isoformat() if unit.valid_from else ""):
        sub.findings.append(rules.finding(
            "unit-period-other", unit=unit.code, found=meta["unit_from"] or "trước khi có kế hoạch",
            unit_name=unit.name, expected=format_date(unit.valid_from) if unit.valid_from else "đầu kế hoạch"))
        return False
    if meta["round"] not in {r.id for r in plan.all_rounds}:
        sub.findings.append(rules.finding("round-unknown", unit=meta["unit"], found=meta["round"]))
        return False
    sub.unit, sub.round = meta["unit"], meta["round"]
    sub.template_version = meta["version"] or None
    sub.fingerprint = meta["fingerprint"]
    if meta["version"] != form.TEMPLATE_VERSION:
        sub.findings.append(rules.finding("template-version-old", unit=sub.unit, round=sub.round,
                                          found=meta["version"] or "?", expected=form.TEMPLATE_VERSION))
    _check_round_open(sub, plan.round(sub.round), rules, received)
    _check_unit_reports_in_round(sub, plan, rules)
    return True


def _check_unit_reports_in_round(sub: Reading, plan: Plan, rules: RuleBook) -> None:
    """A unit reports only in the rounds it is valid for (units.csv valid_from / valid_to)."""
    unit, rnd = plan.unit(sub.unit or ""), plan.round(sub.round or "")
    if unit.valid_on(rnd.district_deadline) and not unit.reports:
        sub.findings.append(rules.finding("unit-left-out", unit=unit.code, round=rnd.id, unit_name=unit.name,
                                          round_title=round_title(rnd)))
        return
    if not unit.valid_on(rnd.district_deadline):
        ended = unit.valid_to is not None and unit.valid_to <= rnd.district_deadline
        instead = ([u.name for u in plan.units if unit.code in u.former] if ended
                   else [plan.unit(code).name for code in unit.former])
        sub.findings.append(rules.finding(
            "unit-not-in-round", unit=unit.code, round=rnd.id, unit_name=unit.name,
            round_title=round_title(rnd), since=format_date(unit.valid_to or unit.valid_from or rnd.opens),
            instead=", ".join(instead) or "các đơn vị mới theo danh sách của kế hoạch"))


def _check_round_open(sub: Reading, rnd: Round, rules: RuleBook, received: date) -> None:
    if received < rnd.opens:
        sub.findings.append(rules.finding("round-not-open", unit=sub.unit, round=rnd.id, round_title=round_title(rnd),
                                          opens=format_date(rnd.opens)))


def _recognise_from_titles(sub: Reading, book: Workbook, plan: Plan, rules: RuleBook) -> None:
    """The content was copied into another workbook: find the indicator sheet by its titles, and
    map every input by the position it has in the template of that round and unit."""
    titles = book.sheet_titles()
    for rnd in plan.rounds:
        for unit in plan.units:
            expected = indicator_sheet_titles(rnd, unit)
            sheet = next((s for s, found in titles.items() if found == expected), None)
            if sheet is None:
                continue
            data = template_bytes(plan, rnd, unit, rules)
            template = Workbook(data, guard.inspect("template.xlsx", data).special)
            sheet_map = {name: s for name, t in template.sheet_titles().items() if t[0]
                         for s, found in titles.items() if found == t}
            sheet_map[SHEET_INDICATORS] = sheet
            for name, text in template.names.items():
                location = parse_reference(text)
                if name.startswith(("in_", "p8_target_")) and location and location[0] in sheet_map:
                    book.names[name] = f"'{sheet_map[location[0]]}'!{location[1]}"
            sub.unit, sub.round = unit.code, rnd.id
            sub.findings.append(rules.finding("template-recognised-from-titles", unit=unit.code,
                                              round=rnd.id, unit_name=unit.name, round_id=rnd.id,
                                              round_title=round_title(rnd)))
            return
    sub.findings.append(rules.finding("template-unknown"))


_TEMPLATE_NAME = re.compile(r"^(?P<round>\d{4}-[a-z]+)_(?P<unit>[0-9A-Za-z]+)_")


def sender_of_unreadable(plan: Plan, name: str, sender: str | None, received: date) -> tuple[str, str] | None:
    """(unit, round) of a file whose content could not be read (an .xls, a PDF, a password), from what
    is left to go by: the template's file name it kept ("2024-annual_122_phu-yen.xls"), or an address
    registered for exactly one unit, in the one round open that day. Only to say that the unit sent
    and to address its letter: such a file never counts."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    named = _TEMPLATE_NAME.match(base)
    rounds = {r.id for r in plan.all_rounds}
    if named and plan.has_unit(named["unit"]) and named["round"] in rounds:
        return named["unit"], named["round"]
    address = (sender or "").strip().lower()
    owners = [u.code for u in plan.units if address and address in u.senders]
    open_then = [r.id for r in plan.all_rounds if r.opens <= received <= r.province_deadline]
    if len(owners) == 1 and len(open_then) == 1:
        return owners[0], open_then[0]
    return None

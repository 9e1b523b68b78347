"""The plan as plain JSON-ready data: the contract of `run_pipeline.py plan --json`."""

from __future__ import annotations

from pipeline.plan.model import Plan, Round, Unit


def _validity(unit: Unit) -> dict:
    """Only what a unit declares, so a plan without changes reads as it always did."""
    found = {"valid_from": unit.valid_from and unit.valid_from.isoformat(),
             "valid_to": unit.valid_to and unit.valid_to.isoformat(), "former": ";".join(unit.former),
             "attribution": ";".join(f"{code}:{percent}" for code, percent in unit.attribution),
             "reports": None if unit.reports else False, "kind": unit.kind}
    return {key: value for key, value in found.items() if value or value is False}


def plan_as_dict(plan: Plan) -> dict:
    """The plan as plain JSON-ready data (the `plan --json` contract)."""
    return {
        "id": plan.id,
        "document": plan.document,
        "groups": [{"code": code, "title": title} for code, title in plan.groups.items()],
        "units": [
            {"code": u.code, "name": u.name, "level": u.level, "slug": u.slug, "villages": u.villages,
             **_validity(u)}
            for u in plan.units
        ],
        "indicators": [
            {"code": i.code, "name": i.name, "unit": i.unit, "kind": i.kind, "group": i.group,
             "window": i.window}
            for i in plan.indicators
        ]
        + [
            {"code": r.code, "name": r.name, "unit": r.unit, "kind": r.kind, "group": r.group,
             "target_percent": r.target_percent, "numerator": r.numerator,
             "denominator": r.denominator}
            for r in plan.ratios
        ],
        "budget_sources": [{"code": b.code, "name": b.name} for b in plan.budget_sources],
        "targets": {code: plan.targets[code] for code in plan.targeted},  # a unit without a row has none
        "totals": plan.totals,
        "total_villages": plan.total_villages,
        "rounds": [
            {"id": r.id, "year": r.year, "kind": r.kind, "opens": r.opens.isoformat(),
             "district_deadline": r.district_deadline.isoformat(),
             "province_deadline": r.province_deadline.isoformat(), **_asks(r)}
            for r in plan.all_rounds
        ],
        **({"formed_from": [
            {"code": f.code, "former_code": f.former_code, "former_name": f.former_name,
             "former_district_code": f.former_district_code, "former_district_name": f.former_district_name,
             "change": f.change} for f in plan.formed_from]} if plan.formed_from else {}),
    }


def _asks(rnd: Round) -> dict:
    if rnd.regular:
        return {}
    return {"name": rnd.name, "indicators": list(rnd.indicators), "activities": list(rnd.activities),
            "questions": [{"code": q.code, "question": q.text, "kind": q.kind, "unit": q.unit,
                           "required": q.required} for q in rnd.questions]}

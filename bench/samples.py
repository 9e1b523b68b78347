"""Filled templates for the benchmarks: one per unit of the bundled plan, as a district returns it."""

from pathlib import Path

from pipeline.app.samples import fill_template, sample_values
from pipeline.plan.model import Plan
from pipeline.templates.writer import write_templates


def filled_submissions(plan: Plan, round_id: str, root: Path) -> list[Path]:
    """One filled template per unit in root/inbox (templates are written to root/t)."""
    rnd = plan.round(round_id)
    files = []
    for unit in plan.units:
        template = write_templates(plan, rnd, root / "t", [unit])[0]
        path = root / "inbox" / template.name
        fill_template(template, path, sample_values(plan, rnd, unit, with_previous=True))
        files.append(path)
    return files

"""The reports of a round, rendered from its consolidation: the province's report (Word and HTML)
with its annex, the January/February update with what changed, and one report per district.

Templates live in reports/templates/ (docxtpl for Word, jinja2 for HTML); their README says which
variables they receive (built in province.py, district.py, adhoc.py and phase.py). Figures are
written as Vietnamese documents write them (1.234; 14,9%).
"""

from __future__ import annotations

import functools
import importlib
import tempfile
from collections.abc import Callable, Collection
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.core import atomic, locations, parallel
from pipeline.core.atomic import write_text
from pipeline.core.errors import OutputInUse
from pipeline.figures.consolidate import Consolidation
from pipeline.plan.areas import for_round
from pipeline.plan.model import Plan, Unit
from pipeline.reports.adhoc import adhoc_context
from pipeline.reports.district import district_context
from pipeline.reports.phase import phase_context
from pipeline.reports.province import annex_line, province_context
from pipeline.workbook import assemble

if TYPE_CHECKING:
    import jinja2

# -- writing ---------------------------------------------------------------------------------------


# python-docx, docxtpl and the chart's code are imported with the first report written: a run that
# writes none (the usual rerun) does not pay their 60 ms.
def render_docx(*args, **kwargs) -> Path:
    from pipeline.reports.word import render_docx as render

    return render(*args, **kwargs)


def progress_chart(*args, **kwargs):
    from pipeline.reports.chart import progress_chart as draw

    return draw(*args, **kwargs)


def _html_environment() -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(locations.REPORT_TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


# Where each level's own reports go, under the round's folder.
UNITS_PER_JOB = 25  # unit reports handed to a worker at a time


def write_outputs(plan: Plan, result: Consolidation, out_dir: Path, *, draft: bool = False,
                  units: Collection[str] | None = None, areas: Collection[str] | None = None) -> list[Path]:
    """The round's workbook and every report; the same consolidation always gives the same files.
    `units`: the units whose own report is written (default: every unit that reported); `areas`: in a
    plan split by area, the areas whose detail workbook is written (default: all). With many units,
    the parts are written side by side on every core: the workbook (or the areas' workbooks), the
    province's reports, batches of unit reports; a summary by area, which names each area's workbook by
    its SHA-256, is laid out here meanwhile and finished as soon as they are written."""
    codes = [u.code for u in unit_reports(plan, result) if units is None or u.code in units]
    importlib.import_module("pipeline.reports.word")  # once here, not in each worker forked below
    split = bool(for_round(plan, result.round))
    parts: list[tuple] = [("area", a.slug) for a in for_round(plan, result.round) if areas is None or a.slug in areas]
    # The largest first: the workbook, or the province's reports (the annex apart, on the other core).
    parts += [("province",), ("annex",)] if split else [("workbook",), ("province",), ("annex",)]
    parts += [("units", tuple(codes[n:n + UNITS_PER_JOB])) for n in range(0, len(codes), UNITS_PER_JOB)]
    shared = (plan, result, Path(out_dir), draft)
    workers = parallel.workers_for(len(parts), len(plan.units_for(result.round)) >= parallel.MIN_ITEMS)
    held: list[OutputInUse] = []  # an output another program holds open: the others are written all the same

    def written(make: Callable[[], list[Path]]) -> list[Path]:
        try:
            return make()
        except OutputInUse as exc:
            held.append(exc)
            return []

    if not workers:
        paths = [path for part in parts for path in written(functools.partial(_write_part, *shared, part))]
        paths += written(lambda: [assemble.write_workbook(plan, result, out_dir)]) if split else []
    else:
        with parallel.executor(shared, workers) as pool:
            jobs = [(part, pool.submit(parallel.call, (_write_part, part))) for part in parts]

            def areas_written() -> list[Path]:
                return [path for part, job in jobs if part[0] == "area" for path in written(job.result)]

            summary = written(lambda: [assemble.write_workbook(plan, result, out_dir, areas_written)]) if split else []
            paths = areas_written() + summary + [path for part, job in jobs if part[0] != "area"
                                                 for path in written(job.result)]
    if held:
        raise held[0]
    atomic.sync()  # the unit reports, written unflushed: on the disk before the round counts as rebuilt
    return paths


def _write_part(plan: Plan, result: Consolidation, out_dir: Path, draft: bool, part: tuple) -> list[Path]:
    if part[0] == "workbook":
        return [assemble.write_workbook(plan, result, out_dir)]
    if part[0] == "area":
        area = next(a for a in for_round(plan, result.round) if a.slug == part[1])
        return [assemble.write_area_workbook(plan, result, out_dir, area)]
    if part[0] == "province":
        return _province_reports(plan, result, out_dir, draft)
    if part[0] == "annex":
        return [_annex(plan, result, out_dir)]
    return [write_unit_report(plan, result, out_dir, code, flush=False) for code in part[1]]


def _province_reports(plan: Plan, result: Consolidation, out_dir: Path, draft: bool) -> list[Path]:
    rnd = result.round
    folder = Path(out_dir) / rnd.id
    names = locations.report_names(rnd.id)
    moment = assemble.generated_at(result)
    context = province_context(plan, result) | {"draft": draft}
    written = []
    html = _html_environment().get_template("province_report.html.j2").render(context)
    write_text(folder / names["html"], html)
    written.append(folder / names["html"])
    with tempfile.TemporaryDirectory(prefix="p8-report-") as scratch:
        chart = progress_chart(plan, result, Path(scratch) / "tien-do.png", folder / names["docx"]) \
            if rnd.kind == "annual" else None
        template = "update_report.docx" if rnd.kind == "update" else "province_report.docx"
        written.append(render_docx(template, context, folder / names["docx"], moment, chart))
    return written


def _annex(plan: Plan, result: Consolidation, out_dir: Path) -> Path:
    """The report's annex: «Tổng hợp» alone, with the line that ties it to the report."""
    rnd = result.round
    return assemble.write_annex(plan, result, Path(out_dir) / rnd.id / locations.annex_name(rnd.id),
                                  annex_line(plan, rnd))


def unit_reports(plan: Plan, result: Consolidation) -> list[Unit]:
    """The units of the round with a report of their own: every one that reported, but the province."""
    return [u for u in plan.units_for(result.round) if u.level != "province" and u.code in result.reported]


def write_unit_report(plan: Plan, result: Consolidation, out_dir: Path, code: str, *, flush: bool = True) -> Path:
    unit, rnd = plan.unit(code), result.round
    template = "district_update_report.docx" if rnd.kind == "update" else "district_report.docx"
    # Stamped with the unit's own file's time: another unit's file leaves this report's bytes alone.
    own = datetime.fromisoformat(result.reported[code].received_at).replace(tzinfo=None)
    path = locations.unit_report_path(out_dir, rnd.id, unit)
    return render_docx(template, district_context(plan, result, unit), path, own, flush=flush)


def write_adhoc_reports(plan: Plan, result: Consolidation, out_dir: Path, *, draft: bool = False) -> list[Path]:
    """The report of an adhoc round (Word and HTML); its workbook is written beside it."""
    rnd = result.round
    folder = Path(out_dir) / rnd.id
    names = locations.report_names(rnd.id)
    context = adhoc_context(plan, result) | {"draft": draft}
    write_text(folder / names["html"], _html_environment().get_template("adhoc_report.html.j2").render(context))
    docx = render_docx("adhoc_report.docx", context, folder / names["docx"], assemble.generated_at(result))
    return [folder / names["html"], docx]


def write_phase_reports(plan: Plan, result: Consolidation, out_dir: Path, *, draft: bool = False) -> list[Path]:
    """The end-of-phase report (Word, HTML) and workbook, from the consolidation of the latest round."""
    folder = Path(out_dir) / locations.phase_folder(plan.phase)
    phase_names = locations.phase_report_names(plan.phase)
    context = phase_context(plan, result) | {"draft": draft}
    html = folder / phase_names["html"]
    write_text(html, _html_environment().get_template("phase_report.html.j2").render(context))
    docx = render_docx("phase_report.docx", context, folder / phase_names["docx"],
                        assemble.generated_at(result))
    workbook = assemble.write_phase_workbook(plan, result, folder / phase_names["workbook"])
    return [html, docx, workbook]

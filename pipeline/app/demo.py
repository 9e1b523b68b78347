"""The bundled demonstration: sample submissions sent through every stage, in three rounds: two reported
by the districts, then the first after the 2025 reform, reported by the province level and the
communes (two of which do not report)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pipeline.app.queries import carried_figures, former_lines
from pipeline.app.run_log import RunReport
from pipeline.app.runner import run
from pipeline.app.samples import fill_template, sample_values
from pipeline.core import locations
from pipeline.core.errors import UsageError
from pipeline.core.locations import Paths
from pipeline.ledger.template_key import template_key
from pipeline.plan import form
from pipeline.plan.loader import DEFAULT_PLAN_DIR, load_plan
from pipeline.templates.writer import write_templates
from pipeline.validation.book import RuleBook

# (round, the day the officer runs the pipeline) — each before the units' deadline.
DEMO_ROUNDS = (("2023-update", date(2024, 1, 22)), ("2024-annual", date(2024, 9, 9)),
               ("2025-annual", date(2025, 9, 8)))
# One district sends a file with a mistake first, then the corrected one.
CORRECTED_UNIT = "120"
# Units that do not report in the demo: a commune of Mai Sơn and a ward outside the allocation.
SILENT_UNITS = ("04105", "03679")


@dataclass
class DemoResult:
    workdir: Path
    templates: list[Path] = field(default_factory=list)
    samples: dict[str, dict[str, dict[str, int | float | str]]] = field(default_factory=dict)
    runs: list[RunReport] = field(default_factory=list)

    @property
    def outputs(self) -> list[Path]:
        return [p for r in self.runs for p in r.outputs]


# Written into a folder the demo made: only such a folder (or an empty one) is ever cleared by it.
DEMO_MARKER = ".p8-demo"
MADE_BY_DEMO = ("templates_xlsx", "inbox", "outbox", locations.ARCHIVE, locations.REJECTED, locations.BACKUP_FOLDER)


def run_demo(workdir: Path, plan_dir: Path = DEFAULT_PLAN_DIR) -> DemoResult:
    """The demonstration in `workdir`: a new or empty folder, or one an earlier demo made (its marker),
    whose demo files are replaced. Any other folder is refused (UsageError) and left untouched: pointed
    at the officer's real folders, the demo once deleted their inbox, archive and ledger."""
    workdir = Path(workdir)
    _claim(workdir)
    for folder in MADE_BY_DEMO:
        shutil.rmtree(workdir / folder, ignore_errors=True)
    for name in ("ledger.sqlite", "ledger.sqlite-wal", "ledger.sqlite-shm", "ledger.key", locations.REBUILT_STATE):
        (workdir / name).unlink(missing_ok=True)
    plan = load_plan(plan_dir)
    paths = Paths.beside_outbox(workdir / "inbox", workdir / "outbox")
    result = DemoResult(workdir)
    for round_id, today in DEMO_ROUNDS:
        rnd = plan.round(round_id)
        carried = carried_figures(plan, paths.ledger, paths.home, rnd)
        templates = write_templates(plan, rnd, workdir / "templates_xlsx", carried=carried,
                                    rules=RuleBook.load(plan_dir),
                                    formers=former_lines(plan, paths.ledger, paths.home, rnd),
                                    key=template_key(paths.ledger, paths.home))
        result.templates += templates
        result.samples[round_id] = {}
        for unit, template in zip(plan.units_for(rnd), templates, strict=True):
            if unit.code in SILENT_UNITS:
                continue
            values = sample_values(plan, rnd, unit, with_previous=not carried.get(unit.code))
            result.samples[round_id][unit.code] = values
            if unit.code == CORRECTED_UNIT:
                wrong = dict(values, **{form.field_name(plan.indicators[1].code,
                                                        form.YEAR_MEASURE[rnd.kind]): -3})
                fill_template(template, paths.inbox / "lan-1" / template.name, wrong)
            fill_template(template, paths.inbox / template.name, values)
        if rnd.id == "2024-annual":
            (paths.inbox / "anh-chup-bao-cao.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a workbook")
        result.runs.append(run(paths, plan_dir, today=today))
    return result


def _claim(workdir: Path) -> None:
    if workdir.is_symlink() or (workdir.exists() and not workdir.is_dir()):
        raise UsageError(f"{workdir} không phải là thư mục; chạy thử cần một thư mục mới hoặc trống.")
    if workdir.is_dir() and any(workdir.iterdir()) and not (workdir / DEMO_MARKER).is_file():
        raise UsageError(f"thư mục {workdir} đã có dữ liệu và không phải thư mục chạy thử: lệnh demo chỉ dùng "
                         "thư mục mới, thư mục trống hoặc thư mục do chính lệnh demo tạo ra, để không xóa nhầm "
                         "hộp thư đến, lưu trữ hay sổ ghi thật. Không có gì bị thay đổi; hãy chọn thư mục khác "
                         "(hoặc bỏ --workdir để dùng một thư mục tạm mới).")
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / DEMO_MARKER).write_text("Thư mục chạy thử của Dự án 8 (lệnh demo); có thể xóa cả thư mục.\n",
                                       encoding="utf-8")

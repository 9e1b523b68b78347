"""National scale on one machine: python bench/scale.py [N ...]   (default: 12 300)

For each N, a synthetic plan of N units (a province level and N-1 communes, the bundled indicators,
ratios and budget sources, targets that add up) gets its templates, one filled submission per unit,
and runs. It prints one table: the raw python-calamine parse of the filled files (the floor), the
templates, the full run, a rerun with nothing new, a run with one corrected file, each also as a ratio
to the floor, and the peak RSS of the process tree (this process and its workers).
"""

import csv
import os
import resource
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import python_calamine  # noqa: E402

from pipeline.demo import fill_template, sample_values  # noqa: E402
from pipeline.plan import DEFAULT_PLAN_DIR, load_plan  # noqa: E402
from pipeline.rules import RuleBook  # noqa: E402
from pipeline.runner import Paths, run  # noqa: E402
from pipeline.templates import write_templates  # noqa: E402

DAY = date(2024, 9, 5)
ROUND = "2024-annual"


def synthetic_plan(folder: Path, units: int) -> Path:
    """The bundled plan with its units replaced by a province level and units-1 communes."""
    shutil.copytree(DEFAULT_PLAN_DIR, folder)
    codes = [r["code"] for r in csv.DictReader((folder / "indicators.csv").open(encoding="utf-8"))]
    rows = [("14", "province", "Cấp tỉnh", "cap-tinh", "", "I")]
    rows += [(f"{90000 + n}", "district", f"Xã {n}", f"xa-{n}", "1", str(n)) for n in range(1, units)]
    with (folder / "units.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["code", "level", "name", "slug", "villages", "appendix_no"])
        writer.writerows(rows)
    with (folder / "targets.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["unit", "name", *codes])
        for code, _, name, *_ in rows:
            writer.writerow([code, name, *[10] * len(codes)])
    with (folder / "totals.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["row", "name", *codes])
        writer.writerow(["total", "Tổng", *[10 * units] * len(codes)])
        writer.writerow(["districts", "Các xã", *[10 * (units - 1)] * len(codes)])
    meta = (folder / "plan.toml").read_text(encoding="utf-8")
    meta = "\n".join(f"total_villages = {units - 1}" if line.startswith("total_villages") else line
                     for line in meta.splitlines())
    (folder / "plan.toml").write_text(meta + "\n", encoding="utf-8")
    return folder


def peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def measure(units: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="p8-scale-") as folder:
        root = Path(folder)
        plan_dir = synthetic_plan(root / "plan", units)
        plan, rules = load_plan(plan_dir), RuleBook.load(plan_dir)
        rnd = plan.round(ROUND)
        templates: list[Path] = []
        seconds = {"templates": timed(lambda: templates.extend(write_templates(plan, rnd, root / "t", rules=rules)))}
        paths = Paths.beside_outbox(root / "inbox", root / "outbox")
        for unit, template in zip(plan.units_for(rnd), templates, strict=True):
            fill_template(template, paths.inbox / template.name, sample_values(plan, rnd, unit, with_previous=True))
        filled = sorted(paths.inbox.iterdir())

        def parse() -> None:
            for path in filled:
                book = python_calamine.CalamineWorkbook.from_path(str(path))
                for name in book.sheet_names:
                    book.get_sheet_by_name(name).to_python()

        seconds["parse"] = timed(parse)
        seconds["run"] = timed(lambda: run(paths, plan_dir, today=DAY))
        seconds["rerun"] = timed(lambda: run(paths, plan_dir, today=DAY))
        corrected = templates[1]
        values = sample_values(plan, rnd, plan.units_for(rnd)[1], with_previous=True)
        fill_template(corrected, paths.inbox / f"sua_{corrected.name}",
                      {**values, "in_comm_groups_estimate": int(values["in_comm_groups_estimate"]) + 1})
        seconds["one file"] = timed(lambda: run(paths, plan_dir, today=DAY))
        seconds["rss"] = peak_rss_mb()
        return seconds


def main(sizes: list[int]) -> None:
    print(f"machine: {os.cpu_count()} cores; {time.strftime('%Y-%m-%d')}")
    header = ["N", "parse (floor)", "templates", "full run", "rerun, nothing new", "one corrected file", "peak RSS"]
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    for units in sizes:
        s = measure(units)
        cells = [f"{s[key]:.1f} s ({s[key] / s['parse']:.0f}×)" for key in ("templates", "run", "rerun", "one file")]
        print(" | ".join([str(units), f"{s['parse']:.2f} s", *cells, f"{s['rss']:.0f} MB"]))


if __name__ == "__main__":
    main([int(n) for n in sys.argv[1:]] or [12, 300])

"""National scale on one machine: python bench/scale.py [N ...]   (default: 12 300)

For each N, a synthetic plan of N units (a province level and N-1 communes, the bundled indicators,
ratios and budget sources, targets that add up) gets its templates, one filled submission per unit,
and runs. It prints one table: the raw python-calamine parse of the filled files (the floor), the
templates, the full run, a rerun with nothing new, a run with one corrected file, each also as a ratio
to the floor, and the peak RSS. Each step runs in a process of its own: its seconds are counted inside
it (Python's start and imports aside), and its peak RSS is its own and its largest worker's. The floor
and the one-file run are the median of three runs each (three corrections of the same unit's file).
"""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import python_calamine  # noqa: E402

from pipeline.app.runner import run  # noqa: E402
from pipeline.app.samples import fill_template, sample_values  # noqa: E402
from pipeline.core.locations import Paths, template_filename  # noqa: E402
from pipeline.plan.loader import DEFAULT_PLAN_DIR, load_plan  # noqa: E402
from pipeline.templates.writer import write_templates  # noqa: E402
from pipeline.validation.book import RuleBook  # noqa: E402

DAY = date(2024, 9, 5)
AREAS = 34  # the country's provinces: the workbook's detail is split by area
ROUND = "2024-annual"
REPEATS = 3  # the floor and the one-file run are each the median of this many runs: the machine is shared


def synthetic_plan(folder: Path, units: int, areas: bool = True) -> Path:
    """The bundled plan with its units replaced by a province level and units-1 communes, in up to
    AREAS areas of equal size; without `areas`, as the project ships its plan: no `area` column."""
    shutil.copytree(DEFAULT_PLAN_DIR, folder)
    (folder / "formed_from.csv").unlink()  # it names the bundled plan's communes, replaced here
    codes = [r["code"] for r in csv.DictReader((folder / "indicators.csv").open(encoding="utf-8"))]
    per_area = -(-(units - 1) // AREAS)
    rows = [("14", "province", "Cấp tỉnh", "cap-tinh", "", "I", "")]
    rows += [(f"{90000 + n}", "district", f"Xã {n}", f"xa-{n}", "1", str(n), f"Tỉnh {(n - 1) // per_area + 1}")
             for n in range(1, units)]
    with (folder / "units.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["code", "level", "name", "slug", "villages", "appendix_no", "area"][:7 if areas else 6])
        writer.writerows(row[:7 if areas else 6] for row in rows)
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


class PeakMemory:
    """The peak RSS (VmHWM) of this process and of the largest of its descendants (the isolated
    workers are forked by a server, not by this process), sampled from /proc while a step runs."""

    def __init__(self, every: float = 0.1):
        self.every, self.workers = every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def own(self) -> float:
        # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so a step would inherit this
        # bench's own peak (the process that forked it)
        return _peak_mb(os.getpid()) or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def _watch(self) -> None:
        while not self._stop.wait(self.every):
            for pid in _descendants(os.getpid()):
                self.workers = max(self.workers, _peak_mb(pid))


def _descendants(root: int) -> list[int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    found, frontier = [], [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def _peak_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def stage(name: str, root: Path) -> dict[str, float]:
    """One step in a process of its own, so that its time and peak memory are its own: the seconds
    are counted inside it (not Python's start), the memory is its own and its workers'."""
    # Run as `python -c`, not as this script: a worker process started from a fork server imports its
    # parent's main script again (this one imports the whole pipeline; run_pipeline.py does not).
    code = (f"import sys; sys.path.insert(0, {str(Path(__file__).resolve().parent)!r}); import scale; "
            f"scale.run_stage({name!r}, scale.Path({str(root)!r}))")
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_stage(name: str, root: Path) -> None:
    plan_dir = root / "plan"
    paths = Paths.beside_outbox(root / "inbox", root / "outbox")
    with PeakMemory() as memory:
        start = time.perf_counter()
        if name == "templates":
            plan, rules = load_plan(plan_dir), RuleBook.load(plan_dir)
            write_templates(plan, plan.round(ROUND), root / "t", rules=rules)
        elif name == "parse":
            for path in sorted(paths.inbox.iterdir()):
                book = python_calamine.CalamineWorkbook.from_path(str(path))
                for sheet in book.sheet_names:
                    book.get_sheet_by_name(sheet).to_python()
        else:
            run(paths, plan_dir, today=DAY)
        seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "rss": memory.own, "workers": memory.workers}))


def measure(units: int) -> dict[str, dict[str, float]]:
    keep = os.environ.get("P8_BENCH_KEEP")  # a folder: each N's installation is kept there to look at
    with tempfile.TemporaryDirectory(prefix="p8-scale-") as folder:
        root = Path(keep) / f"n{units}" if keep else Path(folder)
        if keep:
            shutil.rmtree(root, ignore_errors=True)
            root.mkdir(parents=True)
        plan_dir = synthetic_plan(root / "plan", units)
        plan = load_plan(plan_dir)
        rnd = plan.round(ROUND)
        result = {"templates": stage("templates", root)}
        templates = sorted((root / "t" / rnd.id).iterdir())
        inbox = root / "inbox"
        inbox.mkdir()
        by_name = {t.name: t for t in templates}
        jobs = [(by_name[template_filename(rnd.id, u)], inbox, plan, u) for u in plan.units_for(rnd)]
        with multiprocessing.Pool() as pool:  # openpyxl fills a file in about half a second
            pool.starmap(_fill, jobs, chunksize=16)
        result["parse"] = _median([stage("parse", root) for _ in range(REPEATS)])
        result["run"] = stage("run", root)
        result["rerun"] = stage("rerun", root)
        unit = plan.units_for(rnd)[1]
        values = sample_values(plan, rnd, unit, with_previous=True)
        corrected = []
        for n in range(1, REPEATS + 1):  # each a new correction of the same unit's file
            fill_template(by_name[template_filename(rnd.id, unit)], inbox / f"sua{n}_{template_filename(rnd.id, unit)}",
                          {**values, "in_comm_groups_estimate": int(values["in_comm_groups_estimate"]) + n})
            corrected.append(stage("one file", root))
        result["one file"] = _median(corrected)
        return result


def _median(stages: list[dict[str, float]]) -> dict[str, float]:
    """The median time of repeated steps, and the largest memory any of them took."""
    return {"seconds": statistics.median(s["seconds"] for s in stages),
            "rss": max(s["rss"] for s in stages), "workers": max(s["workers"] for s in stages)}


def _fill(template: Path, inbox: Path, plan, unit) -> None:
    values = sample_values(plan, plan.round(ROUND), unit, with_previous=True)
    fill_template(template, inbox / template.name, values)


def main(sizes: list[int]) -> None:
    print(f"machine: {os.cpu_count()} cores; {time.strftime('%Y-%m-%d')}")
    header = ["N", "parse (floor)", "templates", "full run", "rerun, nothing new", "one corrected file",
              "peak RSS (process / largest worker)"]
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    for units in sizes:
        s = measure(units)
        floor = s["parse"]["seconds"]
        cells = [f"{s[key]['seconds']:.1f} s ({s[key]['seconds'] / floor:.1f}×)"
                 for key in ("templates", "run", "rerun", "one file")]
        own = max(s[key]["rss"] for key in ("templates", "run", "rerun", "one file"))
        workers = max(s[key]["workers"] for key in ("templates", "run", "rerun", "one file"))
        print(" | ".join([str(units), f"{floor:.2f} s", *cells, f"{own:.0f} MB / {workers:.0f} MB"]), flush=True)


if __name__ == "__main__":
    main([int(n) for n in sys.argv[1:]] or [12, 300])

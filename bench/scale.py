"""National scale on one machine: python bench/scale.py [--case CASE[,CASE...]] [--plain] [N ...]
(default: --case clean, N 12 300)

For each N, a synthetic plan of N units (a province level and N-1 communes, the bundled indicators,
ratios and budget sources, targets that add up) gets its templates, one filled submission per unit,
and runs. It prints one table: the raw python-calamine parse of the filled files (the floor), the
templates, the full run, a rerun with nothing new, a run with one corrected file, and the peak memory.

Each step runs in a process of its own, watched from outside through /proc: its CPU time is that of the
whole process tree (the step, the fork server and every reader it started, summed from each process's
last reading; `/usr/bin/time` misses the fork server's children), start-up and imports included, its
peak memory the largest sum of the tree's resident sets at one moment, its wall time from start-up to
exit. The floor is the parse's own CPU time, counted inside its process; every ratio is a step's CPU
time over it. The floor and the one-file run are the median of three runs each (three
corrections of the same unit's file).

Cases (--case): `clean`, every file as the template fills it; `mix`, what a round brings: 30% of the
files with warnings (a figure over 150% of its target), 10% sent after the deadline, 5% of the units
sending a correction; `warned`, every file with a warning (every file gets a marked copy). A case
ending in "+plain" (or every case, with --plain) writes the plan as the project ships its plan: no `area`
column (areas.py then splits it itself). Filled files are kept for the next case of the same invocation
(P8_BENCH_FILLS: a folder that keeps them across invocations): filling takes a quarter of a second each.
"""

from __future__ import annotations

import csv
import hashlib
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Only what every step needs: a step's process imports this module, and what it imports beyond that is
# its own (the run does not load openpyxl, which the filling of the files needs).
from pipeline.core.locations import Paths, template_filename  # noqa: E402
from pipeline.plan.loader import DEFAULT_PLAN_DIR, load_plan  # noqa: E402

DAY = date(2024, 9, 5)
LATER = date(2024, 9, 14)  # after the deadline (10/09): the mix's late files and corrections
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


class TreeMeter:
    """A process and all its descendants, read from /proc every `every` seconds: CPU seconds summed
    over every process seen (each at its last reading), and the largest sum of resident sets."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, pid: int, every: float = 0.05):
        self.pid, self.every = pid, every
        self.cpu: dict[int, float] = {}
        self.kinds: dict[int, str] = {}  # pid -> "main", "readers" (the fork server and its children), "workers"
        self.peak_mb = 0.0

    def watch(self, process: subprocess.Popen) -> None:
        while process.poll() is None:
            total = 0.0
            for pid in [self.pid, *_descendants(self.pid)]:
                try:
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                    self.cpu[pid] = (int(fields[11]) + int(fields[12])) / self.TICK
                    if pid not in self.kinds:
                        command = Path(f"/proc/{pid}/cmdline").read_bytes()
                        self.kinds[pid] = "main" if pid == self.pid else \
                            "readers" if b"forkserver" in command else "workers"
                    total += int(fields[21]) * os.sysconf("SC_PAGE_SIZE") / 2**20
                except (OSError, ValueError, IndexError):
                    continue
            self.peak_mb = max(self.peak_mb, total)
            time.sleep(self.every)

    @property
    def cpu_seconds(self) -> float:
        return sum(self.cpu.values())

    def cpu_of(self, kind: str) -> float:
        return sum(cpu for pid, cpu in self.cpu.items() if self.kinds.get(pid, "workers") == kind)


def stage(name: str, root: Path) -> dict[str, float]:
    """One step in a process of its own, watched from outside: CPU of the whole tree, the peak sum of
    its memory, wall time with start-up; and the seconds counted inside it."""
    # Run as `python -c`, not as this script: a worker process started from a fork server imports its
    # parent's main script again (this one imports the whole pipeline; run_pipeline.py does not).
    code = (f"import sys; sys.path.insert(0, {str(Path(__file__).resolve().parent)!r}); import scale; "
            f"scale.run_stage({name!r}, scale.Path({str(root)!r}))")
    started = time.perf_counter()
    # With bytecode caches, as an installation has them after its first command (PYTHONDONTWRITEBYTECODE
    # would have every step, and every reader it starts, compile the pipeline again: 0.3 s each).
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=environment)
    meter = TreeMeter(process.pid)
    watcher = threading.Thread(target=meter.watch, args=(process,), daemon=True)
    watcher.start()
    out, err = process.communicate()
    wall = time.perf_counter() - started
    watcher.join()
    if process.returncode != 0:
        raise RuntimeError(f"{name} failed: {err[-2000:]}")
    inside = json.loads(out.strip().splitlines()[-1])
    # The step's own CPU, start-up included, as it counted it before exiting (its last reading from /proc
    # may be up to `every` old). Not its rusage once reaped: that holds the output workers it waited for,
    # which the meter counts already (the tables before 2026-12-06 counted them twice).
    meter.cpu[process.pid] = max(meter.cpu.get(process.pid, 0.0), inside["cpu_self"])
    return {**inside, "wall": wall, "cpu": meter.cpu_seconds, "tree_mb": meter.peak_mb,
            **{f"cpu {kind}": meter.cpu_of(kind) for kind in ("main", "readers", "workers")}}


def run_stage(name: str, root: Path) -> None:
    plan_dir = root / "plan"
    paths = Paths.beside_outbox(root / "inbox", root / "outbox")
    if name == "templates":
        from pipeline.templates.writer import write_templates
        from pipeline.validation.book import RuleBook
    elif name == "parse":
        import python_calamine
    else:
        from pipeline.app.runner import run
    start, cpu = time.perf_counter(), time.process_time()
    if name == "templates":
        plan, rules = load_plan(plan_dir), RuleBook.load(plan_dir)
        write_templates(plan, plan.round(ROUND), root / "t", rules=rules)
    elif name == "parse":
        later = sorted((root / "later").iterdir()) if (root / "later").is_dir() else []
        for path in [*sorted(paths.inbox.iterdir()), *later]:
            book = python_calamine.CalamineWorkbook.from_path(str(path))
            for sheet in book.sheet_names:
                book.get_sheet_by_name(sheet).to_python()
    elif name == "run" and (root / "later").is_dir():  # the round's on-time files, then the late ones
        run(paths, plan_dir, today=DAY)
        for path in sorted((root / "later").iterdir()):
            path.rename(paths.inbox / path.name)
        (root / "later").rmdir()
        run(paths, plan_dir, today=LATER)
    else:
        run(paths, plan_dir, today=LATER if (root / "mix").exists() else DAY)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(json.dumps({"seconds": seconds, "cpu_inside": cpu, "cpu_self": time.process_time()}))


def measure(units: int, case: str, plain: bool, fills: Path) -> dict[str, dict[str, float]]:
    keep = os.environ.get("P8_BENCH_KEEP")  # a folder: each N's installation is kept there to look at
    with tempfile.TemporaryDirectory(prefix="p8-scale-") as folder:
        root = Path(keep) / f"n{units}" if keep else Path(folder)
        if keep:
            shutil.rmtree(root, ignore_errors=True)
            root.mkdir(parents=True)
        plan_dir = synthetic_plan(root / "plan", units, areas=not plain)
        plan = load_plan(plan_dir)
        rnd = plan.round(ROUND)
        result = {"templates": stage("templates", root)}
        templates = sorted((root / "t" / rnd.id).iterdir())
        inbox, later = root / "inbox", root / "later"
        inbox.mkdir()
        by_name = {t.name: t for t in templates}
        jobs = []
        for n, unit in enumerate(plan.units_for(rnd)):
            warned = case == "warned" or (case == "mix" and n % 10 < 3)
            late = case == "mix" and n % 10 == 3
            corrected = case == "mix" and n % 20 == 4
            template = by_name[template_filename(rnd.id, unit)]
            jobs.append((template, later if late else inbox, template.name, plan, unit, warned, fills))
            if corrected:
                jobs.append((template, later, f"sua_{template.name}", plan, unit, True, fills))
        if case == "mix":
            later.mkdir()
            (root / "mix").touch()
        with multiprocessing.Pool() as pool:  # openpyxl fills a file in about half a second
            pool.starmap(_fill, jobs, chunksize=16)
        result["parse"] = _median([stage("parse", root) for _ in range(REPEATS)])
        result["run"] = stage("run", root)
        result["rerun"] = stage("rerun", root)
        from pipeline.app.samples import fill_template, sample_values

        unit = plan.units_for(rnd)[1]
        values = sample_values(plan, rnd, unit, with_previous=True)
        corrections = []
        for n in range(1, REPEATS + 1):  # each a new correction of the same unit's file
            fill_template(by_name[template_filename(rnd.id, unit)], inbox / f"sua{n}_{template_filename(rnd.id, unit)}",
                          {**values, "in_comm_groups_estimate": int(values["in_comm_groups_estimate"]) + n})
            corrections.append(stage("one file", root))
        result["one file"] = _median(corrections)
        return result


def _median(stages: list[dict[str, float]]) -> dict[str, float]:
    """The median of repeated steps (by CPU), and the largest memory any of them took."""
    middle = sorted(stages, key=lambda s: s["cpu"])[len(stages) // 2]
    return {**middle, "tree_mb": max(s["tree_mb"] for s in stages)}


def _fill(template: Path, folder: Path, name: str, plan, unit, warned: bool, fills: Path) -> None:
    """One unit's file, filled by openpyxl (a quarter of a second) or taken from `fills`, where the same
    template filled the same way was kept by an earlier case (the plan with and without areas gives the
    same templates)."""
    from pipeline.app.samples import fill_template, sample_values

    kept = fills / f"{hashlib.sha256(template.read_bytes()).hexdigest()}-{'warned' if warned else 'clean'}.xlsx"
    if not kept.exists():
        values = sample_values(plan, plan.round(ROUND), unit, with_previous=True)
        if warned:  # an estimate far above the phase's target: a warning, and a marked copy
            values["in_comm_groups_estimate"] = 1000
        fill_template(template, folder / name, values)
        shutil.copyfile(folder / name, kept)
        return
    shutil.copyfile(kept, folder / name)


def main(sizes: list[int], cases: list[str]) -> None:
    """Each case at each size, one row each; a case "warned+plain" is `warned` with the plan without areas."""
    print(f"machine: {os.cpu_count()} cores; {time.strftime('%Y-%m-%d')}")
    header = ["case", "N", "floor (the parse's own CPU)", "templates", "full run", "one corrected file",
              "rerun, wall with start-up", "peak memory of the tree"]
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    kept = os.environ.get("P8_BENCH_FILLS")  # a folder that keeps filled files from one invocation to the next
    fills = Path(kept) if kept else Path(tempfile.mkdtemp(prefix="p8-fills-"))
    fills.mkdir(parents=True, exist_ok=True)
    try:
        for units in sizes:
            for case in cases:
                name, _, shape = case.partition("+")
                _row(case.replace("+", ", "), units, measure(units, name, shape == "plain", fills))
    finally:
        if not kept:
            shutil.rmtree(fills, ignore_errors=True)


def _row(case: str, units: int, s: dict) -> None:
    floor = s["parse"]["cpu_inside"]  # the parse itself (one process), not Python's start
    cells = [f"{s[key]['cpu']:.1f} s CPU = {s[key]['cpu'] / floor:.1f}× ({s[key]['wall']:.1f} s wall)"
             for key in ("templates", "run", "one file")]
    peak = max(s[key]["tree_mb"] for key in ("templates", "run", "rerun", "one file"))
    print(" | ".join([case, str(units), f"{floor:.2f} s", *cells, f"{s['rerun']['wall']:.2f} s", f"{peak:.0f} MB"]),
          flush=True)
    run = s["run"]
    print(f"  (full run's CPU: the run's own process {run['cpu main']:.1f} s, the readers {run['cpu readers']:.1f} s,"
          f" the output workers {run['cpu workers']:.1f} s)", flush=True)


if __name__ == "__main__":
    arguments = sys.argv[1:]
    chosen = arguments[arguments.index("--case") + 1].split(",") if "--case" in arguments else ["clean"]
    if "--plain" in arguments:
        chosen = [f"{case.partition('+')[0]}+plain" for case in chosen]
    numbers = [int(a) for a in arguments if a.isdigit()]
    main(numbers or [12, 300], chosen)

"""What isolation costs: python bench/isolation.py [files]

Reads the same filled templates three ways and prints one table: in this process (no isolation),
one worker at a time (the price of a separate process: pickling the bytes there and the submission
back), and the run's pool of one worker per core (what a run actually does). The ratio column is
each way's time per file over the in-process time; the pool's start-up is counted once, in the total.
"""

import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.samples import filled_submissions  # noqa: E402
from pipeline.intake import worker  # noqa: E402
from pipeline.intake.isolation import WorkerPool  # noqa: E402
from pipeline.intake.read import read_submission  # noqa: E402
from pipeline.intake.records import from_path  # noqa: E402
from pipeline.plan.loader import DEFAULT_PLAN_DIR, load_plan  # noqa: E402
from pipeline.validation.book import RuleBook  # noqa: E402

DAY = date(2024, 9, 9)


def main(count: int = 240) -> None:
    plan, rules = load_plan(), RuleBook.load(DEFAULT_PLAN_DIR)
    with tempfile.TemporaryDirectory() as folder:
        files = [from_path(path, path.parent) for path in filled_submissions(plan, "2024-annual", Path(folder))]
        jobs = [(files[n % len(files)], DAY) for n in range(count)]
        read_submission(files[0], plan, rules, DAY)  # warm: the first locked-content generation

        start = time.perf_counter()
        for incoming, day in jobs:
            read_submission(incoming, plan, rules, day)
        in_process = time.perf_counter() - start

        timings = {}
        for size in (1, os.cpu_count() or 1):
            started = time.perf_counter()
            with WorkerPool(size, setup=worker.setup, setup_args=(plan, rules)) as pool:
                pool.call(worker.examine, *jobs[0])  # start-up: the server, the workers, their imports
                ready = time.perf_counter()
                results = list(pool.map(worker.examine, jobs))
                finished = time.perf_counter()
            assert all(isinstance(r, worker.Examined) for r in results)
            timings[size] = (ready - started, finished - ready)

    per_file = 1000 * in_process / count
    print(f"{'way of reading':<38} {'files':>6} {'start (s)':>10} {'per file (ms)':>14} {'ratio':>7}")
    print(f"{'in this process (no isolation)':<38} {count:>6} {0:>10.2f} {per_file:>14.2f} {1:>7.2f}")
    for size, (start_up, work) in timings.items():
        label = f"isolated, {size} worker{'s' if size > 1 else ''}"
        each = 1000 * work / count
        print(f"{label:<38} {count:>6} {start_up:>10.2f} {each:>14.2f} {each / per_file:>7.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 240)

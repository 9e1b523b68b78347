"""What one file costs to ingest, and what a whole run costs: python bench/ingest.py [copies]

Times read_submission (guard, identify, read every input) on filled templates, and one full run of
the 12 Sơn La units (ingest, ledger, feedback, provincial workbook, reports). Each file's cost should
stay small and independent of the others, so a plan with thousands of communes stays practical.
"""

import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.samples import filled_submissions  # noqa: E402
from pipeline.app.runner import run  # noqa: E402
from pipeline.core.locations import Paths  # noqa: E402
from pipeline.intake.read import read_submission  # noqa: E402
from pipeline.intake.records import from_path  # noqa: E402
from pipeline.plan.loader import DEFAULT_PLAN_DIR, load_plan  # noqa: E402
from pipeline.validation.book import RuleBook  # noqa: E402


def main(copies: int = 200) -> None:
    plan, rules = load_plan(), RuleBook.load(DEFAULT_PLAN_DIR)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        files = filled_submissions(plan, "2024-annual", root)
        seconds = []
        for index in range(copies):
            path = files[index % len(files)]
            start = time.perf_counter()
            read_submission(from_path(path, path.parent), plan, rules, date(2024, 9, 9))
            seconds.append(time.perf_counter() - start)
        start = time.perf_counter()
        run(Paths.beside_outbox(root / "inbox", root / "outbox"), today=date(2024, 9, 9))
        whole = time.perf_counter() - start
    print(f"{'measure':<44} {'value':>10}")
    print(f"{'files read':<44} {copies:>10}")
    print(f"{'read one file, median (ms)':<44} {1000 * statistics.median(seconds):>10.1f}")
    print(f"{'read one file, 95th percentile (ms)':<44} {1000 * sorted(seconds)[int(0.95 * copies)]:>10.1f}")
    print(f"{'full run, 12 units, all outputs (s)':<44} {whole:>10.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)

"""Files whose one input cell holds a formula of tens of megabytes: python bench/hostile_formulas.py [N] [MB]

Issue 30, finding 4: six such files of 0.5 MB took the process tree to 1,460 MB, twelve to 2,233 MB,
and the formula text was copied into every finding, letter and ledger row. A whole `run` (Python
start-up included) reads N files (default 12) with a formula of MB megabytes (default 40) each, and
the table gives the peak resident memory summed over the whole process tree, sampled every 20 ms,
the wall time, and what the run wrote. Target: a peak of at most 1 GB; ledger and letters that do not
grow with the formula.
"""

import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.plan.loader import load_plan  # noqa: E402
from tests.support import hostile  # noqa: E402


def formula(megabytes: int, rng: random.Random) -> bytes:
    """Sums of a few dozen numbers in random order: a ratio of about 5 when zipped, as a crafted file's."""
    terms = [str(rng.randrange(10**5, 10**6)).encode() for _ in range(40)]
    count = megabytes * (1 << 20) // 7
    return b"+".join(rng.choice(terms) for _ in range(count))


def main() -> None:
    files = int(sys.argv[1]) if len(sys.argv) > 1 else 12
    megabytes = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    rng = random.Random(30)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        sender = hostile.Submissions(load_plan(), root)
        (root / "inbox").mkdir()
        (root / "outbox").mkdir()
        text = formula(megabytes, rng)
        units = ["121", "125", "123", "120", "122", "118", "126", "127", "119", "128", "124", "14"]
        for n in range(files):
            data = hostile.cell_replaced("G6", b'<c r="G6"><f>' + text + b"</f><v>1</v></c>")(
                sender.valid(units[n % len(units)]))
            (root / "inbox" / f"cong-thuc-{n:02d}.xlsx").write_bytes(data)
        size = sum(p.stat().st_size for p in (root / "inbox").iterdir())
        start = time.perf_counter()
        result, peak = hostile.run_measured(
            [sys.executable, str(ROOT / "run_pipeline.py"), "run", "--inbox", str(root / "inbox"), "--outbox",
             str(root / "outbox"), "--today", "2024-09-09"], ROOT)
        elapsed = time.perf_counter() - start
        with sqlite3.connect(root / "ledger.sqlite") as db:
            answered = db.execute("SELECT COUNT(*) FROM submission").fetchone()[0]
            longest = db.execute("SELECT COALESCE(MAX(LENGTH(message)), 0) FROM finding").fetchone()[0]
        ledger = (root / "ledger.sqlite").stat().st_size
        letters = max((p.stat().st_size for p in (root / "outbox").rglob("*_phan-hoi.txt")), default=0)
        drafts = max((p.stat().st_size for p in (root / "outbox").rglob("*_thu-tra-loi.eml")), default=0)
    print(f"{'files':>5} {'formula MB':>10} {'input MB':>9} {'exit':>4} {'answered':>8} {'peak tree MB':>12} "
          f"{'seconds':>8} {'ledger KB':>9} {'longest message':>15} {'letter KB':>9} {'draft KB':>8}")
    print(f"{files:>5} {megabytes:>10} {size / (1 << 20):>9.1f} {result.returncode:>4} {answered:>8} "
          f"{peak / (1 << 20):>12.0f} {elapsed:>8.1f} {ledger / 1024:>9.0f} {longest:>15} {letters / 1024:>9.1f} "
          f"{drafts / 1024:>8.1f}")


if __name__ == "__main__":
    main()

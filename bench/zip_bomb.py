"""How long refusing a zip bomb takes, and the most memory it needs: python bench/zip_bomb.py

Each case runs in a fresh child process (the whole ingest of one inbox file, as a run does it, with
Python starting and loading the plan counted in), which reports its own peak resident memory.
Target: under 5 s and 300 MB.
"""

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.bombs import INGEST_ONE, MIB, workbook_bomb  # noqa: E402

CASES = {
    "4 GiB, sizes declared honestly": dict(mebibytes=4095),
    "4 GiB, declares 1 MiB": dict(mebibytes=4095, declared=MIB),
    "4 GiB, declares 150 MiB": dict(mebibytes=4095, declared=150 * MIB),
}


def measure(data: bytes) -> tuple[str, float, int]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bao-cao.xlsx"
        path.write_bytes(data)
        start = time.perf_counter()
        result = subprocess.run([sys.executable, "-c", INGEST_ONE, str(path)], cwd=ROOT,
                                capture_output=True, text=True, timeout=60, check=True)
        elapsed = time.perf_counter() - start
    finding, peak = result.stdout.split()
    return finding, elapsed, int(peak)


def main() -> None:
    print(f"{'case':<32} {'finding':<22} {'seconds':>8} {'peak MB':>8}")
    for label, options in CASES.items():
        finding, seconds, peak = measure(workbook_bomb(**options))
        print(f"{label:<32} {finding:<22} {seconds:>8.2f} {peak:>8.0f}")


if __name__ == "__main__":
    main()

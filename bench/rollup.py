"""The national rollup at scale: P provinces' export packages of N units each (synthetic, written in
export.py's format with its hash and size), rolled up by `run_pipeline.py rollup` in a process of its
own. Prints its time, its peak RSS (VmHWM, the rollup runs in one process), the rows it read, and
whether its national totals equal the sums this script made while writing the packages.

    .venv/bin/python bench/rollup.py [N] [P]      (default 3321 units, 34 provinces)
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.exchange.export import COLUMNS, PACKAGE_PROFILE  # noqa: E402

INDICATORS = [f"i{k}" for k in range(1, 12)]
MEASURES = ("ytd", "estimate", "previous")
BUDGET = [(f"budget_{source}", measure) for source in ("central", "local", "other")
          for measure in ("allocated", "disbursed")]
RATIOS = [(f"r{k}", measure) for k in range(1, 5) for measure in ("num", "den")]


def package(folder: Path, province: int, units: int, sums: dict[str, float]) -> Path:
    """One province's package: 47 rows per unit, as a 2024 annual round gives them."""
    name = f"Tỉnh {province:02d}"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c for c, _, _ in COLUMNS])
    for unit in range(units):
        code, level = (f"P{province:02d}", "province") if unit == 0 else (f"{province:02d}{unit:05d}", "commune")
        rows = [("indicator", i, m) for i in INDICATORS for m in MEASURES] + \
               [("budget", s, m) for s, m in BUDGET] + [("ratio", s, m) for s, m in RATIOS]
        for number, (part, subject, measure) in enumerate(rows):
            value = (unit * 7 + number * 3 + province) % 50
            if part == "indicator" and measure == "estimate":
                sums[subject] = sums.get(subject, 0.0) + value
            writer.writerow(["quoc-gia", name, code, f"Xã {unit}", level, "", "2024-annual", 2024, "annual", part,
                             subject, measure, value, unit + 1, f"2024-annual_{code}.xlsx", "Chỉ tiêu",
                             f"G{6 + number}", "0" * 64, "2024-09-09T08:00:00+07:00"])
    data = out.getvalue().encode("utf-8-sig")
    target = folder / f"tinh-{province:02d}"
    target.mkdir(parents=True)
    (target / "so-lieu.csv").write_bytes(data)
    description = {"profile": PACKAGE_PROFILE, "name": f"tinh-{province:02d}",
                   "p8": {"plan": "quoc-gia", "province": name, "rows": units * 47},
                   "resources": [{"name": "so-lieu", "path": "so-lieu.csv", "format": "csv", "encoding": "utf-8-sig",
                                  "bytes": len(data), "hash": f"sha256:{hashlib.sha256(data).hexdigest()}",
                                  "schema": {"fields": [{"name": c, "type": t} for c, t, _ in COLUMNS]}}]}
    (target / "datapackage.json").write_text(json.dumps(description, ensure_ascii=False), encoding="utf-8")
    return target


def main(units: int, provinces: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root, sums = Path(folder), {}
        packages = [package(root / "goi", p, units, sums) for p in range(1, provinces + 1)]
        size = sum(f.stat().st_size for p in packages for f in p.iterdir()) / 2**20
        command = [sys.executable, "-c",
                   "import resource, sys, time; sys.argv = sys.argv[1:]; sys.path.insert(0, sys.argv.pop(0)); "
                   "from pipeline.cli.main import main; start = time.perf_counter(); code = main(sys.argv); "
                   "print('BENCH', time.perf_counter() - start, file=sys.stderr); "
                   "print('PEAK', open('/proc/self/status').read().split('VmHWM:')[1].split()[0], file=sys.stderr); "
                   "sys.exit(code)",
                   str(ROOT), "rollup", *map(str, packages), "--out", str(root / "toan-quoc")]
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, cwd=root)
        wall = time.perf_counter() - started
        if done.returncode != 0:
            sys.exit(f"rollup failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        inside = float(done.stderr.split("BENCH")[1].split()[0])
        peak = int(done.stderr.split("PEAK")[1].split()[0]) / 1024
        import openpyxl

        sheet = openpyxl.load_workbook(root / "toan-quoc" / "tong-hop-toan-quoc.xlsx", read_only=True)["Theo tinh"]
        nation = {r[2]: r[3] for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == "Toàn quốc"}
        agree = all(abs(nation.get(code, -1) - total) < 1e-6 for code, total in sums.items())
        with open(root / "toan-quoc" / "so-lieu-goc-toan-quoc.csv", encoding="utf-8-sig") as rows:
            detail = sum(1 for _ in rows) - 1
        print("provinces | units each | rows | packages | rollup (inside) | wall with start-up | peak RSS | "
              "national totals = independent sum")
        print("--- | --- | --- | --- | --- | --- | --- | ---")
        print(f"{provinces} | {units} | {detail:,} | {size:.0f} MB | {inside:.1f} s | {wall:.1f} s | {peak:.0f} MB | "
              f"{'yes' if agree else 'NO'}")


if __name__ == "__main__":
    arguments = [int(a) for a in sys.argv[1:]]
    main(*(arguments + [3321, 34][len(arguments):]))

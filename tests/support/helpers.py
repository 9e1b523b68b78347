"""What many tests do: run the command line, require an external program (skipped locally without
it, a failure in CI), re-save a workbook through LibreOffice, read one file as a run would."""
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from pipeline.intake.read import read_submission
from pipeline.intake.records import from_path

ROOT = Path(__file__).resolve().parents[2]
LO_FILL = ROOT / "tests" / "support" / "lo_fill.py"  # run by the system python3, which has uno


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "run_pipeline.py"), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def require(found, what: str):
    """A program the test drives: skipped on a developer's machine without it, a failure in CI
    (where .ci/run installs it), so CI never passes by skipping."""
    if not found:
        if os.environ.get("CI"):
            pytest.fail(f"{what} is required in CI; .ci/run installs it")
        pytest.skip(f"{what} is not installed")
    return found


# LibreOffice keeps the cached results of an .xlsx unless told to recalculate every formula on load.
RECALCULATE_ON_LOAD = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
<prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def libreoffice_convert(soffice: str, source: Path, out_dir: Path, fmt: str = "xlsx") -> Path:
    """Re-save `source` as LibreOffice writes it (a stand-in for the districts' office software),
    every formula recalculated by LibreOffice itself."""
    return libreoffice_convert_all(soffice, [source], out_dir, fmt)[0]


def libreoffice_convert_all(soffice: str, sources: list[Path], out_dir: Path, fmt: str = "xlsx",
                            timeout: int = 180) -> list[Path]:
    """As libreoffice_convert, for many files in one start of LibreOffice."""
    profile = out_dir.parent / f".lo-profile-{out_dir.name}"
    (profile / "user").mkdir(parents=True, exist_ok=True)
    (profile / "user" / "registrymodifications.xcu").write_text(RECALCULATE_ON_LOAD, encoding="utf-8")
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{profile}",
                    "--convert-to", fmt, "--outdir", str(out_dir), *map(str, sources)],
                   check=True, capture_output=True, timeout=timeout)
    return [out_dir / f"{source.stem}.{fmt}" for source in sources]


def read_file(path: Path, plan, rules, received: date = date(2025, 1, 1)):
    """Ingest one file as a run would (received on a day every test round is open)."""
    return read_submission(from_path(path, path.parent), plan, rules, received)


def plan_as_issued(target: Path) -> Path:
    """The bundled plan as it was issued in 2022: the province level and the 11 districts for the whole
    phase, without the 2025 reform (for tests of what does not depend on it, such as a whole phase
    reported by districts)."""
    import csv
    import shutil

    from pipeline.plan.loader import DEFAULT_PLAN_DIR

    shutil.copytree(DEFAULT_PLAN_DIR, target)
    (target / "formed_from.csv").unlink()
    path = target / "units.csv"
    rows = [r for r in csv.DictReader(path.open(encoding="utf-8")) if r["level"] in ("province", "district")]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows({**r, "valid_to": ""} for r in rows)
    return target

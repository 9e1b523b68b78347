"""An installation's inbox and files: a unit's sample report sent, every file's time and hash."""

import hashlib
from pathlib import Path

from pipeline.app.samples import fill_template, sample_values
from pipeline.templates.writer import write_templates


def send(plan, root: Path, code: str) -> None:
    rnd, unit = plan.round("2024-annual"), plan.unit(code)
    template = write_templates(plan, rnd, root / "mau", [unit])[0]
    fill_template(template, root / "inbox" / template.name, sample_values(plan, rnd, unit, with_previous=True))


def tree(root: Path) -> dict[str, tuple[int, str]]:
    """Every file the installation holds, with its modification time and content hash."""
    return {p.relative_to(root).as_posix(): (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
            for p in sorted(root.rglob("*")) if p.is_file() and "mau" not in p.relative_to(root).parts}


def with_senders(plan_dir: Path, addresses: dict[str, str]) -> Path:
    """The plan folder with a `senders` column in units.csv: {unit code: registered address}."""
    units = plan_dir / "units.csv"
    lines = units.read_text(encoding="utf-8").splitlines()
    lines[0] += ",senders"
    lines[1:] = [line + "," + addresses.get(line.split(",")[0], "") for line in lines[1:]]
    units.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return plan_dir

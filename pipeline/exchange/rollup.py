"""The national rollup: several provinces' exports (export.py) read back, each checked as a district's
file is (is it one of ours, whose plan, sent twice, altered since it was written), and summed into a
national workbook and a short summary. A package that fails a check is named with the reason and
left out; the others are still summed."""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.core.atomic import atomic_path, write_text
from pipeline.core.locations import ROLLUP_SUMMARY, ROLLUP_WORKBOOK
from pipeline.exchange.export import COLUMNS, PACKAGE_PROFILE

# The measures that give a round's figure for the year, by round kind (form.YEAR_MEASURE).
YEAR_MEASURES = {"annual": "estimate", "update": "actual"}


@dataclass
class Rollup:
    included: list[str] = field(default_factory=list)  # provinces summed
    refused: list[tuple[str, str]] = field(default_factory=list)  # (package, reason in Vietnamese)
    totals: pd.DataFrame | None = None  # province × round × indicator, and the national row


def read_package(path: Path) -> tuple[dict, pd.DataFrame]:
    """One province's export, checked: ours (profile, metadata, columns), and unaltered (size and SHA-256)."""
    try:
        package = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"không đọc được datapackage.json ({exc})") from None
    if package.get("profile") != PACKAGE_PROFILE or "p8" not in package or len(package.get("resources", [])) != 1:
        raise ValueError("không phải gói số liệu do chương trình Dự án 8 xuất ra")
    resource = package["resources"][0]
    names = [f.get("name") for f in resource.get("schema", {}).get("fields", [])]
    if names != [c for c, _, _ in COLUMNS]:
        raise ValueError("các cột không đúng mẫu xuất số liệu của chương trình")
    data_path = path.parent / Path(str(resource.get("path", ""))).name
    if not data_path.is_file():
        raise ValueError(f"thiếu tệp {data_path.name}")
    data = data_path.read_bytes()
    if len(data) != resource.get("bytes") or f"sha256:{hashlib.sha256(data).hexdigest()}" != resource.get("hash"):
        raise ValueError(f"tệp {data_path.name} đã bị thay đổi sau khi xuất (kích thước hoặc SHA-256 không khớp)")
    frame = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype={"unit_code": str, "former_unit": str},
                        keep_default_na=False, na_values={"value": [""]})
    if set(frame["plan"]) - {package["p8"]["plan"]} or set(frame["province"]) - {package["p8"]["province"]}:
        raise ValueError("số liệu ghi kế hoạch hoặc tỉnh khác với gói")
    if frame.duplicated(["unit_code", "round", "part", "subject", "measure"]).any():
        raise ValueError("có dòng số liệu trùng nhau (cùng đơn vị, kỳ, chỉ tiêu)")
    return package, frame


def rollup(packages: list[Path]) -> tuple[Rollup, pd.DataFrame]:
    result = Rollup()
    frames = []
    seen: dict[str, Path] = {}
    for path in packages:
        try:
            package, frame = read_package(path)
        except ValueError as exc:
            result.refused.append((str(path), str(exc)))
            continue
        province = package["p8"]["province"]
        digest = package["resources"][0]["hash"]
        twice = seen.get(province) or seen.get(digest)
        if twice is not None:
            result.refused.append((str(path), f"trùng với gói {twice} (cùng tỉnh hoặc cùng tệp): chỉ tính một lần"))
            continue
        seen[province] = seen[digest] = path
        result.included.append(province)
        frames.append(frame)
    all_rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[c for c, _, _ in COLUMNS])
    result.totals = _totals(all_rows)
    return result, all_rows


def _totals(rows: pd.DataFrame) -> pd.DataFrame:
    """Each province's year figure per round and indicator (the sum over its units), then the nation's."""
    year = rows[(rows["part"] == "indicator")
                & (rows["measure"] == rows["round_kind"].map(YEAR_MEASURES))]
    by_province = year.groupby(["province", "round", "subject"], as_index=False)["value"].sum()
    nation = by_province.groupby(["round", "subject"], as_index=False)["value"].sum().assign(province="Toàn quốc")
    return pd.concat([by_province, nation], ignore_index=True)[["province", "round", "subject", "value"]]


def write_rollup(result: Rollup, rows: pd.DataFrame, folder: Path) -> list[Path]:
    assert result.totals is not None
    workbook = folder / ROLLUP_WORKBOOK
    wide = result.totals.pivot_table(index="province", columns=["round", "subject"], values="value", aggfunc="sum")
    order = [p for p in sorted(wide.index) if p != "Toàn quốc"] + (["Toàn quốc"] if "Toàn quốc" in wide.index else [])
    with atomic_path(workbook) as tmp:
        buffer = io.BytesIO()
        with pd.ExcelWriter(buffer, engine="xlsxwriter",
                            engine_kwargs={"options": {"strings_to_formulas": False}}) as writer:
            wide.reindex(order).to_excel(writer, sheet_name="Tong hop")
            result.totals.to_excel(writer, sheet_name="Theo tinh", index=False)
            rows.to_excel(writer, sheet_name="So lieu goc", index=False)
        tmp.write_bytes(buffer.getvalue())
    summary = folder / ROLLUP_SUMMARY
    write_text(summary, "\n".join(summary_lines(result)) + "\n")
    return [workbook, summary]


def summary_lines(result: Rollup) -> list[str]:
    lines = [f"Tổng hợp toàn quốc từ {len(result.included)} gói số liệu: {', '.join(result.included) or 'không có'}."]
    lines += [f"Không tính gói {path}: {reason}." for path, reason in result.refused]
    return lines

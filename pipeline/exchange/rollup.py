"""The national rollup: several provinces' exports (export.py) read back, each checked as a district's
file is (is it one of ours, whose plan, sent twice, altered since it was written), and summed into a
national workbook and a short summary. A package that fails a check is named with the reason and
left out; the others are still summed.

Packages are read one at a time: each is summed, its rows appended to one detail CSV, and let go, so
that a country of 34 provinces of 3,321 communes (5 million rows) takes the memory of one province. The
workbook holds the aggregates only; the rows are in the CSV, which no sheet limit bounds."""

from __future__ import annotations

import hashlib
import io
import json
import math
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.core.atomic import atomic_path, write_text
from pipeline.core.locations import ROLLUP_DETAIL, ROLLUP_SUMMARY, ROLLUP_WORKBOOK
from pipeline.exchange.export import COLUMNS, PACKAGE_PROFILE, neutralised
from pipeline.intake.inbox import NotPlainFile, TooLarge, read_plain

# The measures that give a round's figure for the year, by round kind (form.YEAR_MEASURE).
YEAR_MEASURES = {"annual": "estimate", "update": "actual"}


@dataclass
class Rollup:
    included: list[str] = field(default_factory=list)  # provinces summed
    refused: list[tuple[str, str]] = field(default_factory=list)  # (package, reason in Vietnamese)
    totals: pd.DataFrame | None = None  # province × round × indicator, and the national row
    rows: int = 0  # detail rows of the packages summed


MAX_PACKAGE_BYTES = 1 << 20  # datapackage.json: a description, a few kilobytes
MAX_DATA_BYTES = 512 << 20  # a country's export at 3,400 units is some 100 MB
MAX_ROWS = 3_000_000
NATION = "Toàn quốc"  # the name of the national line: no province may take it
NUMBERED = {"round_year", "record_id"}


def read_package(path: Path) -> tuple[dict, pd.DataFrame]:
    """One province's export, checked as strictly as a unit's file: ours (profile, metadata, columns,
    types), unaltered (size and SHA-256), bounded (sizes checked before anything is read), no link
    followed, finite non-negative figures. Any other shape is a ValueError naming what is wrong."""
    try:
        return _read_package(path)
    except ValueError:
        raise
    except (RecursionError, MemoryError, OSError, KeyError, TypeError, AttributeError, OverflowError,
            UnicodeError, pd.errors.ParserError) as exc:
        raise ValueError(f"gói không đọc được ({type(exc).__name__})") from None


def _read_package(path: Path) -> tuple[dict, pd.DataFrame]:
    package = json.loads(_read_plain(path, MAX_PACKAGE_BYTES).decode("utf-8"))
    if not isinstance(package, dict) or package.get("profile") != PACKAGE_PROFILE:
        raise ValueError("không phải gói số liệu do chương trình Dự án 8 xuất ra")
    meta, resources = package.get("p8"), package.get("resources")
    if not isinstance(meta, dict) or not isinstance(resources, list) or len(resources) != 1 \
            or not isinstance(resources[0], dict):
        raise ValueError("không phải gói số liệu do chương trình Dự án 8 xuất ra")
    if not all(isinstance(meta.get(k), str) and meta.get(k) for k in ("plan", "province")):
        raise ValueError("gói không ghi mã kế hoạch hoặc tên tỉnh")
    resource = resources[0]
    fields = resource.get("schema", {}).get("fields", []) if isinstance(resource.get("schema"), dict) else []
    names = [f.get("name") for f in fields if isinstance(f, dict)] if isinstance(fields, list) else []
    if names != [c for c, _, _ in COLUMNS]:
        raise ValueError("các cột không đúng mẫu xuất số liệu của chương trình")
    declared, digest = resource.get("bytes"), resource.get("hash")
    if not isinstance(declared, int) or isinstance(declared, bool) or not 0 < declared <= MAX_DATA_BYTES:
        raise ValueError(f"tệp số liệu khai kích thước {declared!r}: phải từ 1 byte đến {MAX_DATA_BYTES >> 20} MB")
    data_path = path.parent / Path(str(resource.get("path", ""))).name
    data = _read_plain(data_path, MAX_DATA_BYTES)
    if len(data) != declared or f"sha256:{hashlib.sha256(data).hexdigest()}" != digest:
        raise ValueError(f"tệp {data_path.name} đã bị thay đổi sau khi xuất (kích thước hoặc SHA-256 không khớp)")
    frame = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str, keep_default_na=False,
                        nrows=MAX_ROWS + 1)
    if list(frame.columns) != [c for c, _, _ in COLUMNS]:
        raise ValueError("dòng tiêu đề của tệp số liệu không đúng các cột đã khai")
    if len(frame) > MAX_ROWS:
        raise ValueError(f"tệp số liệu có hơn {MAX_ROWS:,} dòng".replace(",", "."))
    frame = _typed(frame)
    if set(frame["plan"]) - {_normal(meta["plan"])} or set(frame["province"]) - {_normal(meta["province"])}:
        raise ValueError("số liệu ghi kế hoạch hoặc tỉnh khác với gói")
    if frame.duplicated(["unit_code", "round", "part", "subject", "measure"]).any():
        raise ValueError("có dòng số liệu trùng nhau (cùng đơn vị, kỳ, chỉ tiêu)")
    return package, frame


def _read_plain(path: Path, limit: int) -> bytes:
    try:
        return read_plain(path, limit)
    except NotPlainFile:
        raise ValueError(f"{path.name} không phải là một tệp") from None
    except TooLarge as large:
        raise ValueError(f"tệp {path.name} lớn hơn mức cho phép ({large.size:,} byte)".replace(",", ".")) from None


def _normal(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns normalised (NFC, trimmed), numbers checked: whole years and record ids, values
    finite and not negative (counts and money), as export.py writes them."""
    text = [c for c, kind, _ in COLUMNS if kind == "string"]
    frame[text] = frame[text].apply(lambda column: column.map(_normal))
    values = pd.to_numeric(frame["value"], errors="coerce").astype("float64")  # "12" and "12.0" alike
    bad = values.isna() | ~values.map(math.isfinite) | (values < 0) | (frame["value"] == "")
    if bad.any():
        raise ValueError(f"cột value có giá trị không phải số hữu hạn không âm («{frame['value'][bad].iloc[0][:40]}»)")
    frame["value"] = values.astype("float64")
    for column in NUMBERED:
        numbers = pd.to_numeric(frame[column], errors="coerce")
        if numbers.isna().any() or (numbers != numbers.round()).any():
            raise ValueError(f"cột {column} phải là số nguyên")
        frame[column] = numbers.astype("int64")
    return frame


def province_key(package: dict, frame: pd.DataFrame) -> str:
    """Who a package is: the code of its province-level unit, else its province's name, normalised (NFC,
    trimmed, case): «Sơn La», «Sơn La » and the decomposed «Sơn La» are one province."""
    codes = sorted(set(frame.loc[frame["unit_level"] == "province", "unit_code"]))
    name = " ".join(unicodedata.normalize("NFC", package["p8"]["province"]).split()).casefold()
    return f"code:{codes[0]}" if len(codes) == 1 else f"name:{name}"


def rollup(packages: list[Path], detail: Path | None = None) -> Rollup:
    """Sum the packages; with `detail`, every row of the packages summed is written there (CSV, the
    export's columns), atomically."""
    if detail is None:
        return _rollup(packages, None)
    with atomic_path(detail) as tmp, open(tmp, "w", encoding="utf-8-sig", newline="") as out:
        out.write(",".join(c for c, _, _ in COLUMNS) + "\n")
        return _rollup(packages, out)


def _rollup(packages: list[Path], out) -> Rollup:
    result = Rollup()
    sums = []
    seen: dict[str, Path] = {}
    for path in packages:
        try:
            package, frame = read_package(path)
        except ValueError as exc:
            result.refused.append((str(path), str(exc)))
            continue
        province = " ".join(unicodedata.normalize("NFC", package["p8"]["province"]).split())
        if province.casefold() == NATION.casefold():
            result.refused.append((str(path), f"tên tỉnh «{province}» là tên dòng toàn quốc"))
            continue
        key, digest = province_key(package, frame), package["resources"][0]["hash"]
        twice = seen.get(key) or seen.get(f"name:{province.casefold()}") or seen.get(digest)
        if twice is not None:
            result.refused.append((str(path), f"trùng với gói {twice} (cùng tỉnh hoặc cùng tệp): chỉ tính một lần"))
            continue
        seen[key] = seen[f"name:{province.casefold()}"] = seen[digest] = path
        result.included.append(province)
        result.rows += len(frame)
        frame["province"] = province  # the name as summed: normalised, one spelling per province
        sums.append(_province_sums(frame))
        if out is not None:
            neutralised(frame).to_csv(out, header=False, index=False, lineterminator="\n")
        del frame  # the next package is read into the room this one leaves
    by_province = pd.concat(sums, ignore_index=True) if sums else pd.DataFrame(
        columns=["province", "round", "subject", "value"])
    nation = by_province.groupby(["round", "subject"], as_index=False)["value"].sum().assign(province=NATION)
    result.totals = pd.concat([by_province, nation], ignore_index=True)[["province", "round", "subject", "value"]]
    return result


def _province_sums(rows: pd.DataFrame) -> pd.DataFrame:
    """A province's year figure per round and indicator: the sum over its units."""
    year = rows[(rows["part"] == "indicator") & (rows["measure"] == rows["round_kind"].map(YEAR_MEASURES))]
    return year.groupby(["province", "round", "subject"], as_index=False)["value"].sum()


def write_rollup(result: Rollup, folder: Path) -> list[Path]:
    assert result.totals is not None
    workbook = folder / ROLLUP_WORKBOOK
    wide = result.totals.pivot_table(index="province", columns=["round", "subject"], values="value", aggfunc="sum")
    order = [p for p in sorted(wide.index) if p != NATION] + ([NATION] if NATION in wide.index else [])
    with atomic_path(workbook) as tmp:
        buffer = io.BytesIO()
        with pd.ExcelWriter(buffer, engine="xlsxwriter",
                            engine_kwargs={"options": {"strings_to_formulas": False}}) as writer:
            wide.reindex(order).to_excel(writer, sheet_name="Tong hop")
            result.totals.to_excel(writer, sheet_name="Theo tinh", index=False)
        tmp.write_bytes(buffer.getvalue())
    summary = folder / ROLLUP_SUMMARY
    write_text(summary, "\n".join(summary_lines(result)) + "\n")
    return [workbook, summary]


def summary_lines(result: Rollup) -> list[str]:
    lines = [f"Tổng hợp toàn quốc từ {len(result.included)} gói số liệu: {', '.join(result.included) or 'không có'}."]
    lines += [f"Không tính gói {path}: {reason}." for path, reason in result.refused]
    if result.included:
        lines.append(f"Số liệu gốc ({result.rows:,} dòng) ở tệp {ROLLUP_DETAIL}; bảng tổng hợp chỉ có số tổng của "
                     "từng tỉnh và toàn quốc.".replace(",", "."))
    return lines

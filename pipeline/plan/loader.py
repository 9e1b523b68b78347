"""Load a plan folder (units, indicators, ratios, targets, rounds) and check it against itself: every
error names the file, the row and the way out."""

from __future__ import annotations

import re
import tomllib
from dataclasses import replace
from pathlib import Path

from pipeline.core.errors import PlanError
from pipeline.core.vietnamese import LEVEL_WORDS
from pipeline.plan import adhoc, areas, schedule, succession
from pipeline.plan.activities import ASKS, Activity
from pipeline.plan.csv_rows import ascii_code, read_csv, unique
from pipeline.plan.model import (
    ALLOCATED_LEVELS,
    INDICATOR_KINDS,
    ROUND_KINDS,
    UNIT_LEVELS,
    BudgetSource,
    Indicator,
    Plan,
    Ratio,
    Round,
    Unit,
)

DEFAULT_PLAN_DIR = Path(__file__).resolve().parents[2] / "plan"



def _load_units(folder: Path) -> tuple[Unit, ...]:
    rows = read_csv(folder, "units.csv", ("code", "level", "name", "slug", "villages"))
    unique(rows, "code")
    unique(rows, "slug")
    units = []
    for row in rows:
        code, slug = row.text("code"), row.text("slug")
        if not code.isascii() or not slug.isascii() or " " in code + slug:
            raise PlanError(f"{row.where()}: cột code và slug chỉ gồm chữ không dấu, số, không có khoảng trắng.")
        level = row.choice("level", UNIT_LEVELS)
        villages = row.integer("villages", optional=level != "district")
        senders = tuple(a.lower() for a in re.split(r"[;,\s]+", row.cells.get("senders") or "") if a)
        if any("@" not in a for a in senders):
            raise PlanError(f"{row.where()}: cột «senders» ghi các địa chỉ thư điện tử, cách nhau bằng dấu «;».")
        valid_from, valid_to = (row.iso_date(c) if (row.cells.get(c) or "").strip() else None
                                for c in ("valid_from", "valid_to"))
        if valid_from and valid_to and valid_to <= valid_from:
            raise PlanError(f"{row.where()}: valid_to ({valid_to}) phải sau valid_from ({valid_from}).")
        former = tuple(c for c in re.split(r"[;,\s]+", row.cells.get("former") or "") if c)
        units.append(
            Unit(code, level, row.text("name"), slug, villages, row.cells.get("appendix_no", ""), senders,
                 valid_from, valid_to, former, " ".join((row.cells.get("area") or "").split()),
                 succession.attribution(row, former), succession.yes_no(row, "reports"),
                 " ".join((row.cells.get("kind") or "").split()).lower(),
                 " ".join((row.cells.get("chair") or "").split()))
        )
    provinces = [u for u in units if u.level == "province"]
    if len(provinces) != 1:
        raise PlanError(f"units.csv: phải có đúng một đơn vị cấp «province», đang có {len(provinces)}.")
    succession.check(units)
    areas.check(units)
    return tuple(units)




def _load_activities(folder: Path, groups: tuple[str, ...]) -> tuple[Activity, ...]:
    """activities.csv (optional): code, group, name, asks — what each unit reports about the activity,
    among done, events, participants, note, separated by ';'."""
    if not (folder / "activities.csv").is_file():
        return ()
    rows = read_csv(folder, "activities.csv", ("code", "group", "name", "asks"))
    unique(rows, "code")
    activities = []
    for row in rows:
        asks = [a.strip() for a in row.text("asks").split(";") if a.strip()]
        unknown = [a for a in asks if a not in ASKS]
        if unknown or not asks:
            raise PlanError(f"{row.where()}: cột «asks» ghi «{', '.join(unknown) or 'trống'}»; chỉ dùng "
                            f"{', '.join(ASKS)}, cách nhau bằng dấu «;».")
        activities.append(Activity(ascii_code(row), row.choice("group", groups), row.text("name"),
                                   tuple(a for a in ASKS if a in asks)))
    return tuple(activities)


def _load_groups(folder: Path) -> dict[str, str]:
    rows = read_csv(folder, "groups.csv", ("code", "title"))
    unique(rows, "code")
    return {row.text("code"): row.text("title") for row in rows}


def _load_indicators(folder: Path, groups: tuple[str, ...]) -> tuple[Indicator, ...]:
    columns = ("code", "no", "group", "kind", "unit", "window", "name", "short_name")
    rows = read_csv(folder, "indicators.csv", columns)
    unique(rows, "code")
    return tuple(
        Indicator(
            code=ascii_code(row),
            no=row.integer("no") or 0,
            group=row.choice("group", groups),
            kind=row.choice("kind", INDICATOR_KINDS),
            unit=row.text("unit"),
            window=row.text("window"),
            name=row.text("name"),
            short_name=row.text("short_name"),
            milestones=schedule.from_window(row.text("window"), row.where()),
        )
        for row in rows
    )


def _load_ratios(folder: Path, groups: tuple[str, ...]) -> tuple[Ratio, ...]:
    columns = ("code", "group", "target_percent", "name", "numerator", "denominator")
    rows = read_csv(folder, "ratios.csv", columns)
    unique(rows, "code")
    ratios = []
    for row in rows:
        percent = row.integer("target_percent") or 0
        if not 0 < percent <= 100:
            raise PlanError(f"{row.where()}: target_percent phải từ 1 đến 100, đang ghi {percent}.")
        ratios.append(
            Ratio(
                code=ascii_code(row),
                group=row.choice("group", groups),
                target_percent=percent,
                name=row.text("name"),
                numerator=row.text("numerator"),
                denominator=row.text("denominator"),
            )
        )
    return tuple(ratios)


def _load_budget_sources(folder: Path) -> tuple[BudgetSource, ...]:
    rows = read_csv(folder, "budget_sources.csv", ("code", "name"))
    unique(rows, "code")
    return tuple(BudgetSource(ascii_code(row), row.text("name")) for row in rows)


def _load_rounds(folder: Path, indicators: tuple[str, ...], activities: tuple[str, ...]) -> tuple[Round, ...]:
    columns = ("id", "year", "kind", "opens", "district_deadline", "province_deadline")
    rows = read_csv(folder, "rounds.csv", columns)
    unique(rows, "id")
    rounds = []
    for row in rows:
        rnd = Round(
            id=row.text("id"),
            year=row.integer("year") or 0,
            kind=row.choice("kind", ROUND_KINDS),
            district_deadline=row.iso_date("district_deadline"),
            province_deadline=row.iso_date("province_deadline"),
            opens=row.iso_date("opens"),
            name=(row.cells.get("name") or "").strip(),
        )
        if rnd.regular and rnd.id != f"{rnd.year}-{rnd.kind}":
            raise PlanError(f"{row.where()}: id phải là «{rnd.year}-{rnd.kind}», đang ghi «{rnd.id}».")
        if not rnd.regular:
            rnd = _adhoc_round(row, rnd, indicators, activities)
        if rnd.opens > rnd.district_deadline:
            raise PlanError(f"{row.where()}: kỳ mở ngày {rnd.opens}, sau hạn gửi của đơn vị.")
        if rnd.province_deadline < rnd.district_deadline:
            raise PlanError(
                f"{row.where()}: hạn báo cáo của tỉnh {rnd.province_deadline} trước "
                f"hạn gửi của đơn vị {rnd.district_deadline}."
            )
        rounds.append(rnd)
    return tuple(rounds)


def _adhoc_round(row, rnd: Round, indicators: tuple[str, ...], activities: tuple[str, ...]) -> Round:
    """The columns only an adhoc round uses: its name, and which indicators and activities it asks."""
    adhoc.check_id(row, rnd.id, rnd.year)
    if not rnd.name:
        raise PlanError(f"{row.where()}: kỳ adhoc cần có tên (cột «name») để các đơn vị đọc.")
    return replace(rnd, indicators=adhoc.codes(row, "indicators", indicators, "chỉ tiêu"),
                   activities=adhoc.codes(row, "activities", activities, "hoạt động"))


def _with_questions(folder: Path, rounds: tuple[Round, ...]) -> tuple[Round, ...]:
    """Adhoc rounds with their questions; an adhoc round must ask something."""
    asked = adhoc.load_questions(folder, tuple(r.id for r in rounds if not r.regular))
    rounds = tuple(replace(r, questions=asked.get(r.id, ())) for r in rounds)
    for rnd in rounds:
        if not rnd.regular and not (rnd.indicators or rnd.activities or rnd.questions):
            raise PlanError(f"rounds.csv: kỳ adhoc {rnd.id} chưa hỏi gì; ghi chỉ tiêu (indicators) hoặc hoạt động "
                            "(activities) ở dòng của kỳ, hoặc câu hỏi trong questions.csv.")
    return rounds


def _load_target_table(
    folder: Path, name: str, key: str, keys: tuple[str, ...], indicators: tuple[Indicator, ...],
    required: tuple[str, ...] | None = None,
) -> dict[str, dict[str, int]]:
    """One row per key; keys outside `required` (default: all) may be left out and get no targets."""
    codes = tuple(i.code for i in indicators)
    rows = read_csv(folder, name, (key, *codes))
    unique(rows, key)
    extra = [c for c in rows[0].cells if c not in (key, "name", *codes)]
    if extra:
        raise PlanError(f"{name}: cột {', '.join(extra)} không phải là mã chỉ tiêu nào trong indicators.csv.")
    table: dict[str, dict[str, int]] = {}
    known = set(keys)  # a country's thousands of units
    for row in rows:
        row_key = row.text(key)
        if row_key not in known:
            raise PlanError(f"{row.where()}: không có {key} «{row_key}»; chỉ được ghi một trong: {', '.join(keys)}.")
        values = {}
        for code in codes:
            value = row.integer(code)
            assert value is not None
            if value < 0:
                raise PlanError(f"{row.where()}: chỉ tiêu «{code}» là số âm ({value}).")
            values[code] = value
        table[row_key] = values
    missing = [k for k in (keys if required is None else required) if k not in table]
    if missing:
        raise PlanError(f"{name}: thiếu dòng của {key} {', '.join(missing)}.")
    return {k: table.get(k, dict.fromkeys(codes, 0)) for k in keys}


def _target_rows(folder: Path) -> tuple[str, ...]:
    """The units with a row of targets.csv: only they have targets (the others show none, not zero).
    A tuple, not a set: the plan's repr keys rebuilds, and must not change from one process to the next."""
    return tuple(row.text("unit") for row in read_csv(folder, "targets.csv", ("unit",)))


# -- checking --------------------------------------------------------------------------------


def check_consistency(plan: Plan) -> None:
    """The plan must agree with itself, as the appendix does: province + districts = total (the
    districts: section II of the allocation, Plan.allocated)."""
    province = plan.province_unit.code
    districts = [u.code for u in plan.allocated]
    below = f"các {LEVEL_WORDS.get(plan.allocated_level, 'đơn vị')}"
    for indicator in plan.indicators:
        code = indicator.code
        district_sum = sum(plan.targets[d][code] for d in districts)
        stated_districts = plan.totals["districts"][code]
        if district_sum != stated_districts:
            raise PlanError(
                f"targets.csv: chỉ tiêu «{code}» ({indicator.short_name}): {below} cộng lại được "
                f"{district_sum}, nhưng dòng «districts» của totals.csv ghi {stated_districts}."
            )
        province_value = plan.targets[province][code]
        total = plan.totals["total"][code]
        if province_value + district_sum != total:
            raise PlanError(
                f"targets.csv: chỉ tiêu «{code}» ({indicator.short_name}): cấp tỉnh {province_value} "
                f"+ {below} {district_sum} = {province_value + district_sum}, "
                f"nhưng dòng «total» của totals.csv ghi {total}."
            )
    villages = sum(u.villages or 0 for u in plan.allocated)
    if villages != plan.total_villages and any(u.villages is not None for u in plan.allocated):
        raise PlanError(
            f"units.csv: số bản của {below} cộng lại là {villages}, "
            f"nhưng plan.toml ghi total_villages = {plan.total_villages}."
        )


def load_plan(folder: Path | str = DEFAULT_PLAN_DIR) -> Plan:
    folder = Path(folder)
    meta_path = folder / "plan.toml"
    if not meta_path.is_file():
        raise PlanError(f"Không tìm thấy {meta_path}: «{folder}» không phải là thư mục kế hoạch (xem tùy chọn "
                        "--plan-dir hoặc dòng «plan = …» trong config.toml).")
    try:
        meta = tomllib.loads(meta_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise PlanError(f"{meta_path}: viết sai cú pháp TOML ({exc}).") from None
    missing = [k for k in ("id", "document", "title", "phase", "total_villages") if k not in meta]
    if missing:
        raise PlanError(f"{meta_path}: thiếu mục {', '.join(missing)}.")

    groups = _load_groups(folder)
    units = _load_units(folder)
    indicators = _load_indicators(folder, tuple(groups))
    overrides = schedule.load_overrides(folder, {i.code for i in indicators})
    indicators = tuple(replace(i, milestones=overrides.get(i.code, i.milestones)) for i in indicators)
    ratios = _load_ratios(folder, tuple(groups))
    clash = {i.code for i in indicators} & {r.code for r in ratios}
    if clash:
        raise PlanError(f"ratios.csv: mã {', '.join(sorted(clash))} đã dùng trong indicators.csv.")
    activities = _load_activities(folder, tuple(groups))
    rounds = _with_questions(folder, _load_rounds(folder, tuple(i.code for i in indicators),
                                                  tuple(a.code for a in activities)))
    plan = Plan(
        id=meta["id"],
        document=meta["document"],
        title=meta["title"],
        short_title=meta.get("short_title", meta["title"]),
        phase=meta["phase"],
        province=meta.get("province", ""),
        reporting_body=meta.get("reporting_body", ""),
        groups=groups,
        units=units,
        indicators=indicators,
        ratios=ratios,
        rounds=tuple(r for r in rounds if r.regular),
        budget_sources=_load_budget_sources(folder),
        targets=_load_target_table(
            folder, "targets.csv", "unit", tuple(u.code for u in units), indicators,
            required=tuple(u.code for u in units if u.level in ALLOCATED_LEVELS),
        ),
        totals=_load_target_table(folder, "totals.csv", "row", ("total", "districts"), indicators),
        total_villages=int(meta["total_villages"]),
        budget_unit=meta.get("budget_unit", "triệu đồng"),
        activities=activities,
        adhoc_rounds=tuple(r for r in rounds if not r.regular),
        targeted=_target_rows(folder),
        formed_from=succession.load_formed_from(folder, units),
    )
    check_consistency(plan)
    return plan

"""Units that change: which former units a unit succeeds, how its figures count toward them
(units.csv columns `former` and `attribution`), and what it was formed from (formed_from.csv)."""

from __future__ import annotations

from pathlib import Path

from pipeline.core.errors import PlanError
from pipeline.plan.csv_rows import Row, read_csv
from pipeline.plan.model import FormerUnit, Unit

YES = ("yes", "có", "co", "x", "1", "true")
NO = ("no", "không", "khong", "0", "false")


def yes_no(row: Row, column: str) -> bool:
    """An optional yes/no column; empty means yes."""
    raw = (row.cells.get(column) or "").strip().casefold()
    if not raw or raw in YES:
        return True
    if raw in NO:
        return False
    raise PlanError(f"{row.where()}: cột «{column}» ghi «{raw}»; chỉ ghi «có» hoặc «không» (để trống: có).")


def attribution(row: Row, former: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
    """Column `attribution`: which former unit a successor's figures count toward. Empty with one former
    unit; with several, one of their codes (all of it) or shares in percent: «123:60; 128:40»."""
    raw = (row.cells.get("attribution") or "").strip()
    if not raw:
        if len(former) > 1:
            raise PlanError(f"{row.where()}: đơn vị kế tục {len(former)} đơn vị cũ ({', '.join(former)}); cột "
                            "«attribution» phải ghi số liệu của nó tính cho đơn vị cũ nào: một mã (tính hết cho "
                            f"đơn vị đó), hoặc tỷ lệ phần trăm, ví dụ «{former[0]}:60; {former[1]}:40».")
        return ()
    shares: list[tuple[str, int]] = []
    for part in (p.strip() for p in raw.split(";") if p.strip()):
        code, _, percent = part.partition(":")
        code = code.strip()
        if code not in former:
            raise PlanError(f"{row.where()}: cột «attribution» ghi «{code}», không phải đơn vị cũ nào ở cột "
                            f"«former» ({', '.join(former) or 'trống'}).")
        try:
            value = int(percent) if percent.strip() else 100
        except ValueError:
            raise PlanError(f"{row.where()}: cột «attribution»: tỷ lệ của {code} phải là số nguyên phần trăm, "
                            f"đang ghi «{percent.strip()}».") from None
        if not 0 < value <= 100 or code in dict(shares):
            raise PlanError(f"{row.where()}: cột «attribution»: mỗi đơn vị cũ ghi một lần, tỷ lệ từ 1 đến 100.")
        shares.append((code, value))
    if sum(v for _, v in shares) != 100:
        raise PlanError(f"{row.where()}: cột «attribution» ghi các tỷ lệ cộng lại được "
                        f"{sum(v for _, v in shares)}%, phải đúng 100% để không tính thiếu hay tính trùng số liệu.")
    return tuple(shares)


def check(units: list[Unit]) -> None:
    """A successor names known units and starts on the day they end (so following successors forward
    always moves forward in time: no line can loop)."""
    by_code = {u.code: u for u in units}
    for unit in units:
        for code in unit.former:
            former = by_code.get(code)
            if former is None:
                raise PlanError(f"units.csv: đơn vị {unit.code} ({unit.name}) kế tục đơn vị «{code}», nhưng "
                                "không có đơn vị mã đó.")
            if unit.valid_from is None or former.valid_to is None or unit.valid_from != former.valid_to:
                raise PlanError(f"units.csv: đơn vị {unit.code} ({unit.name}) kế tục {former.code} ({former.name}): "
                                f"valid_from của nó phải bằng valid_to của {former.code} (ngày thay đổi).")


FORMED_FROM_COLUMNS = ("code", "former_code", "former_name", "former_district_code", "former_district_name")


def load_formed_from(folder: Path, units: tuple[Unit, ...]) -> tuple[FormerUnit, ...]:
    """formed_from.csv (optional): one row per former commune, the unit it became part of and its former
    district. Each unit it lists must succeed exactly the former districts of the plan its communes
    belonged to (a district outside the plan, such as a city the appendix leaves out, adds none)."""
    if not (folder / "formed_from.csv").is_file():
        return ()
    rows = read_csv(folder, "formed_from.csv", FORMED_FROM_COLUMNS)
    by_code = {u.code: u for u in units}
    found = []
    for row in rows:
        code = row.text("code")
        if code not in by_code:
            raise PlanError(f"{row.where()}: không có đơn vị mã «{code}» trong units.csv.")
        found.append(FormerUnit(code, row.text("former_code"), row.text("former_name"),
                                row.text("former_district_code"), row.text("former_district_name"),
                                (row.cells.get("change") or "").strip()))
    districts: dict[str, set[str]] = {}
    for former in found:
        districts.setdefault(former.code, set()).add(former.former_district_code)
    for code, codes in districts.items():
        unit = by_code[code]
        expected = sorted(c for c in codes if c in by_code)
        if sorted(unit.former) != expected:
            raise PlanError(f"formed_from.csv: đơn vị {code} ({unit.name}) được hình thành từ các xã của "
                            f"{', '.join(sorted(codes))}, nên cột «former» của nó trong units.csv phải ghi "
                            f"«{'; '.join(expected)}», đang ghi «{'; '.join(unit.former)}».")
    return tuple(found)

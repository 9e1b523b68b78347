"""Ad-hoc and thematic rounds ("báo cáo chuyên đề, đột xuất"): a round the province defines as data
(rounds.csv, kind `adhoc`) with its own deadlines, a subset of the plan's indicators and activities,
and questions of its own (questions.csv). Its figures are a snapshot for its own report: they never
enter the cumulative figures of the annual and update rounds."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.errors import PlanError
from pipeline.plan.csv_rows import Row, ascii_code, read_csv

KIND = "adhoc"
# What a question can ask for: the input kind of its answer cell.
QUESTION_KINDS = ("count", "money", "text", "date", "yesno")
QUESTION_KIND_WORDS = {"count": "số", "money": "số tiền", "text": "nội dung", "date": "ngày", "yesno": "Có/Không"}
ANSWER_LENGTH = 1000
YES_WORDS, NO_WORDS = ("yes", "có", "co", "x", "1"), ("no", "không", "khong", "0")
ID_PATTERN = re.compile(r"^(\d{4})-[a-z0-9][a-z0-9-]*$")


@dataclass(frozen=True)
class Question:
    code: str
    no: int
    text: str  # the question, as the unit reads it
    kind: str  # one of QUESTION_KINDS
    unit: str = ""  # unit of measure for counts and money ("người", "triệu đồng")
    required: bool = True


def subject(code: str) -> str:
    """The subject of a question's input name (form.field_name)."""
    return f"q_{code}"


def codes(row: Row, column: str, known: tuple[str, ...], what: str) -> tuple[str, ...]:
    """A list of codes in one cell, separated by ';' (`*` or `all`: every known code), in plan order."""
    raw = (row.cells.get(column) or "").strip()
    if raw in ("*", "all"):
        return known
    listed = [c.strip() for c in raw.split(";") if c.strip()]
    unknown = [c for c in listed if c not in known]
    if unknown:
        raise PlanError(f"{row.where()}: cột «{column}» ghi {what} không có: {', '.join(unknown)}; "
                        f"các mã có: {', '.join(known) or 'không có'}.")
    return tuple(c for c in known if c in listed)


def check_id(row: Row, round_id: str, year: int) -> None:
    found = ID_PATTERN.match(round_id)
    if not found or int(found.group(1)) != year or round_id.endswith(("-annual", "-update")):
        raise PlanError(f"{row.where()}: id của kỳ adhoc bắt đầu bằng năm của kỳ và chỉ gồm a-z, 0-9 và «-», "
                        f"ví dụ «{year}-chuyen-de-1»; đang ghi «{round_id}».")


def load_questions(folder: Path, rounds: tuple[str, ...]) -> dict[str, tuple[Question, ...]]:
    """questions.csv (optional): round, code, question, kind, and optionally unit and required."""
    if not (folder / "questions.csv").is_file():
        return {}
    rows = read_csv(folder, "questions.csv", ("round", "code", "question", "kind"))
    found: dict[str, list[Question]] = {}
    for row in rows:
        round_id = row.text("round")
        if round_id not in rounds:
            raise PlanError(f"{row.where()}: «{round_id}» không phải là kỳ adhoc nào trong rounds.csv; "
                            f"các kỳ adhoc: {', '.join(rounds) or 'không có'}.")
        code = ascii_code(row)
        asked = found.setdefault(round_id, [])
        if any(q.code == code for q in asked):
            raise PlanError(f"{row.where()}: câu hỏi «{code}» bị lặp trong kỳ {round_id}.")
        asked.append(Question(code, len(asked) + 1, row.text("question"), row.choice("kind", QUESTION_KINDS),
                              (row.cells.get("unit") or "").strip(), _required(row)))
    return {key: tuple(value) for key, value in found.items()}


def _required(row: Row) -> bool:
    raw = (row.cells.get("required") or "").strip().lower()
    if not raw or raw in YES_WORDS:
        return True
    if raw in NO_WORDS:
        return False
    raise PlanError(f"{row.where()}: cột «required» đang ghi «{raw}»; ghi có hoặc không (yes/no), hoặc để trống.")

"""Approve the current templates as the golden copies: python -m tests.support.update_golden"""

from pipeline.plan.loader import load_plan
from tests.test_templates import GOLDEN, GOLDEN_CASES, write_golden_case


def main() -> None:
    plan = load_plan()
    for name in sorted(GOLDEN_CASES):
        path = write_golden_case(plan, name, GOLDEN / ".work")
        path.replace(GOLDEN / name)
        print(f"approved {GOLDEN / name}")
    for leftover in sorted((GOLDEN / ".work").rglob("*"), reverse=True):
        leftover.rmdir() if leftover.is_dir() else leftover.unlink()
    (GOLDEN / ".work").rmdir()


if __name__ == "__main__":
    main()

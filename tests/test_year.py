"""A year of the officer's work, step by step, as the command line does it: after each step the
summary, the status page (as headless Chromium shows it) and the outputs must say the right thing."""

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest
from docx import Document

from pipeline.app.samples import fill_template, sample_values
from tests.support.helpers import run_cli

pytestmark = pytest.mark.slow


class _Rows(HTMLParser):
    """Rows of the status page's tables as Chromium rendered them: {table key: [[cell text, …], …]}."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.key = None
        self.row: list[str] | None = None
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self.key = attrs.get("id") or attrs.get("data-round")
            self.tables[self.key] = []
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.row is not None and self.cell is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.tables[self.key].append(self.row)
            self.row = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def _page(chromium, root: Path) -> dict:
    parser = _Rows()
    parser.feed(chromium(root / "outbox" / "index.html", root / "chromium-profile"))
    return parser.tables


class Officer:
    """Runs the command line on one installation (a config.toml pointing at the test's folders)."""

    def __init__(self, root: Path, plan):
        self.root, self.plan = root, plan
        self.config = root / "config.toml"
        settings = [f'plan = "{Path(plan_dir()).as_posix()}"', 'inbox = "inbox"', 'outbox = "outbox"',
                    'templates = "templates"']
        self.config.write_text("\n".join(settings) + "\n", encoding="utf-8")
        for folder in ("inbox", "outbox"):  # as the repository ships them
            (root / folder).mkdir(exist_ok=True)

    def cli(self, *args: str):
        return run_cli("--config", str(self.config), *args)

    def send(self, round_id: str, code: str, name: str | None = None, **changes):
        """A district fills the template the officer sent it and mails it back."""
        unit = self.plan.unit(code)
        template = self.root / "templates" / round_id / f"{round_id}_{code}_{unit.slug}.xlsx"
        book = openpyxl.load_workbook(template)
        asks_previous = any(n.endswith("_previous") for n in book.defined_names)
        values = sample_values(self.plan, self.plan.round("2024-annual"), unit, with_previous=asks_previous)
        if round_id.endswith("update"):
            values = {k.replace("_estimate", "_actual"): v for k, v in values.items() if not k.endswith("_ytd")}
        values |= changes
        fill_template(template, self.root / "inbox" / (name or template.name), values)
        return values


def plan_dir():
    from pipeline.plan.loader import DEFAULT_PLAN_DIR

    return DEFAULT_PLAN_DIR


def _summary(stdout: str) -> list[str]:
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if ") – hạn huyện gửi" in line or line.startswith("Hiện không"))
    return lines[start:]


def _summary_block(stdout: str, round_id: str) -> list[str]:
    lines = _summary(stdout)
    start = next(i for i, line in enumerate(lines) if f"(kỳ {round_id}) – hạn" in line)
    end = next((i for i in range(start + 1, len(lines)) if "(kỳ " in lines[i] and ") – hạn" in lines[i]), len(lines))
    return lines[start:end]


def _summary_row(sheet_path: Path, unit_name: str, indicator_index: int) -> int:
    sheet = openpyxl.load_workbook(sheet_path, data_only=True)["Tổng hợp"]
    row = next(r for r in range(6, 20) if sheet.cell(r, 2).value == unit_name)
    return sheet.cell(row, 7 + 4 * indicator_index).value


def test_a_year_of_reporting(tmp_path, plan, chromium):
    officer = Officer(tmp_path, plan)
    outbox = tmp_path / "outbox"

    # September: templates out; four units answer on time.
    assert officer.cli("templates", "--round", "2024-annual").returncode == 0
    assert len(list((tmp_path / "templates" / "2024-annual").glob("*.xlsx"))) == 12
    for code in ("14", "121", "122", "123"):
        officer.send("2024-annual", code)
    result = officer.cli("run", "--today", "2024-09-06")
    assert result.returncode == 0, result.stderr
    assert _summary_block(result.stdout, "2024-annual") == [
        "Báo cáo kết quả năm 2024 (kỳ 2024-annual) – hạn huyện gửi 10/09/2024 (còn 4 ngày); "
        "hạn tỉnh báo cáo 20/09/2024.",
        "  Đã báo cáo: 4/12 đơn vị.",
        "  Chưa gửi: Mai Sơn, Mường La, Quỳnh Nhai, Sông Mã, Sốp Cộp, Thuận Châu, Vân Hồ, Yên Châu.",
    ]
    page = _page(chromium, tmp_path)
    assert page["rounds"][1][:8] == ["Báo cáo kết quả năm 2024 (2024-annual)", "10/09/2024", "20/09/2024",
                                     "Đang mở (còn 4 ngày)", "4/12", "0", "0", "8"]
    docx = outbox / "2024-annual" / "bao-cao_2024-annual.docx"
    assert "DỰ THẢO" in [p.text for p in Document(docx).paragraphs]

    # After the deadline: one late, one rejected.
    officer.send("2024-annual", "124")
    officer.send("2024-annual", "125", in_comm_groups_estimate=-4)
    result = officer.cli("run", "--today", "2024-09-12")
    assert result.returncode == 1  # a file was rejected
    block = _summary_block(result.stdout, "2024-annual")
    assert block[1:4] == ["  Đã báo cáo: 5/12 đơn vị.", "  Gửi trễ: Yên Châu (2 ngày).",
                          "  Bị trả lại, chờ gửi lại: Mai Sơn."]
    units = {row[1]: row for row in _page(chromium, tmp_path)["2024-annual"][1:]}
    assert units["Yên Châu"][2] == "Đã báo cáo, trễ 2 ngày"
    assert units["Mai Sơn"][2] == "Bị trả lại – chờ gửi lại"
    feedback = units["Mai Sơn"][5]
    assert feedback == "thư trả lời · bản đánh dấu"  # the letter and the marked copy, both linked
    page_html = (outbox / "index.html").read_text(encoding="utf-8")
    assert all(f'href="2024-annual/feedback/{p.name}"' in page_html
               for p in (outbox / "2024-annual" / "feedback").glob("*_125_*_phan-hoi.*"))
    note = next((outbox / "2024-annual" / "feedback").glob("*_125_*_phan-hoi.txt"))
    assert "số âm (-4)" in note.read_text(encoding="utf-8")

    # Mai Sơn corrects its file.
    officer.send("2024-annual", "125", name="mai-son-da-sua.xlsx")
    result = officer.cli("run", "--today", "2024-09-15")
    assert result.returncode == 0
    block = _summary_block(result.stdout, "2024-annual")
    # late by its first file, of 12/09 (issue 31: timeliness is judged by the first file a unit sent)
    assert block[1:3] == ["  Đã báo cáo: 6/12 đơn vị.", "  Gửi trễ: Mai Sơn (2 ngày), Yên Châu (2 ngày)."]
    assert not any("Bị trả lại" in line for line in block)
    status = openpyxl.load_workbook(outbox / "2024-annual" / "tong-hop_2024-annual.xlsx",
                                    data_only=True)["Tình hình nộp báo cáo"]
    rows = {status.cell(r, 2).value: [c.value for c in status[r]] for r in range(5, 17)}
    assert rows["Mai Sơn"][2:9] == ["Đã báo cáo, trễ 2 ngày", "mai-son-da-sua.xlsx", "15/09/2024", "10/09/2024",
                                    "Trễ", 2, "Tiếp nhận, có lưu ý"]

    # The report is sent: the round is approved; a late file is answered but changes nothing.
    before = _summary_row(outbox / "2024-annual" / "tong-hop_2024-annual.xlsx", "Sông Mã", 0)
    result = officer.cli("approve", "--round", "2024-annual", "--today", "2024-09-20")
    assert result.returncode == 0 and "Đã chốt số liệu «Báo cáo kết quả năm 2024» (kỳ 2024-annual)" in result.stdout
    warning = next(line for line in result.stdout.splitlines() if line.startswith("CHÚ Ý: chốt số liệu khi còn"))
    assert "Sông Mã" in warning and "/12 đơn vị chưa có báo cáo được tiếp nhận" in warning
    assert "DỰ THẢO" not in [p.text for p in Document(docx).paragraphs]
    officer.send("2024-annual", "126")
    result = officer.cli("run", "--today", "2024-10-01")
    assert "Tiếp nhận, có lưu ý" in result.stdout
    note = next((outbox / "2024-annual" / "feedback").glob("*_126_*_phan-hoi.txt"))
    assert "Tỉnh đã chốt số liệu kỳ «Báo cáo kết quả năm 2024» ngày 20/09/2024" in note.read_text(encoding="utf-8")
    assert _summary_row(outbox / "2024-annual" / "tong-hop_2024-annual.xlsx", "Sông Mã", 0) == before is None
    assert _page(chromium, tmp_path)["rounds"][1][3] == "Đã chốt ngày 20/09/2024"

    # January: the update round, with changed figures from Bắc Yên.
    assert officer.cli("templates", "--round", "2024-update").returncode == 0
    september = sample_values(plan, plan.round("2024-annual"), plan.unit("121"))
    officer.send("2024-update", "121", in_policy_dialogues_actual=september["in_policy_dialogues_estimate"] + 3)
    officer.send("2024-update", "122")
    result = officer.cli("run", "--today", "2025-01-20")
    assert result.returncode == 0, result.stdout
    assert _summary_block(result.stdout, "2024-update")[:2] == [
        "Cập nhật số liệu cả năm 2024 (kỳ 2024-update) – hạn huyện gửi 25/01/2025 (còn 5 ngày); "
        "hạn tỉnh báo cáo 05/02/2025.",
        "  Đã báo cáo: 2/12 đơn vị.",
    ]
    update = Document(outbox / "2024-update" / "bao-cao_2024-update.docx")
    changes = next(t for t in update.tables if t.rows[0].cells[0].text == "Đơn vị" and len(t.columns) == 5)
    assert [[c.text for c in r.cells] for r in changes.rows[1:]] == [
        ["Bắc Yên", "Đối thoại chính sách", str(september["in_policy_dialogues_estimate"]),
         str(september["in_policy_dialogues_estimate"] + 3), "+3"]]
    page = _page(chromium, tmp_path)
    assert [row[0] for row in page["rounds"][1:]] == ["Báo cáo kết quả năm 2024 (2024-annual)",
                                                      "Cập nhật số liệu cả năm 2024 (2024-update)",
                                                      "Báo cáo kết quả năm 2025 (2025-annual)"]
    for href in re.findall(r'href="([^"#]+)"', (outbox / "index.html").read_text(encoding="utf-8")):
        assert (outbox / href).is_file(), href

    # Reopened, the late file counts.
    assert officer.cli("reopen", "--round", "2024-annual", "--today", "2025-01-21").returncode == 0
    assert _summary_row(outbox / "2024-annual" / "tong-hop_2024-annual.xlsx", "Sông Mã", 0) is not None
    shutil.rmtree(tmp_path / "chromium-profile", ignore_errors=True)

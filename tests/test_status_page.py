"""The status page as the officer opens it, in headless Chromium: every file received, whatever its
verdict, links its letter, its marked copy when a cell is at fault, and its reply draft when it came
by e-mail; every link opens a file that exists."""

import re
from datetime import date
from email.message import EmailMessage
from html.parser import HTMLParser

import pytest

from pipeline.app.rebuild import rebuild_phase
from pipeline.app.runner import run
from pipeline.app.samples import fill_template, sample_values
from pipeline.core.locations import Paths
from pipeline.templates.writer import write_templates

pytestmark = pytest.mark.slow


class _Files(HTMLParser):
    """Rows of the tables of every file received: (cells, {link label: href})."""

    def __init__(self):
        super().__init__()
        self.rows: list[tuple[list[str], dict[str, str]]] = []
        self.inside = False
        self.cells: list[str] | None = None
        self.links: dict[str, str] = {}
        self.href: str | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self.inside = "files" in (attrs.get("class") or "")
        elif self.inside and tag == "tr":
            self.cells, self.links = [], {}
        elif self.inside and tag == "td":
            self.text = []
        elif self.inside and tag == "a":
            self.href, self.text = attrs.get("href"), []

    def handle_endtag(self, tag):
        if not self.inside or self.cells is None:
            return
        if tag == "a" and self.href:
            self.links["".join(self.text).strip()] = self.href
            self.href = None
        elif tag == "td":
            self.cells.append(" ".join("".join(self.text).split()))
        elif tag == "tr" and self.cells:
            self.rows.append((self.cells, self.links))
            self.cells = None

    def handle_data(self, data):
        self.text.append(data)


def _mail(path, attachment: bytes, name: str) -> None:
    message = EmailMessage()
    message["From"] = "Hội LHPN huyện Vân Hồ <hoiphunu.vanho@example.vn>"
    message["Subject"] = "Báo cáo Dự án 8"
    message["Date"] = "Mon, 02 Sep 2024 08:15:00 +0700"
    message["Message-ID"] = "<van-ho-1@example.vn>"
    message.set_content("Gửi báo cáo.")
    message.add_attachment(attachment, maintype="application",
                           subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename=name)
    path.write_bytes(bytes(message))


def test_every_verdict_links_its_letter_marked_copy_and_draft(tmp_path, plan, chromium):
    rnd = plan.round("2024-annual")
    inbox, outbox = tmp_path / "inbox", tmp_path / "outbox"
    filled = {}
    for code, changes in (("121", {}), ("126", {"in_comm_groups_estimate": -1}), ("128", {"in_comm_groups_ytd": -2})):
        unit = plan.unit(code)
        template = write_templates(plan, rnd, tmp_path / "mau", [unit])[0]
        filled[code] = tmp_path / "filled" / template.name
        fill_template(template, filled[code], sample_values(plan, rnd, unit, with_previous=True) | changes)
    inbox.mkdir()
    for code in ("121", "126"):
        (inbox / filled[code].name).write_bytes(filled[code].read_bytes())
    _mail(inbox / "thu-van-ho.eml", filled["128"].read_bytes(), filled["128"].name)
    run(Paths.beside_outbox(inbox, outbox), today=date(2024, 9, 5))
    rebuild_phase(Paths.beside_outbox(inbox, outbox), today=date(2024, 9, 5))

    html = chromium(outbox / "index.html", tmp_path / "chromium-profile")
    parser = _Files()
    parser.feed(html)
    rows = {cells[0]: (cells[3], set(links)) for cells, links in parser.rows}
    assert rows == {
        "2024-annual_121_bac-yen.xlsx": ("Tiếp nhận", {"thư trả lời"}),
        "2024-annual_126_song-ma.xlsx": ("Trả lại", {"thư trả lời", "bản đánh dấu"}),
        "2024-annual_128_van-ho.xlsx": ("Trả lại", {"thư trả lời", "bản đánh dấu", "thư nháp"}),
        # issue 31, finding 12: the e-mail's own receipt goes with its file's answers, not to unidentified/
        "thu-van-ho.eml": ("Thư (đã tách tệp)", {"thư trả lời", "thư nháp"}),
    }
    assert not (outbox / "unidentified").exists()
    hrefs = re.findall(r'href="([^"#]+)"', html)
    assert "giai-doan_2021-2025/bao-cao-giai-doan_2021-2025.docx" in hrefs
    for href in hrefs:
        assert (outbox / href).is_file(), href
    draft = next(links["thư nháp"] for _, links in parser.rows if "thư nháp" in links)
    assert (outbox / draft).read_bytes().startswith(b"To: hoiphunu.vanho@example.vn")

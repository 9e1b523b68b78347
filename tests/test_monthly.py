"""The monthly run: the officer's summary, drafts until the deadline nears, one run at a time."""

from datetime import date

import pytest
from docx import Document

from pipeline.app.rebuild import rebuild_round
from pipeline.app.runner import run
from pipeline.app.samples import fill_template, sample_values
from pipeline.core.errors import BusyError
from pipeline.core.locations import Paths
from pipeline.ledger.lock import exclusive
from pipeline.templates.writer import write_templates
from tests.support.helpers import run_cli

pytestmark = pytest.mark.slow


def _send(plan, root, code, **changes):
    rnd, unit = plan.round("2024-annual"), plan.unit(code)
    template = write_templates(plan, rnd, root / "t", [unit])[0]
    values = sample_values(plan, rnd, unit, with_previous=True) | changes
    fill_template(template, root / "inbox" / template.name, values)


@pytest.fixture
def month(tmp_path, plan):
    paths = Paths.beside_outbox(tmp_path / "inbox", tmp_path / "outbox")
    _send(plan, tmp_path, "121")
    run(paths, today=date(2024, 9, 6))
    _send(plan, tmp_path, "125")
    _send(plan, tmp_path, "126", in_comm_groups_estimate=-1)
    report = run(paths, today=date(2024, 9, 13))
    return paths, report


def test_summary_names_who_is_missing_late_or_rejected(month, plan):
    from pipeline.outputs.round_status import summary_lines

    _, report = month
    assert summary_lines(plan, report.status) == [
        "Báo cáo kết quả năm 2024 (kỳ 2024-annual) – hạn huyện gửi 10/09/2024 (đã quá hạn 3 ngày); "
        "hạn tỉnh báo cáo 20/09/2024.",
        "  Đã báo cáo: 2/12 đơn vị.",
        "  Gửi trễ: Mai Sơn (3 ngày).",
        "  Bị trả lại, chờ gửi lại: Sông Mã.",
        "  Chưa gửi: Cấp tỉnh, Mộc Châu, Mường La, Phù Yên, Quỳnh Nhai, Sốp Cộp, Thuận Châu, Vân Hồ, Yên Châu.",
    ]


def test_status_command_prints_the_same_summary(month):
    paths, _ = month
    result = run_cli("status", "--outbox", str(paths.outbox), "--today", "2024-09-08")
    assert result.returncode == 0
    assert result.stdout.splitlines()[0] == (
        "Báo cáo kết quả năm 2024 (kỳ 2024-annual) – hạn huyện gửi 10/09/2024 (còn 2 ngày); "
        "hạn tỉnh báo cáo 20/09/2024.")
    assert "Bị trả lại, chờ gửi lại: Sông Mã." in result.stdout


def test_run_exit_code_says_some_files_were_rejected(tmp_path, plan):
    _send(plan, tmp_path, "126", in_comm_groups_estimate=-1)
    (tmp_path / "outbox").mkdir()
    result = run_cli("run", "--inbox", str(tmp_path / "inbox"), "--outbox", str(tmp_path / "outbox"),
                     "--today", "2024-09-05")
    assert result.returncode == 1
    assert "Trả lại" in result.stdout and "Bị trả lại, chờ gửi lại: Sông Mã." in result.stdout


def test_reports_are_drafts_until_the_province_deadline_nears(month, plan):
    paths, _ = month
    docx = paths.outbox / "2024-annual" / "bao-cao_2024-annual.docx"
    assert "DỰ THẢO" in [p.text for p in Document(docx).paragraphs]
    rebuild_round(paths, "2024-annual", today=date(2024, 9, 16))
    assert "DỰ THẢO" not in [p.text for p in Document(docx).paragraphs]


def test_a_second_run_waits_then_stops_with_a_clear_message(month):
    paths, _ = month
    with exclusive(paths), pytest.raises(BusyError, match=r"một lần chạy khác đang dùng sổ ghi .*ledger\.sqlite"):
        run(paths, today=date(2024, 9, 14), wait=0.2)


@pytest.mark.parametrize("command", ["plan", "templates", "run", "status", "report", "approve", "reopen", "demo"])
def test_every_command_has_help_with_an_example(command):
    result = run_cli(command, "--help")
    assert result.returncode == 0
    assert "ví dụ: python run_pipeline.py " + command in result.stdout


def test_an_unknown_round_is_a_usage_error(tmp_path):
    result = run_cli("report", "--round", "2030-annual", "--outbox", str(tmp_path / "outbox"))
    assert result.returncode == 2
    assert result.stderr.startswith("Lỗi: không có kỳ báo cáo «2030-annual»; các kỳ của kế hoạch: 2022-update,")


def test_a_listing_cut_short_by_its_reader_stops_without_a_traceback(tmp_path):
    """`templates … | head`: the reader is gone before the paths are printed (closed at once here, while
    the templates are still being written, so that printing always meets a closed pipe)."""
    import subprocess
    import sys

    from tests.support.helpers import ROOT

    command = [sys.executable, str(ROOT / "run_pipeline.py"), "templates", "--round", "2025-annual", "--out",
               str(tmp_path / "t"), "--ledger", str(tmp_path / "l.sqlite")]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        errors = process.stderr.read()
        code = process.wait(timeout=120)
    assert len(list((tmp_path / "t" / "2025-annual").glob("*.xlsx"))) == 76  # the work itself was done
    assert "Traceback" not in errors and code == 1


def test_when_no_round_is_open_run_and_status_say_which_and_what_next(tmp_path):
    """Today (December 2026) every round of the 2021–2025 plan is over: one line says which was last,
    when it closed, what becomes of a file that still arrives, and how to go on; an empty inbox is no
    error. Before a round opens, the line names it and its dates instead."""
    (tmp_path / "inbox").mkdir()
    (tmp_path / "outbox").mkdir()
    folders = ["--inbox", str(tmp_path / "inbox"), "--outbox", str(tmp_path / "outbox")]
    over = ("Hiện không có kỳ báo cáo nào đang mở: kỳ cuối của kế hoạch, Cập nhật số liệu cả năm 2025 (kỳ "
            "2025-update), đã kết thúc ngày 05/02/2026 (hạn tỉnh báo cáo); tệp nhận từ nay vẫn được trả lời và "
            "được ghi nhận là gửi trễ cho kỳ của mẫu đã dùng. Giai đoạn 2021-2025 đã hết: lập kế hoạch giai đoạn mới "
            "bằng lệnh «plan --new-phase 2026-2030 --workbook TỆP.xlsx», nạp lại bằng «plan --from-workbook "
            "TỆP.xlsx --out THƯ_MỤC», rồi dùng thư mục đó (tùy chọn --plan-dir, hoặc dòng «plan = …» trong "
            "config.toml).")
    done = run_cli("run", *folders, "--today", "2026-12-06")
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith("\n" + over)
    status = run_cli("status", "--outbox", str(tmp_path / "outbox"), "--today", "2026-12-06")
    assert status.returncode == 0 and status.stdout.strip() == over
    before = run_cli("status", "--outbox", str(tmp_path / "outbox"), "--today", "2022-10-15")
    assert before.stdout.strip() == ("Hiện không có kỳ báo cáo nào đang mở; kỳ tiếp theo, Cập nhật số liệu cả năm "
                                     "2022 (kỳ 2022-update), mở ngày 01/11/2022, hạn huyện gửi 25/01/2023.")


def test_a_file_for_a_round_long_closed_is_answered_and_told_so(tmp_path, plan):
    """A district's 2024 report arriving in December 2026: accepted, flagged late, and the letter says
    the round ended on 20/09/2024 and its report went out without these figures."""
    _send(plan, tmp_path, "121")
    (tmp_path / "outbox").mkdir()
    done = run_cli("run", "--inbox", str(tmp_path / "inbox"), "--outbox", str(tmp_path / "outbox"),
                   "--today", "2026-12-06")
    assert done.returncode == 0, done.stderr
    letter = next((tmp_path / "outbox" / "2024-annual" / "feedback").glob("*_phan-hoi.txt")).read_text("utf-8")
    assert "1. [Lưu ý] Báo cáo nhận ngày 06/12/2026, sau hạn nộp 10/09/2024 (817 ngày)." in letter
    assert ("2. [Lưu ý] Kỳ «Báo cáo kết quả năm 2024» đã kết thúc ngày 20/09/2024: tỉnh đã báo cáo kỳ này. Số liệu "
            "của tệp được ghi nhận, nhưng không có trong báo cáo đã gửi của kỳ đó.") in letter

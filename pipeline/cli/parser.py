"""The command line's arguments, in Vietnamese: the subcommands, their options and examples."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from pipeline.cli import words
from pipeline.core.config import DEFAULT_CONFIG


def _iso_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"«{text}» không phải là ngày dạng NNNN-TT-NN (ví dụ 2024-09-12)") from None


ROUND_HELP = "mã kỳ báo cáo, ví dụ 2024-annual (danh sách kỳ: lệnh plan)"


def build_parser() -> argparse.ArgumentParser:
    words.install()
    parser = argparse.ArgumentParser(
        prog="run_pipeline.py",
        description="Dự án 8 – chương trình tổng hợp báo cáo: tạo mẫu báo cáo, tiếp nhận và kiểm tra tệp, tổng "
        "hợp, lập báo cáo. Thư mục và người liên hệ lấy từ config.toml; tùy chọn trên dòng lệnh được ưu tiên.",
        epilog="Mã thoát: 0 – mọi việc ổn; 1 – đã chạy xong nhưng có tệp bị trả lại hoặc chưa xử lý được, hoặc một "
        "đơn vị của kỳ đang mở mới chỉ có tệp bị trả lại; 2 – lỗi cách dùng hoặc cấu hình (kể cả: một lần chạy "
        "khác đang dùng sổ ghi, sổ ghi bị hỏng, không ghi được vào thư mục).",
    )
    parser.add_argument("--config", type=Path, metavar="TỆP", default=DEFAULT_CONFIG,
                        help="tệp cấu hình của máy này (mặc định %(default)s)")
    parser.add_argument("--plan-dir", type=Path, metavar="THƯ_MỤC", default=None,
                        help="thư mục kế hoạch (mặc định: theo config.toml, là kế hoạch Sơn La kèm theo)")
    parser.add_argument("-v", "--verbose", action="store_true", help="ghi nhật ký từng tệp được xử lý")
    commands = parser.add_subparsers(dest="command", required=True, metavar="LỆNH", title="các lệnh")

    def command(name: str, text: str, example: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=text, description=text, epilog=f"ví dụ: {example}")

    def locations(sub: argparse.ArgumentParser, *, inbox: bool = False) -> None:
        if inbox:
            sub.add_argument("--inbox", type=Path, metavar="THƯ_MỤC", default=None,
                             help="thư mục hộp thư đến (mặc định: config.toml)")
        sub.add_argument("--outbox", type=Path, metavar="THƯ_MỤC", default=None,
                         help="thư mục kết quả (mặc định: config.toml)")
        sub.add_argument("--ledger", type=Path, metavar="TỆP", default=None,
                         help="sổ ghi (mặc định: config.toml, nếu không có thì ledger.sqlite cạnh thư mục kết quả)")

    def day(sub: argparse.ArgumentParser, text: str) -> None:
        sub.add_argument("--today", type=_iso_day, metavar="NGÀY", default=None,
                         help=f"{text} (NNNN-TT-NN; mặc định: hôm nay)")

    show = command("plan", "in kế hoạch (đơn vị, chỉ tiêu, chỉ tiêu giai đoạn, kỳ báo cáo)",
                   "python run_pipeline.py plan --new-phase 2026-2030 --workbook ke-hoach-2026-2030.xlsx")
    show.add_argument("--json", action="store_true", help="in một đối tượng JSON thay cho bảng")
    book = show.add_mutually_exclusive_group()
    book.add_argument("--workbook", type=Path, metavar="TỆP.xlsx", default=None,
                      help="ghi kế hoạch thành bảng tính để sửa trong Excel (cùng --new-phase: kế hoạch giai đoạn mới)")
    book.add_argument("--from-workbook", type=Path, metavar="TỆP.xlsx", default=None,
                      help="kiểm tra bảng tính kế hoạch; không có lỗi thì ghi thư mục kế hoạch vào --out")
    show.add_argument("--out", type=Path, metavar="THƯ_MỤC", default=None,
                      help="thư mục kế hoạch mới (với --from-workbook); phải chưa có hoặc trống")
    show.add_argument("--new-phase", metavar="NĂM-NĂM", default=None,
                      help="với --workbook: bắt đầu giai đoạn mới từ kế hoạch hiện tại, ví dụ 2026-2030")

    templates = command("templates", "tạo mẫu báo cáo của một kỳ, mỗi đơn vị một tệp",
                        "python run_pipeline.py templates --round 2024-annual --unit 121")
    templates.add_argument("--round", required=True, dest="round_id", metavar="MÃ_KỲ", help=ROUND_HELP)
    templates.add_argument("--unit", action="append", default=[], metavar="MÃ_ĐƠN_VỊ",
                           help="mã đơn vị (dùng nhiều lần được); mặc định: mọi đơn vị của kỳ")
    templates.add_argument("--out", type=Path, metavar="THƯ_MỤC", default=None,
                           help="thư mục ghi mẫu (mặc định: config.toml)")
    templates.add_argument("--ledger", type=Path, metavar="TỆP", default=None,
                           help="sổ ghi để điền sẵn số lũy kế đã tiếp nhận (mặc định: config.toml)")

    run = command("run", "đọc và kiểm tra mọi tệp mới trong hộp thư đến, rồi làm mới các bảng tổng hợp và báo cáo",
                  "python run_pipeline.py run --today 2024-09-12")
    locations(run, inbox=True)
    day(run, "ngày nhận tệp, dùng để tính hạn nộp")
    run.add_argument("--open", action="store_true",
                     help="mở trang tình hình báo cáo (index.html) trong trình duyệt sau khi chạy xong")
    run.add_argument("--wait", type=float, metavar="GIÂY", default=60.0,
                     help="số giây chờ khi một lần chạy khác đang dùng sổ ghi (mặc định 60)")

    status = command("status", "in tình hình từng kỳ đang mở: đơn vị đã báo cáo, chưa báo cáo, trễ hạn, bị trả lại",
                     "python run_pipeline.py status --today 2024-09-12")
    locations(status)
    day(status, "ngày dùng để tính số ngày còn lại")

    def round_command(name: str, text: str, day_text: str) -> None:
        sub = command(name, text, f"python run_pipeline.py {name} --round 2024-annual")
        sub.add_argument("--round", required=True, dest="round_id", metavar="MÃ_KỲ", help=ROUND_HELP)
        locations(sub)
        day(sub, day_text)

    report = command("report", "lập lại bảng tổng hợp và báo cáo của một kỳ (hoặc của cả giai đoạn) từ sổ ghi",
                     "python run_pipeline.py report --round 2024-annual  |  report --phase")
    which = report.add_mutually_exclusive_group(required=True)
    which.add_argument("--round", dest="round_id", metavar="MÃ_KỲ", help=ROUND_HELP)
    which.add_argument("--phase", action="store_true",
                       help="báo cáo tổng kết giai đoạn: từng năm, tổng giai đoạn so với chỉ tiêu")
    locations(report)
    day(report, "ngày dùng để quyết định bản dự thảo hay bản chính thức")
    round_command("approve", "chốt số liệu của một kỳ sau khi tỉnh đã gửi báo cáo", "ngày chốt")
    round_command("reopen", "mở lại kỳ đã chốt: tệp nhận sau lại được tính",
                  "ngày dùng để quyết định bản dự thảo hay bản chính thức")

    confirm = command("confirm", "xác nhận một tệp đang chờ xác nhận (được tính vào số liệu), hoặc không nhận tệp đó "
                      "(--reject); danh sách tệp chờ: run_pipeline.py status",
                      "python run_pipeline.py confirm --record 57")
    confirm.add_argument("--record", required=True, type=int, metavar="SỐ",
                         help="số bản ghi của tệp (run_pipeline.py status in ra)")
    confirm.add_argument("--reject", action="store_true", help="không nhận tệp: ghi là trả lại, không tính")
    locations(confirm)
    day(confirm, "ngày dùng để quyết định bản dự thảo hay bản chính thức")

    remind = command("remind", "viết thư nhắc hạn (nháp) tới mọi đơn vị chưa gửi báo cáo của kỳ sắp đến hạn hoặc đã "
                     "quá hạn; gửi bằng lệnh send", "python run_pipeline.py remind --days 3")
    remind.add_argument("--days", type=int, metavar="NGÀY", default=3,
                        help="nhắc các kỳ có hạn đơn vị gửi trong số ngày này (mặc định 3), kể cả kỳ đã quá hạn")
    locations(remind)
    day(remind, "ngày dùng để tính số ngày còn lại")

    fetch = command("fetch", "tải thư mới có bảng tính đính kèm từ hộp thư ([mail] trong config.toml) vào hộp thư "
                    "đến; không xóa hay thay đổi gì trên máy chủ", "python run_pipeline.py fetch")
    locations(fetch, inbox=True)
    send = command("send", "gửi các thư trả lời nháp chưa gửi, sau khi hỏi lại ([mail] send_replies = true)",
                   "python run_pipeline.py send")
    locations(send)
    send.add_argument("--yes", action="store_true", help="gửi không hỏi lại")
    send.add_argument("--unverified", action="store_true",
                      help="gửi cả thư trả lời tới địa chỉ chưa xác minh (người gửi khác địa chỉ đã đăng ký)")
    for sub in (fetch, send):
        sub.add_argument("--wait", type=float, metavar="GIÂY", default=60.0,
                         help="số giây chờ khi một lần chạy khác đang dùng sổ ghi (mặc định 60)")

    export = command("export", "xuất mọi số liệu đã tiếp nhận thành một bảng (CSV, .xlsx và datapackage.json)",
                     "python run_pipeline.py export --out xuat-so-lieu")
    locations(export)
    export.add_argument("--out", type=Path, metavar="THƯ_MỤC", default=None,
                        help="thư mục ghi (mặc định: xuat-so-lieu trong thư mục kết quả)")
    roll = command("rollup", "tổng hợp toàn quốc từ các gói số liệu đã xuất của nhiều tỉnh",
                   "python run_pipeline.py rollup son-la/datapackage.json dien-bien/ --out toan-quoc")
    roll.add_argument("packages", nargs="+", type=Path, metavar="GÓI",
                      help="tệp datapackage.json, hoặc thư mục chứa tệp đó, của từng tỉnh")
    roll.add_argument("--out", type=Path, metavar="THƯ_MỤC", required=True, help="thư mục ghi kết quả tổng hợp")

    accept = command("accept-ledger", "nhận sổ ghi đã cố ý khôi phục từ bản sao lưu cũ làm điểm bắt đầu mới (sổ phải "
                     "còn nguyên vẹn); in những gì sổ không còn giữ", "python run_pipeline.py accept-ledger")
    locations(accept)
    demo = command("demo", "chạy thử mọi bước với số liệu mẫu trong một thư mục làm việc",
                   "python run_pipeline.py demo --workdir /tmp/d")
    demo.add_argument("--workdir", type=Path, metavar="THƯ_MỤC", default=None,
                      help="thư mục làm việc (mặc định: một thư mục tạm mới)")
    return parser



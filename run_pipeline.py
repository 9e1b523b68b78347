#!/usr/bin/env python3
"""Command line of the Project 8 reporting pipeline. Run with --help, or a subcommand with --help.

Exit codes: 0 all good; 1 the run finished but some files were rejected; 2 usage or configuration
error.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import webbrowser
from datetime import date
from pathlib import Path

from pipeline.cli import mail, words
from pipeline.core.config import Config, load_config
from pipeline.core.errors import PipelineError, UsageError
from pipeline.core.locations import STATUS_PAGE
from pipeline.core.sender_text import printable
from pipeline.core.vietnamese import STATUS_WORDS, round_title
from pipeline.outputs.round_status import summary_lines
from pipeline.plan.as_json import plan_as_dict
from pipeline.plan.loader import load_plan
from pipeline.plan.model import Plan

ROOT = Path(__file__).resolve().parent
EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2
# Findings the officer must see on the screen too, not only in the sender's answer.
OFFICER_CODES = {"sender-unknown", "sender-changed", "template-locked-altered", "template-fingerprint-mismatch"}


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
    parser.add_argument("--config", type=Path, metavar="TỆP", default=ROOT / "config.toml",
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
                   "python run_pipeline.py plan --json")
    show.add_argument("--json", action="store_true", help="in một đối tượng JSON thay cho bảng")

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

    fetch = command("fetch", "tải thư mới có bảng tính đính kèm từ hộp thư ([mail] trong config.toml) vào hộp thư "
                    "đến; không xóa hay thay đổi gì trên máy chủ", "python run_pipeline.py fetch")
    locations(fetch, inbox=True)
    send = command("send", "gửi các thư trả lời nháp chưa gửi, sau khi hỏi lại ([mail] send_replies = true)",
                   "python run_pipeline.py send")
    locations(send)
    send.add_argument("--yes", action="store_true", help="gửi không hỏi lại")
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

    demo = command("demo", "chạy thử mọi bước với số liệu mẫu trong một thư mục làm việc",
                   "python run_pipeline.py demo --workdir /tmp/d")
    demo.add_argument("--workdir", type=Path, metavar="THƯ_MỤC", default=None,
                      help="thư mục làm việc (mặc định: một thư mục tạm mới)")
    return parser


def _paths(config: Config, args):
    from pipeline.core.locations import Paths

    inbox = getattr(args, "inbox", None) or config.inbox
    outbox = getattr(args, "outbox", None) or config.outbox
    return Paths.beside_outbox(inbox, outbox, args.ledger or config.ledger)


def _round(plan: Plan, round_id: str) -> str:
    try:
        return plan.round(round_id).id
    except KeyError:
        raise UsageError(f"không có kỳ báo cáo «{round_id}»; các kỳ của kế hoạch: "
                         f"{', '.join(r.id for r in plan.all_rounds)}") from None


def cmd_plan(plan: Plan, config: Config, args) -> int:
    if args.json:
        print(json.dumps(plan_as_dict(plan), ensure_ascii=False, indent=2))
        return EXIT_OK
    print(f"{plan.document}\n{plan.title}\n")
    codes = [i.code for i in plan.indicators]
    print("Chỉ tiêu (indicators):")
    for i in plan.indicators:
        print(f"  {i.no:>2}. {i.code:<26} {i.group}  {i.kind:<5}  {i.unit:<8} {i.window:<13} {i.name}")
    print("\nChỉ tiêu tỷ lệ (ratio indicators):")
    for ratio in plan.ratios:
        print(f"      {ratio.code:<26} {ratio.group}  ≥{ratio.target_percent}%  {ratio.name}")
    print("\nChỉ tiêu giai đoạn theo đơn vị (phase targets by unit):")
    header = f"  {'unit':<5} {'name':<12} {'bản':>5} " + " ".join(f"{n + 1:>5}" for n in range(len(codes)))
    print(header)
    rows = [(u.code, u.name, u.villages, plan.targets[u.code]) for u in plan.units]
    rows.append(("", "Tổng", plan.total_villages, plan.totals["total"]))
    for code, name, villages, targets in rows:
        cells = " ".join(f"{targets[c]:>5}" for c in codes)
        print(f"  {code:<5} {name:<12} {villages if villages is not None else '':>5} {cells}")
    print("\nKỳ báo cáo (rounds):")
    for r in plan.all_rounds:
        print(f"  {r.id:<12} huyện {r.district_deadline:%d/%m/%Y}   tỉnh {r.province_deadline:%d/%m/%Y}"
              + ("" if r.regular else f"   {round_title(r)}"))
    return EXIT_OK


def cmd_templates(plan: Plan, config: Config, args) -> int:
    from pipeline.app.queries import carried_figures
    from pipeline.templates.writer import write_templates
    from pipeline.validation.rules import RuleBook

    rnd = plan.round(_round(plan, args.round_id))
    try:
        units = [plan.unit(code) for code in args.unit] or None
    except KeyError as exc:
        raise UsageError(f"không có đơn vị mã {exc}; các mã đơn vị: {', '.join(u.code for u in plan.units)}") from None
    paths = _paths(config, args)
    carried = carried_figures(plan, paths.ledger, paths.home, rnd)
    rules = RuleBook.load(args.plan_dir)
    for path in write_templates(plan, rnd, args.out or config.templates, units, carried, config.contact, rules):
        print(path)
    return EXIT_OK


FOLDER_WORDS = {"inbox": "hộp thư đến", "outbox": "kết quả"}


def _require_folder(config: Config, args, key: str) -> None:
    """A missing inbox or outbox is a mistake in a path, never "nobody sent anything" or "nothing yet"."""
    given = getattr(args, key, None)
    folder = given or getattr(config, key)
    if folder.is_dir():
        return
    origin = (f"tùy chọn --{key}" if given else
              f"dòng «{key} = …» trong {args.config}; không có dòng này thì là thư mục {key} bên cạnh tệp đó")
    raise UsageError(f"Không tìm thấy thư mục {FOLDER_WORDS[key]} {folder} (theo {origin}). Hãy tạo thư mục hoặc "
                     "sửa đường dẫn, rồi chạy lại. Chưa có tệp nào được đọc hay ghi.")


def cmd_run(plan: Plan, config: Config, args) -> int:
    from pipeline.app.runner import run

    _require_folder(config, args, "inbox")
    _require_folder(config, args, "outbox")
    fetched = not config.mail.fetch_on_run or mail.fetch_and_tell(config, _paths(config, args), args.wait)
    report = run(_paths(config, args), args.plan_dir, args.today, args.wait, config.contact)
    for outcome in report.outcomes:
        record = outcome.record
        status = STATUS_WORDS.get(record.status, record.status)
        print(f"{status:<20} {printable(record.inbox_path)}  ({len(outcome.findings)} phát hiện)")
        for finding in outcome.findings:
            if finding.code in OFFICER_CODES:
                print(f"    ! {printable(finding.message)}")
    for outcome in report.not_processed:
        print(f"LỖI: chưa xử lý được {printable(outcome.record.inbox_path)} (lỗi của chương trình, không phải của "
              f"đơn vị); tệp được giữ nguyên trong {outcome.record.stored_path} – xem nhật ký và báo bộ phận kỹ "
              "thuật; sau khi sửa, chép tệp vào lại hộp thư đến.")
    for path in report.failed:
        print(f"LỖI: chưa đọc được {printable(str(path))} (tệp đang được ghi hoặc bị khóa); tệp vẫn nằm trong "
              "hộp thư đến và sẽ được đọc ở lần chạy sau.")
    for entry in report.passed:
        print(f"CHÚ Ý: {printable(entry.path)} là liên kết (symlink) hoặc không phải tệp thông thường: không đọc, "
              "không di chuyển. Hãy chép tệp thật vào hộp thư đến, rồi xóa liên kết.")
    if not report.outcomes and not report.failed and not report.passed:
        print("Không có tệp mới trong hộp thư đến.")
    page = _paths(config, args).outbox / STATUS_PAGE
    print(f"Trang tình hình báo cáo: {page}")
    if report.log:
        print(f"Nhật ký lần chạy: {report.log}")
    if args.open:
        webbrowser.open(page.resolve().as_uri())
    print()
    print("\n".join(summary_lines(plan, report.status)))
    return EXIT_REJECTED if report.outstanding or not fetched else EXIT_OK


def cmd_fetch(plan: Plan, config: Config, args) -> int:
    _require_folder(config, args, "inbox")
    return EXIT_OK if mail.fetch_and_tell(config, _paths(config, args), args.wait) else EXIT_USAGE


def cmd_send(plan: Plan, config: Config, args) -> int:
    _require_folder(config, args, "outbox")
    ask = (lambda _question: True) if args.yes else mail.confirm_in_vietnamese
    return EXIT_OK if mail.send_and_tell(config, _paths(config, args), ask, args.wait) else EXIT_REJECTED


def cmd_status(plan: Plan, config: Config, args) -> int:
    from pipeline.app.queries import current_status

    _require_folder(config, args, "outbox")
    statuses = current_status(_paths(config, args), args.today or date.today(), args.plan_dir)
    print("\n".join(summary_lines(plan, statuses)))
    return EXIT_OK


def cmd_report(plan: Plan, config: Config, args) -> int:
    from pipeline.app.rebuild import rebuild_phase, rebuild_round

    round_id = None if args.phase else _round(plan, args.round_id)
    _require_folder(config, args, "outbox")
    if round_id is None:
        paths = rebuild_phase(_paths(config, args), args.plan_dir, args.today)
    else:
        paths = rebuild_round(_paths(config, args), round_id, args.plan_dir, args.today)
    for path in paths:
        print(path)
    return EXIT_OK


def cmd_approve(plan: Plan, config: Config, args) -> int:
    from pipeline.app.approval import approve, not_reported

    round_id = _round(plan, args.round_id)
    _require_folder(config, args, "outbox")
    missing = not_reported(_paths(config, args), round_id, args.plan_dir)
    if missing:
        print(f"CHÚ Ý: chốt số liệu khi còn {len(missing)}/{len(plan.units_for(plan.round(round_id)))} đơn vị chưa "
              f"có báo cáo được tiếp nhận: {', '.join(missing)}. Báo cáo của tỉnh sẽ nêu tên các đơn vị này; "
              f"nếu chưa muốn chốt, chạy: run_pipeline.py reopen --round {round_id}.")
    approve(_paths(config, args), round_id, args.plan_dir, args.today)
    print(f"Đã chốt số liệu «{round_title(plan.round(round_id))}» (kỳ {round_id}). Tệp nhận sau được ghi nhận "
          "và trả lời, nhưng không làm thay đổi số liệu đã chốt (mở lại: run_pipeline.py reopen --round "
          f"{round_id}).")
    return EXIT_OK


def cmd_reopen(plan: Plan, config: Config, args) -> int:
    from pipeline.app.approval import reopen

    round_id = _round(plan, args.round_id)
    _require_folder(config, args, "outbox")
    reopen(_paths(config, args), round_id, args.plan_dir, args.today)
    print(f"Đã mở lại «{round_title(plan.round(round_id))}» (kỳ {round_id}): mọi tệp được tiếp nhận đều được "
          "tính.")
    return EXIT_OK


def cmd_demo(plan: Plan, config: Config, args) -> int:
    from pipeline.app.demo import run_demo

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="p8-demo-"))
    result = run_demo(workdir, args.plan_dir)
    print(f"Chạy thử trong thư mục {workdir}")
    print(f"  mẫu báo cáo:      {workdir / 'templates_xlsx'} ({len(result.templates)} tệp)")
    print(f"  lưu trữ:          {workdir / 'archive'}")
    print(f"  trả lại:          {workdir / 'rejected'}")
    print(f"  sổ ghi:           {workdir / 'ledger.sqlite'}")
    for path in dict.fromkeys(result.outputs):
        print(f"  kết quả:          {path}")
    print("Phản hồi cho từng tệp đã nhận:")
    for report in result.runs:
        for outcome in report.outcomes:
            answer = outcome.feedback[0] if outcome.feedback else "(không có)"
            status = STATUS_WORDS.get(outcome.record.status, outcome.record.status)
            print(f"  {status:<20} {printable(outcome.record.inbox_path)} -> {answer}")
    print(f"Trang tình hình báo cáo: {workdir / 'outbox' / STATUS_PAGE}")
    print()
    print("\n".join(summary_lines(plan, result.runs[-1].status)))
    return EXIT_OK


def cmd_export(plan: Plan, config: Config, args) -> int:
    from pipeline.exchange.export import write_export
    from pipeline.ledger.lock import exclusive
    from pipeline.ledger.store import Ledger

    _require_folder(config, args, "outbox")
    paths = _paths(config, args)
    if not paths.ledger.is_file():
        raise UsageError(f"chưa có sổ ghi {paths.ledger}: chưa có số liệu nào để xuất.")
    with exclusive(paths), Ledger(paths.ledger, paths.home) as ledger:
        written = write_export(plan, ledger, args.out or paths.outbox / "xuat-so-lieu")
    for path in written:
        print(path)
    return EXIT_OK


def cmd_rollup(plan: Plan, config: Config, args) -> int:
    from pipeline.exchange.rollup import rollup, summary_lines, write_rollup

    packages = [p / "datapackage.json" if p.is_dir() else p for p in args.packages]
    result, rows = rollup(packages)
    written = write_rollup(result, rows, args.out)
    print("\n".join(summary_lines(result)))
    for path in written:
        print(path)
    return EXIT_REJECTED if result.refused else EXIT_OK


COMMANDS = {"plan": cmd_plan, "templates": cmd_templates, "run": cmd_run, "status": cmd_status,
            "report": cmd_report, "approve": cmd_approve, "reopen": cmd_reopen, "fetch": cmd_fetch, "send": cmd_send,
            "export": cmd_export, "rollup": cmd_rollup,
            "demo": cmd_demo}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Developer logs (English) reach the screen only with -v; a run keeps its warnings in its log file.
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s",
                        handlers=None if args.verbose else [logging.NullHandler()])
    try:
        if args.config != ROOT / "config.toml" and not args.config.is_file():
            raise UsageError(f"không tìm thấy tệp cấu hình {args.config} (tùy chọn --config).")
        config = load_config(args.config)
        args.plan_dir = args.plan_dir or config.plan
        plan = load_plan(args.plan_dir)
        return COMMANDS[args.command](plan, config, args)
    except PipelineError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())

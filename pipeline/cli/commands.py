"""The commands the officer types: each turns its arguments into a call of the stage that does the work
and prints what happened, in Vietnamese. A command imports its stage when it runs, so that `plan` or
`status` do not load the report writers (start-up time on the officer's machine)."""

from __future__ import annotations

import json
import sys
import tempfile
import webbrowser
from datetime import date, timedelta
from pathlib import Path

from pipeline.cli import mail
from pipeline.core.config import Config
from pipeline.core.errors import UsageError
from pipeline.core.locations import EXPORT_FOLDER, EXPORT_PACKAGE, ROLLUP_DETAIL, STATUS_PAGE, Paths
from pipeline.core.sender_text import printable
from pipeline.core.vietnamese import STATUS_WORDS, round_title
from pipeline.ledger.schema import HELD
from pipeline.outputs.round_status import summary_lines
from pipeline.plan.as_json import plan_as_dict
from pipeline.plan.model import Plan, Unit

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2
# Findings the officer must see on the screen too, not only in the sender's answer.
OFFICER_CODES = {"sender-unknown", "sender-changed", "template-locked-altered", "template-fingerprint-mismatch"}


def installation_paths(config: Config, args) -> Paths:
    """The folders and ledger of this installation: the command's options, else config.toml's."""
    inbox = getattr(args, "inbox", None) or config.inbox
    outbox = getattr(args, "outbox", None) or config.outbox
    return Paths.beside_outbox(inbox, outbox, getattr(args, "ledger", None) or config.ledger)


def _round(plan: Plan, round_id: str) -> str:
    try:
        return plan.round(round_id).id
    except KeyError:
        raise UsageError(f"không có kỳ báo cáo «{round_id}»; các kỳ của kế hoạch: "
                         f"{', '.join(r.id for r in plan.all_rounds)}") from None


def cmd_plan(plan: Plan, config: Config, args) -> int:
    if args.new_phase and not args.workbook:
        raise UsageError("--new-phase đi cùng --workbook TỆP.xlsx (bảng tính của kế hoạch giai đoạn mới).")
    if bool(args.out) != bool(args.from_workbook):
        raise UsageError("--from-workbook TỆP.xlsx và --out THƯ_MỤC đi cùng nhau.")
    if args.workbook or args.from_workbook:
        return _plan_book(plan, args)
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
    width = max(12, *(len(u.name) for u in plan.units))
    header = f"  {'unit':<5} {'name':<{width}} {'bản':>5} " + " ".join(f"{n + 1:>5}" for n in range(len(codes)))
    print(header)
    rows = [(u.code, u.name, u.villages, plan.targets[u.code] if plan.has_targets(u.code) else None)
            for u in plan.units]
    rows.append(("", "Tổng", plan.total_villages, plan.totals["total"]))
    for code, name, villages, targets in rows:
        cells = " ".join(f"{targets[c] if targets else '–':>5}" for c in codes)
        period = _validity(plan.unit(code)) if code else ""
        print(f"  {code:<5} {name:<{width}} {villages if villages is not None else '':>5} {cells}{period}")
    print("\nKỳ báo cáo (rounds):")
    for r in plan.all_rounds:
        print(f"  {r.id:<12} đơn vị gửi {r.district_deadline:%d/%m/%Y}   tỉnh {r.province_deadline:%d/%m/%Y}   "
              f"{len(plan.units_for(r))} đơn vị" + ("" if r.regular else f"   {round_title(r)}"))
    return EXIT_OK


def _plan_book(plan: Plan, args) -> int:
    from pipeline.app.plan_book import import_workbook, write_workbook

    if args.workbook:
        left = write_workbook(plan, args.plan_dir, args.workbook, args.new_phase)
        what = (f"kế hoạch giai đoạn {args.new_phase} (bắt đầu từ {plan.id})" if args.new_phase
                else f"kế hoạch {plan.id}")
        print(f"Đã ghi {what}: {args.workbook}")
        if left:
            print(f"Bảng tính không chứa: {', '.join(left)}; các phần này giữ ở thư mục kế hoạch.")
        return EXIT_OK
    result = import_workbook(args.from_workbook, args.out, args.plan_dir, in_use=plan)
    if result.errors:
        print(f"Bảng tính kế hoạch {printable(args.from_workbook.name)} có {len(result.errors)} lỗi; chưa ghi gì:",
              file=sys.stderr)
        for error in result.errors:
            print(f"  - {printable(error)}", file=sys.stderr)
        return EXIT_USAGE
    assert result.plan is not None
    new = result.plan
    print(f"Đã ghi thư mục kế hoạch {args.out}: {new.id}, giai đoạn {new.phase}, {len(new.units)} đơn vị, "
          f"{len(new.indicators)} chỉ tiêu, {len(new.all_rounds)} kỳ báo cáo.")
    print(f"Dùng kế hoạch này: python run_pipeline.py --plan-dir {args.out} … (hoặc plan = \"{args.out}\" trong "
          "config.toml).")
    return EXIT_OK


def _validity(unit: Unit) -> str:
    """'  từ 01/07/2025, kế tục 123; 128 (tính cho 123)' for a unit that changed."""
    parts = []
    if unit.valid_from:
        parts.append(f"từ {unit.valid_from:%d/%m/%Y}")
    if unit.valid_to:
        parts.append(f"đến hết {unit.valid_to - timedelta(days=1):%d/%m/%Y}")
    if unit.former:
        parts.append(f"kế tục {'; '.join(unit.former)}")
    if unit.attribution:
        parts.append("tính cho " + "; ".join(f"{code} {percent}%" for code, percent in unit.attribution))
    if not unit.reports:
        parts.append("không báo cáo")
    return f"   {', '.join(parts)}" if parts else ""


def cmd_templates(plan: Plan, config: Config, args) -> int:
    from pipeline.app.queries import carried_figures, former_lines
    from pipeline.ledger.template_key import template_key
    from pipeline.templates.writer import write_templates
    from pipeline.validation.book import RuleBook

    rnd = plan.round(_round(plan, args.round_id))
    try:
        units = [plan.unit(code) for code in args.unit] or None
    except KeyError as exc:
        raise UsageError(f"không có đơn vị mã {exc}; các mã đơn vị: {', '.join(u.code for u in plan.units)}") from None
    paths = installation_paths(config, args)
    carried = carried_figures(plan, paths.ledger, paths.home, rnd)
    formers = former_lines(plan, paths.ledger, paths.home, rnd)
    rules = RuleBook.load(args.plan_dir)
    key = template_key(paths.ledger, paths.home)
    for path in write_templates(plan, rnd, args.out or config.templates, units, carried, config.contact, rules,
                                formers, key):
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
    fetched = not config.mail.fetch_on_run or mail.fetch_and_tell(config, installation_paths(config, args), args.wait)
    report = run(installation_paths(config, args), args.plan_dir, args.today, args.wait, config.contact, plan=plan)
    for outcome in report.outcomes:
        record = outcome.record
        status = STATUS_WORDS.get(record.status, record.status)
        print(f"{status:<20} {printable(record.inbox_path)}  ({len(outcome.findings)} phát hiện)")
        for finding in outcome.findings:
            if finding.code in OFFICER_CODES:
                print(f"    ! {printable(finding.message)}")
    for line in held_lines(plan, [o.record for o in report.outcomes if o.record.status == HELD]):
        print(line)
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
    for round_id, held_open in sorted(report.in_use.items()):
        print(f"CHÚ Ý: chưa ghi được {printable(held_open)}: tệp đang mở trong Excel, Word hoặc chương trình khác. Các "
              "kết quả khác đã được ghi; hãy đóng tệp đó rồi chạy lại: lần chạy sau ghi lại kết quả của kỳ "
              f"{round_id}.")
    if not report.outcomes and not report.failed and not report.passed:
        print("Không có tệp mới trong hộp thư đến.")
    page = installation_paths(config, args).outbox / STATUS_PAGE
    print(f"Trang tình hình báo cáo: {page}")
    if report.log:
        print(f"Nhật ký lần chạy: {report.log}")
    if args.open:
        webbrowser.open(page.resolve().as_uri())
    print()
    print("\n".join(summary_lines(plan, report.status, args.today or date.today())))
    return EXIT_REJECTED if report.outstanding or not fetched else EXIT_OK


def cmd_fetch(plan: Plan, config: Config, args) -> int:
    _require_folder(config, args, "inbox")
    return EXIT_OK if mail.fetch_and_tell(config, installation_paths(config, args), args.wait) else EXIT_USAGE


def cmd_send(plan: Plan, config: Config, args) -> int:
    _require_folder(config, args, "outbox")
    ask = (lambda _question: True) if args.yes else mail.confirm_in_vietnamese
    return EXIT_OK if mail.send_and_tell(config, installation_paths(config, args), ask, args.wait, args.unverified) \
        else EXIT_REJECTED


def cmd_status(plan: Plan, config: Config, args) -> int:
    from pipeline.app.queries import current_status

    _require_folder(config, args, "outbox")
    today = args.today or date.today()
    statuses, held = current_status(installation_paths(config, args), today, args.plan_dir)
    print("\n".join(summary_lines(plan, statuses, today)))
    for line in held_lines(plan, held):
        print(line)
    return EXIT_OK


def held_lines(plan: Plan, held: list) -> list[str]:
    """Each held file, with the two commands that settle it."""
    lines = []
    for record in held:
        unit = plan.unit(record.unit).name if record.unit and plan.has_unit(record.unit) else "?"
        lines.append(f"CHỜ XÁC NHẬN: bản ghi số {record.id} – tệp «{record.shown_name}» gửi từ "
                     f"{printable(record.sender or '?')}, nhận dạng là báo cáo của {unit} (kỳ {record.round}), chưa "
                     f"được tính. Sau khi hỏi lại đơn vị: run_pipeline.py confirm --record {record.id} (tính), "
                     f"hoặc run_pipeline.py confirm --record {record.id} --reject (không nhận).")
    return lines


def cmd_report(plan: Plan, config: Config, args) -> int:
    from pipeline.app.rebuild import rebuild_phase, rebuild_round

    round_id = None if args.phase else _round(plan, args.round_id)
    _require_folder(config, args, "outbox")
    if round_id is None:
        paths = rebuild_phase(installation_paths(config, args), args.plan_dir, args.today)
    else:
        paths = rebuild_round(installation_paths(config, args), round_id, args.plan_dir, args.today)
    for path in paths:
        print(path)
    return EXIT_OK


def cmd_approve(plan: Plan, config: Config, args) -> int:
    from pipeline.app.approval import approve, not_reported

    round_id = _round(plan, args.round_id)
    _require_folder(config, args, "outbox")
    missing = not_reported(installation_paths(config, args), round_id, args.plan_dir)
    if missing:
        print(f"CHÚ Ý: chốt số liệu khi còn {len(missing)}/{len(plan.units_for(plan.round(round_id)))} đơn vị chưa "
              f"có báo cáo được tiếp nhận: {', '.join(missing)}. Báo cáo của tỉnh sẽ nêu tên các đơn vị này; "
              f"nếu chưa muốn chốt, chạy: run_pipeline.py reopen --round {round_id}.")
    approve(installation_paths(config, args), round_id, args.plan_dir, args.today)
    print(f"Đã chốt số liệu «{round_title(plan.round(round_id))}» (kỳ {round_id}). Tệp nhận sau được ghi nhận "
          "và trả lời, nhưng không làm thay đổi số liệu đã chốt (mở lại: run_pipeline.py reopen --round "
          f"{round_id}).")
    return EXIT_OK


def cmd_reopen(plan: Plan, config: Config, args) -> int:
    from pipeline.app.approval import reopen

    round_id = _round(plan, args.round_id)
    _require_folder(config, args, "outbox")
    reopen(installation_paths(config, args), round_id, args.plan_dir, args.today)
    print(f"Đã mở lại «{round_title(plan.round(round_id))}» (kỳ {round_id}): mọi tệp được tiếp nhận đều được "
          "tính.")
    return EXIT_OK


def cmd_remind(plan: Plan, config: Config, args) -> int:
    from pipeline.app.reminders import remind

    _require_folder(config, args, "outbox")
    paths = installation_paths(config, args)
    done = remind(plan, paths, args.today or date.today(), args.days, config.contact)
    if not done.rounds:
        print(f"Không có kỳ báo cáo nào đang mở có hạn đơn vị gửi trong {args.days} ngày tới.")
        return EXIT_OK
    print(f"Thư nhắc hạn ({len(done.written)} thư, nháp; gửi bằng: run_pipeline.py send):")
    for path in done.written:
        print(f"  {printable(path.relative_to(paths.outbox).as_posix())}")
    for round_id, name in done.no_address:
        print(f"CHÚ Ý: {name} (kỳ {round_id}) chưa gửi báo cáo nhưng chưa có địa chỉ thư đã đăng ký (cột senders của "
              "units.csv): hãy liên hệ trực tiếp.")
    return EXIT_OK


def cmd_confirm(plan: Plan, config: Config, args) -> int:
    from pipeline.app.approval import confirm

    _require_folder(config, args, "outbox")
    record, _outputs = confirm(installation_paths(config, args), args.record, accept=not args.reject,
                               plan_dir=args.plan_dir, today=args.today)
    unit = plan.unit(record.unit).name if record.unit and plan.has_unit(record.unit) else "?"
    if args.reject:
        print(f"Đã ghi tệp «{record.shown_name}» (bản ghi số {record.id}) là trả lại: không tính vào số liệu của "
              f"{unit}.")
    else:
        print(f"Đã xác nhận tệp «{record.shown_name}» (bản ghi số {record.id}) là báo cáo của {unit}, kỳ "
              f"{record.round}: số liệu được tính; bảng tổng hợp và báo cáo của kỳ đã được lập lại.")
    return EXIT_OK


def cmd_accept_ledger(plan: Plan, config: Config, args) -> int:
    from pipeline.app.restore import accept_ledger

    paths = installation_paths(config, args)
    if not paths.ledger.is_file():
        raise UsageError(f"không có sổ ghi {paths.ledger}.")
    accepted = accept_ledger(paths)
    print(f"Đã nhận sổ ghi {paths.ledger} như hiện có làm điểm bắt đầu mới (có đến bản ghi số "
          f"{accepted.last_record}).")
    if accepted.lost_records:
        print(f"  {accepted.lost_records} bản ghi mà chương trình đã ghi trước đây không còn trong sổ này.")
    for round_id, day in sorted(accepted.lost_approvals.items()):
        print(f"  Kỳ {round_id} (đã chốt ngày {day}) nay không còn được ghi là đã chốt; chốt lại nếu cần: "
              f"run_pipeline.py approve --round {round_id}.")
    if accepted.unknown_stored:
        print(f"  {len(accepted.unknown_stored)} tệp trong archive/ và rejected/ mà sổ này không biết: chuyển chúng "
              "vào hộp thư đến (inbox/) để được xử lý lại, rồi chạy run.")
        for relative in accepted.unknown_stored[:20]:
            print(f"    {printable(relative)}")
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
    paths = installation_paths(config, args)
    if not paths.ledger.is_file():
        raise UsageError(f"chưa có sổ ghi {paths.ledger}: chưa có số liệu nào để xuất.")
    with exclusive(paths), Ledger(paths.ledger, paths.home) as ledger:
        written = write_export(plan, ledger, args.out or paths.outbox / EXPORT_FOLDER)
    for path in written:
        print(path)
    return EXIT_OK


def cmd_rollup(plan: Plan, config: Config, args) -> int:
    from pipeline.exchange.rollup import rollup, summary_lines, write_rollup

    packages = [p / EXPORT_PACKAGE if p.is_dir() else p for p in args.packages]
    detail = Path(args.out) / ROLLUP_DETAIL
    result = rollup(packages, detail)
    written = [*write_rollup(result, args.out), detail]
    print("\n".join(summary_lines(result)))
    for path in written:
        print(path)
    return EXIT_REJECTED if result.refused else EXIT_OK


COMMANDS = {"plan": cmd_plan, "templates": cmd_templates, "run": cmd_run, "status": cmd_status,
            "report": cmd_report, "approve": cmd_approve, "reopen": cmd_reopen, "fetch": cmd_fetch, "send": cmd_send,
            "export": cmd_export, "rollup": cmd_rollup, "accept-ledger": cmd_accept_ledger,
            "confirm": cmd_confirm, "remind": cmd_remind,
            "demo": cmd_demo}



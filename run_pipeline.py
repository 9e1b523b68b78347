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
from datetime import date
from pathlib import Path

from pipeline.errors import PipelineError, UsageError
from pipeline.plan import DEFAULT_PLAN_DIR, Plan, load_plan, plan_as_dict
from pipeline.status import summary_lines

ROOT = Path(__file__).resolve().parent
EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2


def _iso_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date as YYYY-MM-DD") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="run_pipeline.py",
        description="Dự án 8 – Sơn La reporting pipeline: templates, ingest, validation, "
        "consolidation and reports.",
        epilog="Exit codes: 0 all good; 1 some files were rejected; 2 usage or configuration error.",
    )
    parser.add_argument("--plan-dir", type=Path, default=DEFAULT_PLAN_DIR,
                        help="plan folder (default: the bundled Sơn La plan, %(default)s)")
    parser.add_argument("--config", type=Path, default=ROOT / "config.toml",
                        help="settings of this installation (default %(default)s)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every file processed")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    show = commands.add_parser("plan", help="print the plan (units, indicators, targets, rounds)",
                               epilog="example: python run_pipeline.py plan --json")
    show.add_argument("--json", action="store_true", help="print one JSON object instead of tables")

    templates = commands.add_parser(
        "templates", help="write one reporting workbook per unit for a round",
        epilog="example: python run_pipeline.py templates --round 2024-annual --unit 121")
    templates.add_argument("--round", required=True, dest="round_id", help="round id, e.g. 2024-annual")
    templates.add_argument("--unit", action="append", default=[], help="unit code (repeatable); default all")
    templates.add_argument("--out", type=Path, default=ROOT / "templates_xlsx",
                           help="output folder (default %(default)s)")
    templates.add_argument("--ledger", type=Path, default=ROOT / "ledger.sqlite",
                           help="ledger to carry last accepted figures from (default %(default)s)")

    run = commands.add_parser(
        "run", help="ingest and validate everything new in the inbox, then refresh the outputs",
        epilog="example: python run_pipeline.py run --today 2024-09-12")
    run.add_argument("--inbox", type=Path, default=ROOT / "inbox", help="default %(default)s")
    run.add_argument("--outbox", type=Path, default=ROOT / "outbox", help="default %(default)s")
    run.add_argument("--ledger", type=Path, default=None,
                     help="ledger database (default: ledger.sqlite beside the outbox folder)")
    run.add_argument("--today", type=_iso_day, default=None,
                     help="date to record as the day files were received (YYYY-MM-DD)")

    status = commands.add_parser(
        "status", help="print, for each open round, who reported and who is missing, late or rejected",
        epilog="example: python run_pipeline.py status --today 2024-09-12")
    status.add_argument("--outbox", type=Path, default=ROOT / "outbox", help="default %(default)s")
    status.add_argument("--ledger", type=Path, default=None,
                        help="ledger database (default: ledger.sqlite beside the outbox folder)")
    status.add_argument("--today", type=_iso_day, default=None, help="the date to count days from")

    report = commands.add_parser(
        "report", help="regenerate the workbook and reports of one round from the ledger",
        epilog="example: python run_pipeline.py report --round 2024-annual")
    report.add_argument("--round", required=True, dest="round_id", help="round id, e.g. 2024-annual")
    report.add_argument("--outbox", type=Path, default=ROOT / "outbox", help="default %(default)s")
    report.add_argument("--ledger", type=Path, default=None,
                        help="ledger database (default: ledger.sqlite beside the outbox folder)")
    report.add_argument("--today", type=_iso_day, default=None,
                        help="the date that decides draft or final (default: today)")

    demo = commands.add_parser(
        "demo", help="run every stage on generated sample submissions in a work folder",
        epilog="example: python run_pipeline.py demo --workdir /tmp/d")
    demo.add_argument("--workdir", type=Path, default=None,
                      help="folder to work in (default: a new temporary folder)")
    return parser


def cmd_plan(plan: Plan, args) -> int:
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
    for r in plan.rounds:
        print(f"  {r.id:<12} huyện {r.district_deadline:%d/%m/%Y}   tỉnh {r.province_deadline:%d/%m/%Y}")
    return EXIT_OK


def cmd_templates(plan: Plan, args) -> int:
    from pipeline.config import load_config
    from pipeline.runner import carried_figures
    from pipeline.templates import write_templates

    try:
        rnd = plan.round(args.round_id)
    except KeyError:
        raise UsageError(f"unknown round '{args.round_id}'; known: "
                         f"{', '.join(r.id for r in plan.rounds)}") from None
    try:
        units = [plan.unit(code) for code in args.unit] or None
    except KeyError as exc:
        raise UsageError(f"unknown unit {exc}; known: {', '.join(u.code for u in plan.units)}") from None
    carried = carried_figures(plan, args.ledger, args.ledger.parent, rnd)
    contact = load_config(args.config).contact
    for path in write_templates(plan, rnd, args.out, units, carried, contact):
        print(path)
    return EXIT_OK


def cmd_run(plan: Plan, args) -> int:
    from pipeline.runner import Paths, run

    report = run(Paths.beside_outbox(args.inbox, args.outbox, args.ledger), args.plan_dir, args.today)
    for outcome in report.outcomes:
        record = outcome.record
        print(f"{record.status:<23} {record.inbox_path}  ({len(outcome.findings)} phát hiện)")
    for path in report.outputs:
        print(f"output: {path}")
    for path in report.failed:
        print(f"LỖI: chưa xử lý được {path}; tệp vẫn nằm trong inbox (xem log).")
    if not report.outcomes and not report.failed:
        print("Không có tệp mới trong hộp thư đến.")
    print()
    print("\n".join(summary_lines(plan, report.status)))
    return EXIT_REJECTED if report.rejected or report.failed else EXIT_OK


def cmd_status(plan: Plan, args) -> int:
    from pipeline.runner import Paths, current_status

    paths = Paths.beside_outbox(ROOT / "inbox", args.outbox, args.ledger)
    print("\n".join(summary_lines(plan, current_status(paths, args.today or date.today(), args.plan_dir))))
    return EXIT_OK


def cmd_report(plan: Plan, args) -> int:
    from pipeline.runner import Paths, rebuild_round

    try:
        plan.round(args.round_id)
    except KeyError:
        raise UsageError(f"unknown round '{args.round_id}'; known: "
                         f"{', '.join(r.id for r in plan.rounds)}") from None
    paths = Paths.beside_outbox(ROOT / "inbox", args.outbox, args.ledger)
    for path in rebuild_round(paths, args.round_id, args.plan_dir, args.today):
        print(path)
    return EXIT_OK


def cmd_demo(plan: Plan, args) -> int:
    from pipeline.demo import run_demo

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="p8-demo-"))
    result = run_demo(workdir, args.plan_dir)
    print(f"Demo in {workdir}")
    print(f"  templates:        {workdir / 'templates_xlsx'} ({len(result.templates)} files)")
    print(f"  archive:          {workdir / 'archive'}")
    print(f"  rejected:         {workdir / 'rejected'}")
    print(f"  ledger:           {workdir / 'ledger.sqlite'}")
    for report in result.runs:
        for outcome in report.outcomes:
            print(f"  {outcome.record.status:<23} {outcome.record.inbox_path}")
    for path in dict.fromkeys(result.outputs):
        print(f"  output:           {path}")
    return EXIT_OK


COMMANDS = {"plan": cmd_plan, "templates": cmd_templates, "run": cmd_run, "status": cmd_status,
            "report": cmd_report, "demo": cmd_demo}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        plan = load_plan(args.plan_dir)
        return COMMANDS[args.command](plan, args)
    except PipelineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())

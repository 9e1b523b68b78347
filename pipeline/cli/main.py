"""The command line's entry point: arguments parsed, the configuration and plan loaded, the command
run; an error that stops it is one Vietnamese line and exit code 2."""

from __future__ import annotations

import logging
import os
import sys
import traceback
from datetime import datetime
from pathlib import Path

from pipeline.app import plan_cache
from pipeline.cli.commands import COMMANDS, EXIT_USAGE, installation_paths
from pipeline.cli.parser import build_parser
from pipeline.core.atomic import write_text
from pipeline.core.config import DEFAULT_CONFIG, load_config
from pipeline.core.errors import PipelineError, UsageError
from pipeline.core.locations import LOG_FOLDER


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Developer logs (English) reach the screen only with -v; a run keeps its warnings in its log file.
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s",
                        handlers=None if args.verbose else [logging.NullHandler()])
    config = None
    try:
        if args.config != DEFAULT_CONFIG and not args.config.is_file():
            raise UsageError(f"không tìm thấy tệp cấu hình {args.config} (tùy chọn --config).")
        config = load_config(args.config)
        args.plan_dir = args.plan_dir or config.plan
        plan = plan_cache.load(args.plan_dir, installation_paths(config, args).ledger)
        return COMMANDS[args.command](plan, config, args)
    except PipelineError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # Whoever read the output went away (`… | head`): stop quietly, as other command-line tools do,
        # and keep Python from complaining again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:  # a defect: one line for the officer, the traceback in a log file
        logging.getLogger("pipeline").exception("internal error")
        kept = _internal_error_log(config.outbox if config is not None else None, traceback.format_exc())
        where = (f"chi tiết ghi ở {kept}; hãy gửi tệp đó cho người phát triển" if kept
                 else "chạy lại lệnh với -v để xem chi tiết và gửi cho người phát triển")
        print(f"Lỗi: lỗi nội bộ của chương trình ({type(exc).__name__}); {where}.", file=sys.stderr)
        return EXIT_USAGE


def _internal_error_log(outbox: Path | None, detail: str) -> Path | None:
    """outbox/logs/loi-noi-bo_<time>_<pid>.txt with the traceback, or None when it cannot be written."""
    if outbox is None:
        return None
    path = Path(outbox) / LOG_FOLDER / f"loi-noi-bo_{datetime.now():%Y%m%d-%H%M%S}_{os.getpid()}.txt"
    try:
        write_text(path, detail)
    except OSError:
        return None
    return path



#!/usr/bin/env python3
"""Command line of the Project 8 reporting pipeline. Run with --help, or a subcommand with --help.

Exit codes: 0 all good; 1 the run finished but some files were rejected; 2 usage or configuration
error.
"""

import sys

if __name__ == "__main__":
    # Imported here, not above: a reader process started by spawning (as on Windows) runs this file
    # again as __mp_main__, and must not load the whole pipeline for it.
    try:
        from pipeline.cli.main import main
    except ImportError as exc:  # an installation cut short: say so, with exit 2 (1 means "files wait")
        print(f"Lỗi: chương trình chưa được cài đặt đầy đủ (thiếu {exc.name or exc}); chạy lại lệnh cài đặt "
              "(pip install -r requirements.txt, hoặc nhấp đúp Chay-hang-thang.cmd).", file=sys.stderr)
        sys.exit(2)

    sys.exit(main())

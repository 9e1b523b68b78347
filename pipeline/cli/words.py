"""The command line in Vietnamese: argparse's own words (usage, help, its error messages), translated
where argparse looks them up (its module-level gettext function), so that `--help` and every usage
error read in Vietnamese. Words not listed here stay as argparse writes them."""

from __future__ import annotations

import argparse

WORDS = {
    "usage: ": "cách dùng: ",
    "positional arguments": "tham số",
    "options": "tùy chọn",
    "optional arguments": "tùy chọn",
    "show this help message and exit": "in hướng dẫn này rồi thoát",
    "%(prog)s: error: %(message)s\n": "%(prog)s: lỗi: %(message)s\n",
    "the following arguments are required: %s": "còn thiếu: %s",
    "unrecognized arguments: %s": "không hiểu: %s",
    "invalid choice: %(value)r (choose from %(choices)s)": "không có lựa chọn %(value)r (chọn một trong: %(choices)s)",
    "argument %(argument_name)s: %(message)s": "%(argument_name)s: %(message)s",
    "expected one argument": "cần một giá trị",
    "not allowed with argument %s": "không dùng cùng với %s",
    "one of the arguments %s is required": "cần một trong các tùy chọn %s",
    "invalid %(type)s value: %(value)r": "giá trị %(value)r không hợp lệ",
    "ambiguous option: %(option)s could match %(matches)s": "tùy chọn %(option)s chưa rõ: có thể là %(matches)s",
    "expected at most one argument": "cần nhiều nhất một giá trị",
    "expected at least one argument": "cần ít nhất một giá trị",
}


def translate(message: str) -> str:
    return WORDS.get(message, message)


def install() -> None:
    """Make argparse speak Vietnamese (it calls its module's `_` each time it writes a word)."""
    argparse._ = translate  # type: ignore[attr-defined]
    argparse.ngettext = lambda single, plural, n: translate(single if n == 1 else plural)  # type: ignore[attr-defined]


__all__ = ["WORDS", "install", "translate"]

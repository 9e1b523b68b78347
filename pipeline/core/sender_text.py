"""Names that come from senders (file names, attachment names, subjects) made safe to store and show.

A sender chooses these freely: they may hold line feeds, NUL, terminal escape sequences, path
separators, or be longer than a file system allows. The original is kept in the ledger; what is
written to disk, into a mail header or onto the officer's terminal goes through here.
"""

from __future__ import annotations

import re
import unicodedata

# Most file systems hold 255 bytes per name; the ledger id and hash prefix take about 22 of them.
MAX_NAME_BYTES = 180
# Control characters, and those that change the direction of text around them (a name could then show
# «bao-cao-xslx.docx» for «bao-cao-\u202excod.xlsx»).
_DIRECTION = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f'[\\x00-\\x1f\\x7f-\\x9f/\\\\:*?"<>|\u2028\u2029{_DIRECTION}]')
_CONTROL = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f\u2028\u2029{_DIRECTION}]")
# What a name people read must not hold at all (typed text, not a file name): the above, and the
# characters that take no width (a code that looks like another).
HIDDEN = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f\u2028\u2029{_DIRECTION}\u200b-\u200d\ufeff]")


def safe_filename(name: str, fallback: str = "tep") -> str:
    """A name any file system holds: no control characters or separators, no leading dot, at most
    MAX_NAME_BYTES bytes of UTF-8 (the extension is kept when the stem is cut)."""
    name = unicodedata.normalize("NFC", name)
    cleaned = _UNSAFE.sub("_", name).strip().lstrip(".").strip()
    if not cleaned:
        return fallback
    stem, dot, suffix = cleaned.rpartition(".")
    if not dot or len(suffix.encode()) > 16:
        stem, suffix = cleaned, ""
    keep = MAX_NAME_BYTES - len(suffix.encode()) - (1 if suffix else 0)
    stem = stem.encode()[:keep].decode("utf-8", "ignore").rstrip() or fallback
    return f"{stem}.{suffix}" if suffix else stem


def printable(text: str) -> str:
    """Text for a terminal or a log line: control and direction-changing characters shown as \\x.. codes,
    so a name cannot move the cursor, clear the screen or hide part of a line."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256
                        else f"\\u{ord(m.group()):04x}", text)


def header_text(text: str, limit: int = 300) -> str:
    """One line for a mail header (no CR, LF or NUL: they would end the header or the message)."""
    return " ".join(_CONTROL.sub(" ", text).split())[:limit]

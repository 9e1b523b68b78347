"""Settings of one installation, read from config.toml (the plan itself lives in plan/)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from .errors import PipelineError

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config.toml"


@dataclass(frozen=True)
class Contact:
    office: str = ""
    name: str = ""
    phone: str = ""
    email: str = ""


@dataclass(frozen=True)
class Config:
    contact: Contact = Contact()


def load_config(path: Path | str = DEFAULT_CONFIG) -> Config:
    path = Path(path)
    if not path.is_file():
        return Config()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise PipelineError(f"{path}: {exc}") from None
    contact = raw.get("contact", {})
    unknown = set(contact) - set(Contact.__dataclass_fields__)
    if unknown:
        raise PipelineError(f"{path}: unknown key(s) in [contact]: {', '.join(sorted(unknown))}.")
    return Config(Contact(**{k: str(v).strip() for k, v in contact.items()}))

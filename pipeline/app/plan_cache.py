"""The loaded plan kept beside the ledger, so that a command does not parse the plan's CSV files again:
at 3,321 units they take 0.12-0.18 s to read and check, the kept copy 15 ms to load.

The copy is a pickle, and unpickling runs whatever the bytes say. It is therefore sealed: an HMAC
under a key derived from the ledger's template key (readable by its owner only), over the copy and
what it was made from: the name and bytes of every file in the plan folder, the program's code, the
Python version. It is unpickled only when the seal is right and made from exactly the files and
program of this command. Anything else (no key yet, no copy, a damaged or foreign one, another plan
or program) and the plan is loaded from its files; a run that changes something writes the copy again."""

from __future__ import annotations

import hashlib
import hmac
import logging
import pickle
import sys
from pathlib import Path

from pipeline.core.atomic import write_bytes
from pipeline.core.errors import PipelineError
from pipeline.ledger.template_key import existing_key
from pipeline.outputs.rebuild_keys import plan_digest, program_digest
from pipeline.plan.loader import load_plan
from pipeline.plan.model import Plan

log = logging.getLogger(__name__)

CACHE = "plan-da-nap.bin"  # beside the ledger
MAGIC = b"p8-plan-cache 1\n"
LARGEST = 256 * 2**20  # a national plan's copy is under 1 MB; a larger file is not read
_SEAL = len(hashlib.sha256().digest())


def load(plan_dir: Path, ledger: Path) -> Plan:
    """The plan of `plan_dir`, from the sealed copy beside `ledger` when it is the copy of these files;
    otherwise read from them. Nothing is written: a command that changes nothing leaves no trace."""
    key = _key(ledger)
    made_from = _made_from(Path(plan_dir)) if key is not None else None
    if key is not None and made_from is not None:
        kept = _read(Path(ledger).with_name(CACHE), key, made_from)
        if kept is not None:
            return kept
    return load_plan(plan_dir)


def keep(plan_dir: Path, ledger: Path) -> None:
    """Write the sealed copy of the plan of `plan_dir` beside `ledger`, unless the one there is the copy
    of these files already (a run that changed something calls this; the first after a plan changed
    reads the plan's files once more, so that the copy is what they hold now)."""
    key = _key(ledger)
    made_from = _made_from(Path(plan_dir)) if key is not None else None
    if key is None or made_from is None:  # a home without a ledger key: nothing kept
        return
    path = Path(ledger).with_name(CACHE)
    if _sealed_payload(path, key, made_from) is not None:
        return
    try:
        plan = load_plan(plan_dir)
    except (PipelineError, OSError):  # changed while the run went on: the next command says what is wrong
        return
    if _made_from(Path(plan_dir)) != made_from:  # edited while it was read: kept next time
        return
    plan_digest(plan)  # kept with it: every run's output keys rest on it
    payload = pickle.dumps(plan, protocol=pickle.HIGHEST_PROTOCOL)
    try:
        write_bytes(path, MAGIC + _seal(key, made_from, payload) + made_from + payload)
    except OSError as exc:
        log.info("plan cache not written (%s)", exc)


def _key(ledger: Path) -> bytes | None:
    secret = existing_key(ledger)
    return None if secret is None else hmac.new(secret, b"p8 plan cache", hashlib.sha256).digest()


def _made_from(plan_dir: Path) -> bytes | None:
    """A digest of the program and of every file directly in the plan folder, names and bytes."""
    digest = hashlib.sha256(f"{program_digest()}\0{sys.version}\0".encode())
    try:
        files = sorted(p for p in plan_dir.iterdir() if p.is_file())
        for path in files:
            digest.update(path.name.encode("utf-8", "surrogateescape") + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    except OSError:
        return None  # the loader names what it cannot read
    return digest.digest()


def _seal(key: bytes, made_from: bytes, payload: bytes) -> bytes:
    return hmac.new(key, made_from + payload, hashlib.sha256).digest()


def _sealed_payload(path: Path, key: bytes, made_from: bytes) -> bytes | None:
    """The copy's pickled plan, when the copy is sealed by `key` and made from `made_from`."""
    try:
        if path.is_symlink() or path.stat().st_size > LARGEST:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    head = len(MAGIC)
    seal, kept_from, payload = data[head:head + _SEAL], data[head + _SEAL:head + 2 * _SEAL], data[head + 2 * _SEAL:]
    if not data.startswith(MAGIC) or kept_from != made_from or \
            not hmac.compare_digest(seal, _seal(key, made_from, payload)):
        return None
    return payload


def _read(path: Path, key: bytes, made_from: bytes) -> Plan | None:
    payload = _sealed_payload(path, key, made_from)
    if payload is None:
        return None
    try:
        plan = pickle.loads(payload)  # sealed by this installation's key: bytes this program wrote
    except Exception as exc:  # a program change the digest missed: the files are read instead
        log.info("plan cache not usable (%s)", exc)
        return None
    return plan if isinstance(plan, Plan) else None

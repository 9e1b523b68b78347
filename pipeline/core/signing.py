"""A template's keyed fingerprint: an HMAC of its unkeyed digest with the installation's secret
(ledger/template_key.py keeps the secret; templates and intake only apply it)."""

from __future__ import annotations

import hashlib
import hmac


def keyed(key: bytes, digest: str) -> str:
    return hmac.new(key, digest.encode("ascii"), hashlib.sha256).hexdigest()


def stamp(key: bytes | None, digest: str) -> str:
    """What a template's metadata carries: keyed when a key is given. Samples written without an
    installation (tests, benchmarks) carry the bare digest, which proves nothing."""
    return keyed(key, digest) if key else digest

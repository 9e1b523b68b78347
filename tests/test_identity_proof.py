"""Identity that cannot be forged (issue 30, finding 5). Templates carry a fingerprint keyed with a
secret kept beside the ledger; a file that proves its unit only by what anyone can compute from the
public plan (titles, or the bare digest) and that comes from an address not registered for the unit is
held «chờ xác nhận»: recorded and answered, not counted, until the officer confirms or rejects it."""

import email
import email.policy
import hashlib
import hmac
import sqlite3
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from pipeline.app.samples import SAMPLE_TIME, fill_template, sample_values
from pipeline.core.office_package import normalize_package
from pipeline.templates.identity import locked_content
from pipeline.templates.writer import write_templates
from pipeline.validation.book import RuleBook
from tests.support import hostile
from tests.support.helpers import ROOT
from tests.support.installation import with_senders

pytestmark = pytest.mark.integration

ROUND = "2024-annual"
REGISTERED = "hoiphunu.maison@example.vn"
STRANGER = "ke.gia.mao@example.com"


def _cli(root: Path, command: str, *extra: str, plan_dir: Path | None = None) -> subprocess.CompletedProcess:
    (root / "outbox").mkdir(exist_ok=True)
    where = ["--outbox", str(root / "outbox")]
    if command == "run":
        where = ["--inbox", str(root / "inbox"), *where, "--today", "2024-09-09"]
    if command == "templates":
        where = ["--ledger", str(root / "ledger.sqlite")]
    plan = ["--plan-dir", str(plan_dir)] if plan_dir else []
    return subprocess.run([sys.executable, str(ROOT / "run_pipeline.py"), *plan, command, *where, *extra], cwd=root,
                          capture_output=True, text=True, timeout=300)


def _registered(plan_copy: Path) -> Path:
    """The plan with Mai Sơn's registered address."""
    return with_senders(plan_copy, {"125": REGISTERED})


def _public_copy(plan, root: Path, *, strip_identity: bool) -> bytes:
    """What anyone with the public plan can make: Mai Sơn's template as the program writes it without
    the installation's key, filled in; `strip_identity` also removes the hidden metadata and the p8_
    names, so that only the titles say whose it is."""
    rnd, unit = plan.round(ROUND), plan.unit("125")
    template = write_templates(plan, rnd, root / "public", [unit])[0]
    target = root / "public" / f"forged-{strip_identity}.xlsx"
    fill_template(template, target, sample_values(plan, rnd, unit, with_previous=True))
    if strip_identity:
        book = openpyxl.load_workbook(target)
        del book["p8_meta"]
        for name in [n for n in book.defined_names if n.startswith("p8_")]:
            del book.defined_names[name]
        book.save(target)
        normalize_package(target, SAMPLE_TIME)
    return target.read_bytes()


def _mail(root: Path, name: str, data: bytes, sender: str, number: int) -> None:
    (root / "inbox").mkdir(exist_ok=True)
    (root / "inbox" / name).write_bytes(hostile.email_with([("mai-son.xlsx", data)], sender=sender,
                                                           message_id=f"<{number}@example.vn>"))


def _statuses(root: Path) -> list[tuple[int, str | None, str]]:
    with sqlite3.connect(root / "ledger.sqlite") as db:
        return db.execute("SELECT id, unit, status FROM submission WHERE unit IS NOT NULL AND status != 'unpacked'"
                          " ORDER BY id").fetchall()


def test_templates_carry_a_fingerprint_keyed_with_the_installations_secret(plan, tmp_path):
    made = _cli(tmp_path, "templates", "--round", ROUND, "--unit", "121", "--out", str(tmp_path / "mau"))
    assert made.returncode == 0, made.stderr
    key_file = tmp_path / "ledger.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "ledger-backups" / "ledger.key").read_bytes() == key_file.read_bytes()
    key = bytes.fromhex(key_file.read_text().strip())
    template = next((tmp_path / "mau" / ROUND).glob("*.xlsx"))
    stated = openpyxl.load_workbook(template)["p8_meta"]["B5"].value
    digest = locked_content(plan, plan.round(ROUND), plan.unit("121"), RuleBook.load(ROOT / "plan")).fingerprint
    assert stated == hmac.new(key, digest.encode(), hashlib.sha256).hexdigest() and stated != digest

    # A lost key comes back from its copy beside the backups; templates issued before stay valid.
    key_file.unlink()
    again = _cli(tmp_path, "templates", "--round", ROUND, "--unit", "121", "--out", str(tmp_path / "mau"))
    assert again.returncode == 0
    assert bytes.fromhex(key_file.read_text().strip()) == key
    assert openpyxl.load_workbook(template)["p8_meta"]["B5"].value == stated

    # A damaged key stops the command: a new one would disown every template already issued.
    key_file.write_text("not a key\n")
    damaged = _cli(tmp_path, "templates", "--round", ROUND, "--unit", "121", "--out", str(tmp_path / "mau"))
    assert damaged.returncode == 2 and "bị hỏng" in damaged.stderr and "Traceback" not in damaged.stderr


def test_a_template_of_another_installation_does_not_pass(plan, tmp_path):
    """The fingerprint is the issuing installation's: the same template issued elsewhere (another key)
    is not this installation's template."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    issued = _cli(elsewhere, "templates", "--round", ROUND, "--unit", "121", "--out", str(elsewhere / "mau"))
    assert issued.returncode == 0
    template = next((elsewhere / "mau" / ROUND).glob("*.xlsx"))
    (tmp_path / "inbox").mkdir()
    fill_template(template, tmp_path / "inbox" / "bac-yen.xlsx",
                  sample_values(plan, plan.round(ROUND), plan.unit("121"), with_previous=True))
    assert _cli(tmp_path, "run").returncode == 1
    with sqlite3.connect(tmp_path / "ledger.sqlite") as db:
        assert db.execute("SELECT code FROM finding").fetchall() == [("template-fingerprint-mismatch",)]


@pytest.mark.parametrize("strip_identity", [True, False], ids=["titles-only", "bare-digest"])
def test_a_forged_file_from_a_stranger_is_held_until_the_officer_confirms(plan, plan_copy, tmp_path, strip_identity):
    plan_dir = _registered(plan_copy)
    forged = _public_copy(plan, tmp_path, strip_identity=strip_identity)
    _mail(tmp_path, "1-forged.eml", forged, STRANGER, 1)

    result = _cli(tmp_path, "run", plan_dir=plan_dir)

    assert result.returncode == 1, result.stderr  # something waits on the officer
    assert _statuses(tmp_path) == [(1, "125", "held")]  # the attachment; the e-mail itself is record 2
    assert "CHỜ XÁC NHẬN: bản ghi số 1 – tệp «mai-son.xlsx» gửi từ ke.gia.mao@example.com, nhận dạng là báo " \
           "cáo của Mai Sơn (kỳ 2024-annual), chưa được tính." in result.stdout
    assert "run_pipeline.py confirm --record 1 (tính)" in result.stdout
    assert "Có tệp chờ xác nhận (chưa tính): Mai Sơn." in result.stdout and "Đã báo cáo: 0/12" in result.stdout
    how = "tệp chỉ được nhận dạng theo tiêu đề" if strip_identity else "dấu nhận dạng của tệp là loại cũ"
    drafts = list((tmp_path / "outbox").rglob("*_chua-xac-minh.eml"))
    assert len(drafts) == 1 and not list((tmp_path / "outbox").rglob("*_thu-tra-loi.eml"))
    subject = email.message_from_bytes(drafts[0].read_bytes(), policy=email.policy.default)["Subject"]
    assert subject == "Re: Báo cáo Dự án 8 – mai-son.xlsx: chờ xác nhận"
    letter = next((tmp_path / "outbox").rglob("*mai-son_phan-hoi.txt")).read_text(encoding="utf-8")
    assert "ĐÃ NHẬN, CHỜ XÁC NHẬN" in letter and how in letter and "CHƯA được tính vào số liệu" in letter

    status = _cli(tmp_path, "status", "--today", "2024-09-09", plan_dir=plan_dir)
    assert "CHỜ XÁC NHẬN: bản ghi số 1" in status.stdout

    confirmed = _cli(tmp_path, "confirm", "--record", "1", "--today", "2024-09-09", plan_dir=plan_dir)
    assert confirmed.returncode == 0, confirmed.stderr
    assert "Đã xác nhận tệp «mai-son.xlsx» (bản ghi số 1) là báo cáo của Mai Sơn" in confirmed.stdout
    assert _statuses(tmp_path) == [(1, "125", "accepted_with_warnings")]
    status = _cli(tmp_path, "status", "--today", "2024-09-09", plan_dir=plan_dir)
    assert "Đã báo cáo: 1/12" in status.stdout and "CHỜ XÁC NHẬN" not in status.stdout
    again = _cli(tmp_path, "confirm", "--record", "1", plan_dir=plan_dir)
    assert again.returncode == 2 and "không ở trạng thái chờ xác nhận" in again.stderr


def test_a_held_file_can_be_rejected_and_an_approved_round_refuses_confirmation(plan, plan_copy, tmp_path):
    plan_dir = _registered(plan_copy)
    forged = _public_copy(plan, tmp_path, strip_identity=False)
    _mail(tmp_path, "1-forged.eml", forged, STRANGER, 1)
    _mail(tmp_path, "2-forged.eml", forged[:-1] + forged[-1:], STRANGER.upper(), 2)  # same bytes: a duplicate
    assert _cli(tmp_path, "run", plan_dir=plan_dir).returncode == 1
    assert [s for _, _, s in _statuses(tmp_path)] == ["held", "duplicate"]

    rejected = _cli(tmp_path, "confirm", "--record", "1", "--reject", "--today", "2024-09-09", plan_dir=plan_dir)
    assert rejected.returncode == 0 and "là trả lại: không tính vào số liệu của Mai Sơn" in rejected.stdout
    assert [s for _, _, s in _statuses(tmp_path)] == ["rejected", "duplicate"]

    _mail(tmp_path, "3-forged-again.eml", _public_copy(plan, tmp_path / "b", strip_identity=True), STRANGER, 3)
    assert _cli(tmp_path, "run", plan_dir=plan_dir).returncode == 1
    assert _cli(tmp_path, "approve", "--round", ROUND, "--today", "2024-09-21", plan_dir=plan_dir).returncode == 0
    held = _statuses(tmp_path)[-1][0]
    refused = _cli(tmp_path, "confirm", "--record", str(held), plan_dir=plan_dir)
    assert refused.returncode == 2 and "đã chốt số liệu" in refused.stderr and "reopen" in refused.stderr


@pytest.mark.parametrize("how", ["registered-address", "dropped-by-the-officer"])
def test_an_unproven_file_from_a_registered_address_or_the_officer_counts(plan, plan_copy, tmp_path, how):
    plan_dir = _registered(plan_copy)
    forged = _public_copy(plan, tmp_path, strip_identity=True)
    if how == "registered-address":
        _mail(tmp_path, "1.eml", forged, REGISTERED, 1)
    else:
        (tmp_path / "inbox").mkdir()
        (tmp_path / "inbox" / "mai-son.xlsx").write_bytes(forged)
    assert _cli(tmp_path, "run", plan_dir=plan_dir).returncode == 0
    assert [s for _, _, s in _statuses(tmp_path)] == ["accepted_with_warnings"]

"""Real mail servers for the tests, on 127.0.0.1: Dovecot (IMAP) started from a configuration of the
test's own, an SMTP server (aiosmtpd) that keeps what it receives, and a proxy that cuts an IMAP
connection after a given number of bytes from the server."""

from __future__ import annotations

import contextlib
import imaplib
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from email.utils import parsedate_to_datetime
from pathlib import Path

USER, PASSWORD = "duan8@example.vn", "mat-khau-thu"

CONFIG = """protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(port: int, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


class Dovecot:
    """One Dovecot on a free port, with one mailbox (USER); stopped with `stop`."""

    def __init__(self, binary: str):
        # Outside pytest's private temporary folder: the mail user must be able to reach its home.
        self.root = Path(tempfile.mkdtemp(prefix="p8-dovecot-"))
        self.root.chmod(0o755)
        account = pwd.getpwnam("dovecot") if _has_user("dovecot") else pwd.getpwnam("nobody")
        for folder in ("run", "state", "home"):
            (self.root / folder).mkdir()
        shutil.chown(self.root / "home", account.pw_uid, account.pw_gid)
        (self.root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n", encoding="utf-8")
        self.port = free_port()
        conf = self.root / "dovecot.conf"
        conf.write_text(CONFIG.format(root=self.root, uid=account.pw_uid, gid=account.pw_gid, port=self.port),
                        encoding="utf-8")
        self.process = subprocess.Popen([binary, "-F", "-c", str(conf)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE)
        wait_for(self.port)

    def client(self) -> imaplib.IMAP4:
        imap = imaplib.IMAP4("127.0.0.1", self.port, timeout=30)
        imap.login(USER, PASSWORD)
        return imap

    def deliver(self, *messages: bytes) -> None:
        """Each message as the server receives it: its INTERNALDATE is the message's own Date header
        (a fixed moment, so the tests' names and dates do not move), or now when it has none."""
        imap = self.client()
        for message in messages:
            found = re.search(rb"^Date: ([^\r\n]+)", message, re.M)
            when = None
            if found:
                with contextlib.suppress(TypeError, ValueError):
                    when = imaplib.Time2Internaldate(parsedate_to_datetime(found.group(1).decode()))
            status, _ = imap.append("INBOX", None, when, message)
            assert status == "OK"
        imap.logout()

    def snapshot(self) -> list[tuple[int, bytes]]:
        """Every message's UID and flags, as another mail program would see them."""
        imap = self.client()
        imap.select("INBOX", readonly=True)
        _, data = imap.uid("FETCH", "1:*", "(FLAGS)")
        imap.logout()
        return [(int(line.split(b"UID ")[1].split()[0].rstrip(b")")), line.split(b"FLAGS ")[1])
                for line in data if isinstance(line, bytes)]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.root, ignore_errors=True)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


class CuttingProxy:
    """Forwards one client at a time to `port`, and cuts the connection once the server has sent more
    than `limit` bytes, as a network that drops midway."""

    def __init__(self, port: int, limit: int):
        self.target, self.limit = port, limit
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.cut = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            client, _ = self.listener.accept()
            server = socket.create_connection(("127.0.0.1", self.target))
            threading.Thread(target=self._pump, args=(client, server, None), daemon=True).start()
            self._pump(server, client, self.limit)

    def _pump(self, source: socket.socket, sink: socket.socket, limit: int | None) -> None:
        sent = 0
        with contextlib.suppress(OSError):
            while chunk := source.recv(4096):
                if limit is not None and sent + len(chunk) > limit:
                    sink.sendall(chunk[: max(0, limit - sent)])
                    self.cut.set()
                    break
                sink.sendall(chunk)
                sent += len(chunk)
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()

    def close(self) -> None:
        self.listener.close()

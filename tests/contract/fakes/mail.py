"""Real mail servers on 127.0.0.1 for the e-mail tests: Dovecot holding the inbox (IMAP) and
an ``aiosmtpd`` server receiving what deskroute sends (SMTP, optionally TLS and AUTH).

Dovecot runs from a private configuration in a temporary directory (its own base_dir, a
passwd-file user, Maildir storage), so it touches nothing system-wide; as root it drops to
Debian's ``dovecot``/``dovenull`` users like the packaged service does.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Any

from tests.conftest import missing_service
from tests.helpers_http import free_port

IMAP_USER = "support@shop.example"
IMAP_PASSWORD = "imap-Pa55-for-tests-only"
SMTP_USER = "deskroute-relay"
SMTP_PASSWORD = "smtp-Pa55-for-tests-only"
FROM = "Shop Support <support@shop.example>"
ESCALATE_TO = "team@shop.example"


# --- messages -------------------------------------------------------------------------------


def mail(body: str, *, subject: str = "Question", sender: str = "Ann <ann@customer.example>",
         to: str = FROM, message_id: str | None = None, in_reply_to: str | None = None,
         references: list[str] | None = None, headers: dict[str, str] | None = None,
         html: str | None = None) -> bytes:
    """A customer's message (or, with ``sender`` and ``to``, an agent's) as raw RFC 5322
    bytes."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = f"<{message_id or os.urandom(6).hex() + '@customer.example'}>"
    if in_reply_to:
        msg["In-Reply-To"] = f"<{in_reply_to}>"
    if references:
        msg["References"] = " ".join(f"<{r}>" for r in references)
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg.as_bytes(policy=email.policy.SMTP)


# --- IMAP: Dovecot --------------------------------------------------------------------------


def dovecot_binary() -> str:
    found = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists()
                                        else None)
    if found is None:
        missing_service("Dovecot (Debian package dovecot-imapd)")
    assert found is not None
    return found


class Dovecot:
    """``with Dovecot() as imap:`` — an IMAP server on 127.0.0.1 with one user.

    Its files live in a directory of its own, not under pytest's ``tmp_path``: as root the
    mail processes run as the ``dovecot`` user, which must reach them, and pytest (any run on
    the machine) resets its base directory to mode 0700.
    """

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="deskroute-dovecot-"))
        self.port = free_port()
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"imap://127.0.0.1:{self.port}/INBOX"

    def _config(self) -> Path:
        r = self.root
        (r / "run").mkdir(parents=True, exist_ok=True)
        (r / "mail").mkdir(exist_ok=True)
        (r / "passwd").write_text(f"{IMAP_USER}:{{PLAIN}}{IMAP_PASSWORD}::::::\n")
        if os.getuid() == 0:  # Dovecot will not run mail or login processes as root
            mail_user = pwd.getpwnam("dovecot")
            uid, gid = mail_user.pw_uid, mail_user.pw_gid
            internal, login = "dovecot", "dovenull"
            os.chown(r / "mail", uid, gid)
            r.chmod(0o711)  # the mail user reaches its home and the passwd-file
        else:
            uid, gid = os.getuid(), os.getgid()
            internal = login = pwd.getpwuid(uid).pw_name
        conf = r / "dovecot.conf"
        conf.write_text(f"""
base_dir = {r}/run
state_dir = {r}/run/state
log_path = {r}/dovecot.log
instance_name = deskroute-test-{self.port}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_internal_group = {internal}
default_login_user = {login}
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {r}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={r}/mail/%n
}}
mail_location = maildir:~/Maildir
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
""")
        return conf

    def __enter__(self) -> Dovecot:
        conf = self._config()
        self._proc = subprocess.Popen([dovecot_binary(), "-F", "-c", str(conf)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                err = self._proc.stderr.read().decode() if self._proc.stderr else ""
                raise RuntimeError(f"dovecot exited: {err.strip()[:500]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    if s.recv(100).startswith(b"* OK"):
                        return self
            except OSError:
                time.sleep(0.1)
        self.__exit__()
        raise RuntimeError("dovecot did not start listening")

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def _box(self) -> Any:
        from imap_tools import MailBoxUnencrypted

        return MailBoxUnencrypted("127.0.0.1", self.port, timeout=10).login(
            IMAP_USER, IMAP_PASSWORD, initial_folder=None)

    def deliver(self, raw: bytes, folder: str = "INBOX", seen: bool = False) -> int:
        """Put a message in the folder (IMAP APPEND); its UID."""
        with self._box() as box:
            _, data = box.append(raw, folder, dt=dt.datetime.now(dt.UTC),
                                 flag_set=[r"\Seen"] if seen else None)
        # [APPENDUID <uidvalidity> <uid>] (UIDPLUS)
        return int(data[0].decode().split("APPENDUID", 1)[1].split()[1].rstrip("]"))

    def seen(self, folder: str = "INBOX") -> set[int]:
        with self._box() as box:
            box.folder.set(folder)
            return {int(u) for u in box.uids("SEEN")}

    def status(self, folder: str = "INBOX") -> dict[str, int]:
        with self._box() as box:
            return dict(box.folder.status(folder))

    def recreate(self, folder: str) -> None:
        """Delete and create ``folder`` again: a new UIDVALIDITY, UIDs start over."""
        with self._box() as box:
            if box.folder.exists(folder):
                box.folder.delete(folder)
            box.folder.create(folder)


# --- SMTP: aiosmtpd -------------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def msg(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def text(self) -> str:
        body = self.msg.get_body(preferencelist=("plain",))
        return body.get_content() if body is not None else ""


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1/localhost and its key (the CA file the client trusts)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class FakeSMTP:
    """``with FakeSMTP() as smtp:`` — records every message; ``fail_next(stage, reply)``
    answers the next RCPT or DATA with an SMTP error (``"451 4.7.1 try later"``)."""

    def __init__(self, tls: str = "none", cert: tuple[Path, Path] | None = None,
                 auth: bool = False) -> None:
        import ssl

        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        self.messages: list[Received] = []
        self.logins: list[str] = []
        self.faults: deque[tuple[str, str]] = deque()
        self.tls = tls
        self.port = free_port()
        self._lock = threading.Lock()
        outer = self

        class Handler:
            async def handle_RCPT(self, server: Any, session: Any, envelope: Any,  # noqa: N802
                                  address: str, rcpt_options: list[str]) -> str:
                fault = outer._fault("RCPT")
                if fault:
                    return fault
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server: Any, session: Any,  # noqa: N802
                                  envelope: Any) -> str:
                fault = outer._fault("DATA")
                if fault:
                    return fault
                with outer._lock:
                    outer.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                                   bytes(envelope.original_content)))
                return "250 2.0.0 Message accepted"

        def authenticator(server: Any, session: Any, envelope: Any, mechanism: str,
                          data: Any) -> Any:
            ok = isinstance(data, LoginPassword) and data.login == SMTP_USER.encode() \
                and data.password == SMTP_PASSWORD.encode()
            if ok:
                outer.logins.append(data.login.decode())
            return AuthResult(success=ok, handled=False)

        context = None
        if tls != "none":
            assert cert is not None
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(cert[0]), str(cert[1]))
        kwargs: dict[str, Any] = {}
        if auth:
            kwargs.update(authenticator=authenticator, auth_required=True,
                          # implicit TLS is below aiosmtpd: it only sees STARTTLS
                          auth_require_tls=tls == "starttls")
        if tls == "starttls":
            kwargs.update(tls_context=context, require_starttls=True)
        self._controller = Controller(
            Handler(), hostname="127.0.0.1", port=self.port,
            ssl_context=context if tls == "ssl" else None, **kwargs)

    def _fault(self, stage: str) -> str | None:
        with self._lock:
            if self.faults and self.faults[0][0] == stage:
                return self.faults.popleft()[1]
        return None

    def fail_next(self, stage: str, reply: str, times: int = 1) -> None:
        with self._lock:
            self.faults.extend([(stage, reply)] * times)

    @property
    def url(self) -> str:
        scheme = {"none": "smtp", "starttls": "smtp+starttls", "ssl": "smtps"}[self.tls]
        return f"{scheme}://127.0.0.1:{self.port}"

    def __enter__(self) -> FakeSMTP:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()

    def wait_for(self, n: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.messages) >= n:
                    return list(self.messages)
            time.sleep(0.05)
        with self._lock:
            return list(self.messages)

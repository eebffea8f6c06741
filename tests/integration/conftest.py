"""Fixtures for the black-box integration tests of the `parley` binary.

Every test talks to a real `parley` process over real HTTP; mail goes through a real SMTP
server (aiosmtpd) running inside the test process.

Fixtures
- `smtp_sink`  session-scoped SMTP server collecting messages in memory
               (`wait_for_mail`, `wait_for_code`, `count`, `assert_no_mail`).
- `parley`     function-scoped factory for dedicated servers:
               `srv = parley(name="otp-ttl", PARLEY_OTP_TTL_S="1")`; `data_dir=` reuses a data dir.
               Every server is stopped with SIGTERM at teardown and must exit 0 within 15 s
               without sanitizer reports.
- `server`     the shared default server of the session. Tests that use it (through `client`)
               only use unique e-mails/usernames (`unique_name()`), so they do not interfere.
- `client`     a `Client` for the shared server.

When a test fails, the log tail of every server it used is attached to the report.
"""
from __future__ import annotations

import base64
import email
import email.policy
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from aiosmtpd.controller import Controller

REPO_ROOT = Path(__file__).resolve().parents[2]

READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0
MAIL_TIMEOUT_S = 10.0
HTTP_TIMEOUT_S = 20.0

DEFAULT_PASSWORD = "correct horse battery"
MAIL_FROM = "parley-test@example.com"
CODE_RE = re.compile(r"(?<!\d)(\d{6})(?!\d)")
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "SUMMARY: UndefinedBehaviorSanitizer", "WARNING: ThreadSanitizer")

FAST_ARGON2 = {"PARLEY_ARGON2_OPSLIMIT": "1", "PARLEY_ARGON2_MEMLIMIT_KIB": "8192"}

# Settings every test server gets unless the test overrides them: cheap Argon2, and the IP and
# account rate limits and the resend cooldown lifted so that only the tests dedicated to them
# (each with its own server) hit them.
DEFAULT_ENV = {
    **FAST_ARGON2,
    "PARLEY_RATE_IP_PER_MIN": "1000",
    "PARLEY_RATE_ACCOUNT_PER_MIN": "1000",
    "PARLEY_OTP_RESEND_COOLDOWN_S": "0",
    "PARLEY_MAIL_FROM": MAIL_FROM,
    "PARLEY_LOG_LEVEL": "debug",
}


# --------------------------------------------------------------------------- small helpers


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unique_name(prefix: str = "u") -> str:
    """`prefix` + 12 random hex digits: a valid, unique username when prefix starts with a letter."""
    return f"{prefix}{uuid.uuid4().hex[:12]}"


def parley_bin() -> Path:
    path = Path(os.environ.get("PARLEY_BIN", "build/asan/bin/parley"))
    return path if path.is_absolute() else REPO_ROOT / path


def clean_env(env: dict | None = None) -> dict:
    """This process's environment without PARLEY_* variables (the server refuses unknown settings,
    e.g. PARLEY_BIN, with exit status 2), plus `env`."""
    out = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    out.update({k: str(v) for k, v in (env or {}).items()})
    return out


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt_parts(token: str) -> tuple[dict, dict, str]:
    """(header, payload, signature as base64url text) of a compact JWS."""
    h, p, s = token.split(".")
    return json.loads(b64url_decode(h)), json.loads(b64url_decode(p)), s


def describe(resp: requests.Response) -> str:
    return (f"{resp.request.method} {resp.request.url} -> {resp.status_code} "
            f"[{resp.headers.get('Content-Type')}] {resp.text[:600]!r}")


def assert_error(resp: requests.Response, status: int, code=None) -> dict:
    """Asserts the status and the envelope {"error":{"code","message"}}; `code` may be a string or a
    collection of accepted codes. Returns the inner error object."""
    assert resp.status_code == status, f"expected {status}: {describe(resp)}"
    try:
        body = resp.json()
    except ValueError:
        raise AssertionError(f"error body is not JSON: {describe(resp)}") from None
    assert isinstance(body, dict) and set(body) == {"error"}, f"not an error envelope: {describe(resp)}"
    err = body["error"]
    assert isinstance(err, dict) and {"code", "message"} <= set(err), f"not an error envelope: {describe(resp)}"
    assert isinstance(err["code"], str) and re.fullmatch(r"[a-z][a-z0-9_]*", err["code"]), describe(resp)
    assert isinstance(err["message"], str) and err["message"].strip(), describe(resp)
    if code is not None:
        accepted = {code} if isinstance(code, str) else set(code)
        assert err["code"] in accepted, f"expected code {sorted(accepted)}: {describe(resp)}"
    return err


# --------------------------------------------------------------------------- SMTP sink


@dataclass
class Mail:
    mail_from: str
    rcpt_tos: list
    message: email.message.EmailMessage
    received_at: float

    @property
    def subject(self) -> str:
        return str(self.message.get("Subject", ""))

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain", "html")) or self.message
        return part.get_content()

    @property
    def code(self) -> str:
        codes = CODE_RE.findall(self.text)
        assert codes, f"no 6-digit code in the mail to {self.rcpt_tos}: {self.text!r}"
        return codes[0]


class SmtpSink:
    """An aiosmtpd server on 127.0.0.1 that keeps every message in memory."""

    def __init__(self):
        self.mails: list[Mail] = []
        self._cond = threading.Condition()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd hook)
        raw = envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode()
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        mail = Mail(envelope.mail_from, [r.lower() for r in envelope.rcpt_tos], msg, time.time())
        with self._cond:
            self.mails.append(mail)
            self._cond.notify_all()
        return "250 OK"

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def _to(self, address: str) -> list[Mail]:
        address = address.strip().lower()
        return [m for m in self.mails if address in m.rcpt_tos]

    def count(self, address: str) -> int:
        with self._cond:
            return len(self._to(address))

    def wait_for_mail(self, address: str, since: int = 0, timeout: float = MAIL_TIMEOUT_S) -> Mail:
        """The first mail to `address` after the first `since` ones, waiting up to `timeout` s."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = self._to(address)
                if len(found) > since:
                    return found[since]
                left = deadline - time.monotonic()
                if left <= 0:
                    recent = [m.rcpt_tos for m in self.mails[-5:]]
                    raise AssertionError(f"no mail #{since + 1} to {address} within {timeout} s "
                                         f"(got {len(found)}; last recipients: {recent})")
                self._cond.wait(left)

    def wait_for_code(self, address: str, since: int = 0, timeout: float = MAIL_TIMEOUT_S) -> str:
        return self.wait_for_mail(address, since, timeout).code

    def assert_no_mail(self, address: str, since: int = 0, wait: float = 1.0):
        time.sleep(wait)
        found = self._to(address)
        assert len(found) <= since, f"unexpected mail to {address}: {[m.subject for m in found[since:]]}"


@pytest.fixture(scope="session")
def smtp_sink():
    sink = SmtpSink()
    sink.controller.start()
    yield sink
    sink.controller.stop()


# --------------------------------------------------------------------------- server process


class ParleyServer:
    host = "127.0.0.1"

    def __init__(self, name: str, workdir: Path, env: dict, data_dir: Path | None = None):
        self.name = name
        self.workdir = workdir
        self.data_dir = Path(data_dir) if data_dir else workdir / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = workdir / "parley.log"
        self.env = dict(env)
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.returncode: int | None = None
        self._checked = False

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:]) or "<empty log>"

    def start(self) -> "ParleyServer":
        binary = parley_bin()
        if not binary.exists():
            pytest.fail(f"parley binary not found at {binary} (build it or set PARLEY_BIN)", pytrace=False)
        why = ""
        for _ in range(3):  # the probed port can be taken before the server binds it
            self.port = free_port()
            env = clean_env({**self.env, "PARLEY_LISTEN": f"{self.host}:{self.port}",
                             "PARLEY_DATA_DIR": str(self.data_dir)})
            with open(self.log_path, "ab") as log:
                log.write(f"--- test harness: starting {binary} on port {self.port}\n".encode())
                log.flush()
                self.proc = subprocess.Popen([str(binary)], env=env, stdin=subprocess.DEVNULL, stdout=log,
                                             stderr=log, cwd=self.workdir, start_new_session=True)
            ok, why = self._wait_ready()
            if ok:
                return self
            if self.proc.poll() is None:  # alive but never ready: no point in retrying
                self.proc.kill()
                self.proc.wait(timeout=10)
                break
            if "in use" not in self.log_text().lower():
                break
        self.returncode = self.proc.returncode if self.proc else None
        self._checked = True
        raise AssertionError(f"parley '{self.name}' did not become ready: {why}\n{self.log_tail()}")

    def _wait_ready(self) -> tuple[bool, str]:
        deadline = time.monotonic() + READY_TIMEOUT_S
        last = "no answer"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False, f"exited with status {self.proc.returncode}"
            try:
                r = requests.get(self.url("/readyz"), timeout=2)
                if r.status_code == 200:
                    return True, ""
                last = f"/readyz answered {r.status_code}"
            except requests.RequestException as e:
                last = type(e).__name__
            time.sleep(0.1)
        return False, f"not ready after {READY_TIMEOUT_S:.0f} s ({last})"

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> int:
        """SIGTERM and wait; returns the exit status. Kills and raises when it does not exit in time."""
        if self.returncode is not None or self.proc is None:
            return self.returncode if self.returncode is not None else 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
                self.returncode = self.proc.returncode
                raise AssertionError(f"parley '{self.name}' did not exit within {timeout:.0f} s of SIGTERM\n"
                                     f"{self.log_tail()}") from None
        self.returncode = self.proc.returncode
        return self.returncode

    def stop_and_check(self):
        """SIGTERM → exit status 0 within 15 s, and no sanitizer report in the log."""
        if self._checked:
            return
        self._checked = True
        code = self.stop()
        assert code == 0, f"parley '{self.name}' exited with status {code} after SIGTERM\n{self.log_tail()}"
        log = self.log_text()
        reports = [m for m in SANITIZER_MARKERS if m in log]
        assert not reports, f"parley '{self.name}' logged sanitizer reports {reports}\n{self.log_tail(120)}"


class ServerFactory:
    def __init__(self, tmp_path_factory, smtp_sink: SmtpSink):
        self.tmp_path_factory = tmp_path_factory
        self.smtp_sink = smtp_sink
        self.servers: list[ParleyServer] = []

    def __call__(self, name: str = "parley", data_dir: Path | None = None, smtp: bool = True,
                 **settings) -> ParleyServer:
        env = dict(DEFAULT_ENV)
        env["PARLEY_SMTP_URL"] = self.smtp_sink.url if smtp else ""
        env.update({k: str(v) for k, v in settings.items()})
        srv = ParleyServer(name, self.tmp_path_factory.mktemp(re.sub(r"[^A-Za-z0-9_-]", "_", name)), env, data_dir)
        self.servers.append(srv)
        return srv.start()

    def parley_servers(self) -> list[ParleyServer]:
        return self.servers

    def close(self):
        problems = []
        for srv in self.servers:
            try:
                srv.stop_and_check()
            except AssertionError as e:
                problems.append(str(e))
        assert not problems, "\n\n".join(problems)


@pytest.fixture
def parley(tmp_path_factory, smtp_sink):
    factory = ServerFactory(tmp_path_factory, smtp_sink)
    yield factory
    factory.close()


@pytest.fixture(scope="session")
def _session_servers(tmp_path_factory, smtp_sink):
    factory = ServerFactory(tmp_path_factory, smtp_sink)
    yield factory
    factory.close()


@pytest.fixture(scope="session")
def server(_session_servers) -> ParleyServer:
    """The shared default server."""
    return _session_servers(name="shared")


# --------------------------------------------------------------------------- API client


@dataclass
class Account:
    email: str
    username: str
    password: str
    user_id: str
    display_name: str | None = None
    tokens: dict = field(default_factory=dict)

    @property
    def access(self) -> str:
        return self.tokens["access_token"]

    @property
    def refresh_token(self) -> str:
        return self.tokens["refresh_token"]


_UNSET = object()


class Client:
    """Thin HTTP client for one server; every call returns the `requests.Response` unless noted."""

    def __init__(self, srv: ParleyServer, smtp_sink: SmtpSink | None = None):
        self.server = srv
        self.smtp = smtp_sink
        self.http = requests.Session()

    def parley_servers(self) -> list[ParleyServer]:
        return [self.server]

    def request(self, method: str, path: str, *, token: str | None = None, json=_UNSET, data=None,
                headers: dict | None = None, params=None, timeout: float = HTTP_TIMEOUT_S) -> requests.Response:
        h = dict(headers or {})
        if token is not None:
            h.update(bearer(token))
        kwargs = {"headers": h, "params": params, "timeout": timeout}
        if json is not _UNSET:
            kwargs["json"] = json
        if data is not None:
            kwargs["data"] = data
        return self.http.request(method, self.server.url(path), **kwargs)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    # --- auth calls

    def register(self, email: str, username: str, password: str = DEFAULT_PASSWORD,
                 display_name: str | None = None) -> requests.Response:
        body = {"email": email, "username": username, "password": password}
        if display_name is not None:
            body["display_name"] = display_name
        return self.post("/api/v1/auth/register", json=body)

    def verify(self, email: str, code: str) -> requests.Response:
        return self.post("/api/v1/auth/verify", json={"email": email, "code": code})

    def refresh(self, refresh_token: str) -> requests.Response:
        return self.post("/api/v1/auth/refresh", json={"refresh_token": refresh_token})

    def login(self, email: str, password: str) -> dict:
        """Logs in, asserting 200; returns the token response."""
        r = self.post("/api/v1/auth/login", json={"email": email, "password": password})
        assert r.status_code == 200, f"login failed: {describe(r)}"
        return r.json()

    def register_and_verify(self, email: str | None = None, username: str | None = None,
                            password: str = DEFAULT_PASSWORD, display_name: str | None = None) -> Account:
        assert self.smtp is not None, "this Client has no SMTP sink"
        username = username or unique_name()
        email = email or f"{username}@example.com"
        normalized = email.strip().lower()
        since = self.smtp.count(normalized)
        r = self.register(email, username, password, display_name)
        assert r.status_code == 201, f"register failed: {describe(r)}"
        user_id = r.json()["user_id"]
        code = self.smtp.wait_for_code(normalized, since=since)
        r = self.verify(normalized, code)
        assert r.status_code == 200, f"verify failed: {describe(r)}"
        return Account(normalized, username.lower(), password, user_id, display_name)

    def new_user(self, **kw) -> Account:
        """A registered, verified and logged-in account."""
        acct = self.register_and_verify(**kw)
        acct.tokens = self.login(acct.email, acct.password)
        return acct


@pytest.fixture(scope="session")
def client(server, smtp_sink) -> Client:
    return Client(server, smtp_sink)


# --------------------------------------------------------------------------- failure reports


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    seen = set()
    for value in getattr(item, "funcargs", {}).values():
        if isinstance(value, ParleyServer):
            servers = [value]
        elif callable(getattr(value, "parley_servers", None)):
            servers = value.parley_servers()
        else:
            continue
        for srv in servers:
            if id(srv) not in seen:
                seen.add(id(srv))
                report.sections.append((f"parley '{srv.name}' log tail ({srv.log_path})", srv.log_tail()))

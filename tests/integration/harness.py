"""Test harness for Parley black-box integration tests (fixtures are re-exported by conftest.py).

The tests drive the real `parley` binary (PARLEY_BIN, default build/asan/bin/parley) over
real HTTP, with mail delivered to an in-memory SMTP sink (aiosmtpd).

Fixtures:
- `smtp_sink` (session): aiosmtpd server on 127.0.0.1; `wait_for_code(addr, since=n)`.
- `parley` (function): factory for dedicated servers, `parley(PARLEY_OTP_TTL_S="1")`;
  `parley.restart(srv)` starts a server again on the data dir and address of one that stopped
  or was killed with `srv.crash()` (SIGKILL).
- `server` (module): one default server shared by the tests of a module.
- `client` (module): a `Client` bound to `server`, with `register_and_verify`, `new_user`, ...
Every server is stopped with SIGTERM at teardown; exit code 0 within 15 s is asserted, and so
is the absence of sanitizer reports in its log (not for a server a test crashed on purpose).
Failing tests get the log tails attached.
"""
from __future__ import annotations

import base64
import email
import email.policy
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
from aiosmtpd.controller import Controller

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BIN = REPO_ROOT / "build" / "asan" / "bin" / "parley"

READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0
MAIL_TIMEOUT_S = 10.0
HTTP_TIMEOUT_S = 15.0

# Argon2 parameters that keep the sanitizer build fast.
FAST_ARGON2 = {"PARLEY_ARGON2_OPSLIMIT": "1", "PARLEY_ARGON2_MEMLIMIT_KIB": "8192"}

CODE_RE = re.compile(r"(?<!\d)(\d{6})(?!\d)")

# Servers currently running; their log tails are attached to failing test reports.
_RUNNING: list["ParleyServer"] = []


# --------------------------------------------------------------------------- helpers

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unique_name(prefix: str = "u") -> str:
    """A valid, unique username: starts with a letter, [a-z0-9_], <= 32 chars."""
    return f"{prefix}{uuid.uuid4().hex[:12]}"


def b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def jwt_parts(token: str) -> tuple[dict, dict, str]:
    """(header, payload, signature as base64url text)."""
    h, p, s = token.split(".")
    return json.loads(b64url_decode(h)), json.loads(b64url_decode(p)), s


def describe(resp: requests.Response) -> str:
    return (f"{resp.request.method} {resp.request.url} -> {resp.status_code} "
            f"{resp.headers.get('Content-Type')} {resp.text[:500]!r}")


def assert_error(resp: requests.Response, status: int, code: str | set | tuple | None = None) -> dict:
    """Assert that `resp` is an error with the documented envelope (and, if given, one of the
    codes `code`); return the inner error."""
    assert resp.status_code == status, f"expected {status} {code or ''}: {describe(resp)}"
    try:
        body = resp.json()
    except ValueError:
        pytest.fail(f"error response is not JSON: {describe(resp)}")
    assert isinstance(body, dict) and set(body) == {"error"}, f"bad error envelope: {describe(resp)}"
    err = body["error"]
    assert isinstance(err, dict), f"bad error envelope: {describe(resp)}"
    assert isinstance(err.get("code"), str) and re.fullmatch(r"[a-z][a-z0-9_]*", err["code"]), describe(resp)
    assert isinstance(err.get("message"), str) and err["message"].strip(), describe(resp)
    if code is not None:
        allowed = {code} if isinstance(code, str) else set(code)
        assert err["code"] in allowed, f"expected code {' or '.join(sorted(allowed))}: {describe(resp)}"
    return err


def parallel(fn, items, timeout: float = 60) -> None:
    """Runs fn(item) for every item, each on its own thread, and waits for all; fails with
    the first exceptions they raised."""
    errors: list[str] = []

    def run(item):
        try:
            fn(item)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(f"{item}: {e!r}")

    threads = [threading.Thread(target=run, args=(item,), daemon=True) for item in items]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), f"still running after {timeout} s"
    assert not errors, errors[:3]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


# --------------------------------------------------------------------------- SMTP sink

class Mail:
    def __init__(self, rcpts: set[str], mail_from: str, message, raw: bytes):
        self.rcpts = rcpts
        self.mail_from = mail_from
        self.message = message
        self.raw = raw

    @property
    def subject(self) -> str:
        return str(self.message.get("Subject", ""))

    @property
    def text(self) -> str:
        parts = []
        for part in self.message.walk():
            if part.get_content_maintype() == "text":
                parts.append(part.get_content())
        return "\n".join(parts)

    @property
    def code(self) -> str:
        for text in (self.text, self.subject):
            m = CODE_RE.search(text)
            if m:
                return m.group(1)
        raise AssertionError(f"no 6-digit code in mail: subject={self.subject!r} body={self.text!r}")


class _Handler:
    def __init__(self, sink: "SmtpSink"):
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        rcpts = {r.strip().lower() for r in envelope.rcpt_tos}
        self.sink._add(Mail(rcpts=rcpts, mail_from=envelope.mail_from, message=msg, raw=raw))
        return "250 OK"


class SmtpSink:
    """In-memory SMTP server collecting every message it receives."""

    def __init__(self):
        self.host = "127.0.0.1"
        self.port = free_port()
        self._mails: list[Mail] = []
        self._cond = threading.Condition()
        self.controller = Controller(_Handler(self), hostname=self.host, port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def _add(self, mail: Mail) -> None:
        with self._cond:
            self._mails.append(mail)
            self._cond.notify_all()

    def mails_to(self, address: str) -> list[Mail]:
        address = address.strip().lower()
        with self._cond:
            return [m for m in self._mails if address in m.rcpts]

    def count(self, address: str) -> int:
        """Number of mails received so far for `address` (pass to wait_for_mail(since=...))."""
        return len(self.mails_to(address))

    def wait_for_mail(self, address: str, since: int = 0, timeout: float = MAIL_TIMEOUT_S) -> Mail:
        """Wait until more than `since` mails arrived for `address`; return the newest."""
        address = address.strip().lower()
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                mails = [m for m in self._mails if address in m.rcpts]
                if len(mails) > since:
                    return mails[-1]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"no new mail for {address} within {timeout}s (have {len(mails)}, "
                        f"waited for more than {since}; recent recipients: "
                        f"{[sorted(m.rcpts) for m in self._mails[-5:]]})")
                self._cond.wait(left)

    def wait_for_code(self, address: str, since: int = 0, timeout: float = MAIL_TIMEOUT_S) -> str:
        return self.wait_for_mail(address, since, timeout).code

    def assert_no_mail(self, address: str, since: int = 0, wait: float = 1.0) -> None:
        time.sleep(wait)
        assert self.count(address) == since, f"unexpected mail for {address}"


@pytest.fixture(scope="session")
def smtp_sink():
    sink = SmtpSink()
    sink.controller.start()
    yield sink
    sink.controller.stop()


# --------------------------------------------------------------------------- server

def parley_bin() -> Path:
    p = Path(os.environ.get("PARLEY_BIN", str(DEFAULT_BIN)))
    if not p.is_absolute():
        p = REPO_ROOT / p
    return p


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The process environment without any PARLEY_* variable (the binary rejects unknown
    ones, e.g. PARLEY_BIN), plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    env.update(extra or {})
    return env


def run_bin(*args: str, env: dict | None = None, timeout: float = 30) -> subprocess.CompletedProcess:
    binary = parley_bin()
    if not binary.exists():
        pytest.fail(f"parley binary not found at {binary} (set PARLEY_BIN)")
    return subprocess.run([str(binary), *args], env=clean_env(env), capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


class ParleyServer:
    def __init__(self, binary: Path, env: dict[str, str], data_dir: Path, log_path: Path, name: str):
        self.binary = binary
        self.env = env
        self.data_dir = data_dir
        self.log_path = log_path
        self.name = name
        host, port = env["PARLEY_LISTEN"].rsplit(":", 1)
        self.host, self.port = host, int(port)
        # With TLS (test_tls.py), https and the server's own certificate as the trusted CA.
        tls_cert = env.get("PARLEY_TLS_CERT_FILE")
        self.base = f"{'https' if tls_cert else 'http'}://{host}:{port}"
        self.verify: str | bool = tls_cert or True
        self.proc: subprocess.Popen | None = None
        self.returncode: int | None = None
        self._log = None

    def url(self, path: str) -> str:
        return self.base + path

    def parley_servers(self) -> list["ParleyServer"]:
        return [self]

    def start(self) -> None:
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [str(self.binary)], env=clean_env(self.env), stdin=subprocess.DEVNULL,
            stdout=self._log, stderr=self._log, cwd=str(self.log_path.parent))
        _RUNNING.append(self)
        deadline = time.monotonic() + READY_TIMEOUT_S
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._forget()
                raise AssertionError(
                    f"parley ({self.name}) exited early with {self.proc.returncode}\n{self.log_tail()}")
            try:
                r = requests.get(self.url("/readyz"), timeout=2, verify=self.verify)
                if r.status_code == 200:
                    return
                last = f"{r.status_code} {r.text[:200]}"
            except requests.RequestException as e:
                last = repr(e)
            time.sleep(0.1)
        self.kill()
        raise AssertionError(f"parley ({self.name}) not ready within {READY_TIMEOUT_S}s ({last})\n"
                             f"{self.log_tail()}")

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:]) or "(empty log)"

    def _forget(self) -> None:
        if self in _RUNNING:
            _RUNNING.remove(self)
        if self._log:
            self._log.close()
            self._log = None

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._forget()

    def crash(self) -> int:
        """SIGKILL, as a crash: the process gets no chance to shut down, and its sanitizer
        teardown checks (leaks, exit code) never run. The factory's teardown does not check
        it either. Returns the exit code (-9)."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.returncode = self.proc.returncode
        self._forget()
        return self.returncode

    def stop(self) -> int:
        """SIGTERM and wait; returns the exit code (kills and fails on timeout)."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.kill()
                self.returncode = self.proc.returncode
                raise AssertionError(
                    f"parley ({self.name}) did not exit within {STOP_TIMEOUT_S}s of SIGTERM\n{self.log_tail()}")
        self.returncode = self.proc.returncode
        self._forget()
        return self.returncode

    def stop_and_check(self) -> None:
        """SIGTERM; assert exit code 0 and no sanitizer report in the log."""
        rc = self.stop()
        log = self.log_text()
        problems = [m for m in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")
                    if m in log]
        assert rc == 0 and not problems, (
            f"parley ({self.name}) exit code {rc} after SIGTERM; sanitizer reports: {problems}\n"
            f"{self.log_tail(120)}")


class ParleyFactory:
    """parley(**{"PARLEY_X": "v"}) starts a server with the default test settings plus overrides."""

    def __init__(self, tmp_root: Path, smtp: SmtpSink | None):
        self.tmp_root = tmp_root
        self.smtp = smtp
        self.servers: list[ParleyServer] = []

    def default_env(self) -> dict[str, str]:
        return {
            "PARLEY_SMTP_URL": self.smtp.url if self.smtp else "",
            "PARLEY_MAIL_FROM": "parley-test@example.com",
            "PARLEY_RATE_IP_PER_MIN": "100000",
            "PARLEY_RATE_ACCOUNT_PER_MIN": "100000",
            "PARLEY_OTP_RESEND_COOLDOWN_S": "0",
            # Tests send frames back to back: the per-connection frame limit would make them
            # depend on the machine's speed. test_ws_limits.py sets it where it is the subject.
            "PARLEY_WS_FRAME_BURST": "1000",
            # Likewise the per-user send limit (test_abuse.py sets it where it is the subject).
            "PARLEY_SEND_PER_MIN": "1000000",
            "PARLEY_SEND_BURST": "100000",
            **FAST_ARGON2,
        }

    def parley_servers(self) -> list[ParleyServer]:
        return list(self.servers)

    def __call__(self, data_dir: Path | None = None, name: str = "parley", **overrides: str) -> ParleyServer:
        binary = parley_bin()
        if not binary.exists():
            pytest.fail(f"parley binary not found at {binary} (set PARLEY_BIN)")
        workdir = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self.tmp_root))
        if data_dir is None:
            data_dir = workdir / "data"
            data_dir.mkdir()
        env = self.default_env()
        env["PARLEY_DATA_DIR"] = str(data_dir)
        env["PARLEY_LISTEN"] = f"127.0.0.1:{free_port()}"
        for k, v in overrides.items():
            assert k.startswith("PARLEY_"), k
            env[k] = str(v)
        srv = ParleyServer(binary, env, data_dir, workdir / "parley.log", name)
        self.servers.append(srv)
        srv.start()
        return srv

    def restart(self, srv: ParleyServer) -> ParleyServer:
        """A new server with `srv`'s settings, data dir and address, once `srv` has stopped
        or crashed (clients reconnect to the same URL). Its log is a new file."""
        assert srv.proc is not None and srv.proc.poll() is not None, "stop or crash it first"
        workdir = Path(tempfile.mkdtemp(prefix=f"{srv.name}-", dir=self.tmp_root))
        new = ParleyServer(srv.binary, dict(srv.env), srv.data_dir, workdir / "parley.log", srv.name)
        self.servers.append(new)
        new.start()
        return new

    def stop_all(self) -> None:
        errors = []
        for srv in self.servers:
            if srv.proc is not None and srv.returncode is None:
                try:
                    srv.stop_and_check()
                except AssertionError as e:
                    errors.append(str(e))
        self.servers.clear()
        if errors:
            pytest.fail("\n\n".join(errors), pytrace=False)


@pytest.fixture(scope="session")
def tmp_root():
    d = Path(tempfile.mkdtemp(prefix="parley-it-"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def parley(tmp_root, smtp_sink):
    """Factory: parley(**{"PARLEY_X": "v"}) starts a dedicated server for one test; stopped
    (SIGTERM, exit code 0 asserted) at teardown."""
    factory = ParleyFactory(tmp_root, smtp_sink)
    yield factory
    factory.stop_all()


@pytest.fixture(scope="module")
def server(tmp_root, smtp_sink):
    """A default server shared by the tests of one module (tests use unique names)."""
    factory = ParleyFactory(tmp_root, smtp_sink)
    srv = factory(name="shared")
    yield srv
    factory.stop_all()


# --------------------------------------------------------------------------- client

class Client:
    """Small HTTP client for the Parley API (one keep-alive session)."""

    def __init__(self, server: ParleyServer, smtp: SmtpSink | None = None):
        self.server = server
        self.smtp = smtp
        self.http = requests.Session()
        self.tls_verify = getattr(server, "verify", True)  # per request: REQUESTS_CA_BUNDLE would win

    def parley_servers(self) -> list[ParleyServer]:
        return [self.server]

    def request(self, method: str, path: str, *, token: str | None = None, headers=None, **kw):
        h = dict(headers or {})
        if token is not None:
            h.update(bearer(token))
        kw.setdefault("timeout", HTTP_TIMEOUT_S)
        kw.setdefault("verify", self.tls_verify)
        return self.http.request(method, self.server.url(path), headers=h, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    # --- auth helpers -----------------------------------------------------------
    def register(self, email: str, username: str, password: str, **extra):
        body = {"email": email, "username": username, "password": password, **extra}
        return self.post("/api/v1/auth/register", json=body)

    def verify(self, email: str, code: str):
        return self.post("/api/v1/auth/verify", json={"email": email, "code": code})

    def login(self, email: str, password: str) -> dict:
        r = self.post("/api/v1/auth/login", json={"email": email, "password": password})
        assert r.status_code == 200, f"login failed: {describe(r)}"
        return r.json()

    def refresh(self, refresh_token: str):
        return self.post("/api/v1/auth/refresh", json={"refresh_token": refresh_token})

    def register_and_verify(self, username: str | None = None, password: str = "correct horse battery",
                            email: str | None = None, **extra) -> "Account":
        assert self.smtp is not None, "register_and_verify needs the SMTP sink"
        username = username or unique_name()
        email = email or f"{username}@example.com"
        since = self.smtp.count(email)
        r = self.register(email, username, password, **extra)
        assert r.status_code == 201, f"register failed: {describe(r)}"
        user_id = r.json()["user_id"]
        code = self.smtp.wait_for_code(email, since=since)
        v = self.verify(email, code)
        assert v.status_code == 200, f"verify failed: {describe(v)}"
        return Account(self, user_id=user_id, email=email.strip().lower(), username=username.lower(),
                       password=password)

    def new_user(self, **kw) -> "Account":
        """Register, verify and log in a fresh user."""
        acct = self.register_and_verify(**kw)
        acct.login()
        return acct


class Account:
    def __init__(self, client: Client, user_id: str, email: str, username: str, password: str):
        self.client = client
        self.user_id = user_id
        self.email = email
        self.username = username
        self.password = password
        self.tokens: dict | None = None

    def login(self, password: str | None = None) -> dict:
        self.tokens = self.client.login(self.email, password or self.password)
        return self.tokens

    @property
    def access(self) -> str:
        assert self.tokens
        return self.tokens["access_token"]

    @property
    def refresh_token(self) -> str:
        assert self.tokens
        return self.tokens["refresh_token"]

    @property
    def headers(self) -> dict:
        return bearer(self.access)


@pytest.fixture(scope="module")
def client(server, smtp_sink):
    c = Client(server, smtp_sink)
    yield c
    c.http.close()


# --------------------------------------------------------------------------- reporting

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for srv in list(_RUNNING):
            report.sections.append((f"parley log tail ({srv.name}, {srv.log_path})", srv.log_tail()))

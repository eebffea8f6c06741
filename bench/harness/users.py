"""Prepares benchmark users through the public API: register, verify (the code is read
from the dev mail files in DATA_DIR/mail), log in; writes one `USER_ID ACCESS_TOKEN` line
per user, the credentials format parley-loadgen reads."""

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

PASSWORD = "bench password 123"
_CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")
_local = threading.local()


def _session() -> requests.Session:
    if not hasattr(_local, "s"):
        _local.s = requests.Session()
    return _local.s


def _post(url: str, body: dict, expect: tuple[int, ...]) -> dict:
    for attempt in range(5):
        r = _session().post(url, json=body, timeout=30)
        if r.status_code in expect:
            return r.json() if r.content else {}
        if r.status_code in (429, 503) and attempt < 4:
            time.sleep(0.2 * (attempt + 1))
            continue
        raise RuntimeError(f"POST {url} -> {r.status_code}: {r.text[:300]}")
    raise AssertionError("unreachable")


def _codes_by_address(mail_dir: Path) -> dict[str, str]:
    """The latest code mailed to each address (file names sort by time)."""
    codes = {}
    for path in sorted(mail_dir.glob("*.eml")):
        text = path.read_text(errors="replace")
        head, _, body = text.partition("\n\n")
        to = re.search(r"^To:\s*<?([^>\s]+)>?", head.replace("\r", ""), re.MULTILINE | re.IGNORECASE)
        code = _CODE.search(body)
        if to and code:
            codes[to.group(1).lower()] = code.group(1)
    return codes


def prepare_users(base_url: str, data_dir: Path, count: int, out: Path, workers: int = 16,
                  prefix: str = "bench") -> list[tuple[str, str]]:
    """Creates `count` verified users and writes their access tokens to `out`."""
    api = base_url + "/api/v1/auth"
    emails = [f"{prefix}{i:05d}@example.com" for i in range(count)]

    def register(i: int) -> str:
        body = {"email": emails[i], "username": f"{prefix}{i:05d}", "password": PASSWORD}
        return _post(api + "/register", body, (201,))["user_id"]

    with ThreadPoolExecutor(workers) as pool:
        user_ids = list(pool.map(register, range(count)))

    wanted = {e.lower() for e in emails}
    deadline = time.monotonic() + 30
    codes: dict[str, str] = {}
    while time.monotonic() < deadline:
        codes = _codes_by_address(data_dir / "mail")
        if wanted <= codes.keys():
            break
        time.sleep(0.2)
    missing = wanted - codes.keys()
    if missing:
        raise RuntimeError(f"no verification mail for {len(missing)} users, e.g. {sorted(missing)[0]}")

    def verify_and_login(i: int) -> str:
        _post(api + "/verify", {"email": emails[i], "code": codes[emails[i].lower()]}, (200, 204))
        return _post(api + "/login", {"email": emails[i], "password": PASSWORD}, (200,))["access_token"]

    with ThreadPoolExecutor(workers) as pool:
        tokens = list(pool.map(verify_and_login, range(count)))

    creds = list(zip(user_ids, tokens))
    out.write_text("".join(f"{u} {t}\n" for u, t in creds))
    return creds

"""A small S3 endpoint for the integration tests: one bucket, path-style addressing, objects in
memory, and PUT, GET, HEAD and DELETE of objects.

Every request must carry a valid AWS Signature Version 4, either pre-signed in the query
string (X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders,
X-Amz-Signature) or in an Authorization header (with x-amz-date and x-amz-content-sha256).
The signature is recomputed here, from the request as received, by this module's own SigV4
code (Python's hashlib and hmac, nothing shared with Parley's C++ signer) and checked the
way S3 checks it: the signed headers' values are taken from the request, so a PUT whose
Content-Type or Content-Length differs from the signed one does not match; an expired URL or
a date more than 15 minutes off is refused. `canonical_request`, `string_to_sign` and
`signature` are the pure parts, checked against AWS's published examples by the tests.
"""
from __future__ import annotations

import hashlib
import hmac
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, unquote

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNSIGNED = "UNSIGNED-PAYLOAD"
MAX_SKEW_S = 15 * 60
QUERY_AUTH = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders",
              "X-Amz-Signature")


# --------------------------------------------------------------------------- SigV4, independently

def uri_encode(text: str) -> str:
    """RFC 3986: everything but A-Z a-z 0-9 - _ . ~ as %XX of the UTF-8 bytes."""
    return quote(text, safe="-_.~")


def canonical_path(raw_path: str) -> str:
    """S3's canonical URI: each segment decoded and encoded once; no normalisation."""
    return "/".join(uri_encode(unquote(segment)) for segment in raw_path.split("/"))


def query_pairs(raw_query: str) -> list[tuple[str, str]]:
    pairs = []
    for part in raw_query.split("&") if raw_query else []:
        name, _, value = part.partition("=")
        pairs.append((unquote(name), unquote(value)))
    return pairs


def canonical_query(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{n}={v}" for n, v in sorted((uri_encode(n), uri_encode(v)) for n, v in pairs))


def canonical_request(method: str, raw_path: str, pairs: list[tuple[str, str]], headers: dict[str, str],
                      signed: list[str], payload_hash: str) -> str:
    # Values trimmed, runs of spaces made one.
    lines = "".join(f"{name}:{' '.join(part for part in headers[name].strip().split(' ') if part)}\n"
                    for name in signed)
    return "\n".join([method, canonical_path(raw_path), canonical_query(pairs), lines, ";".join(signed),
                      payload_hash])


def string_to_sign(date_time: str, scope: str, creq: str) -> str:
    return "\n".join([ALGORITHM, date_time, scope, hashlib.sha256(creq.encode()).hexdigest()])


def signature(secret: str, date: str, region: str, sts: str) -> str:
    key = ("AWS4" + secret).encode()
    for part in (date, region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()


def parse_stamp(text: str) -> float:
    return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc).timestamp()


class Refused(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


# --------------------------------------------------------------------------- the endpoint

@dataclass
class Seen:
    method: str
    key: str
    auth: str  # "query" (pre-signed URL), "header" (Authorization) or "none"
    signed_headers: list[str]
    status: int = 0
    query: dict[str, str] = field(default_factory=dict)


class FakeS3:
    def __init__(self, bucket: str = "parley-media", region: str = "eu-central-1",
                 access_key_id: str = "AKIDPARLEYTEST", secret_access_key: str = "fake/secret+key=0123456789",
                 session_token: str = ""):
        self.bucket, self.region = bucket, region
        self.access_key_id, self.secret_access_key, self.session_token = access_key_id, secret_access_key, session_token
        self.objects: dict[str, tuple[bytes, str]] = {}
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> "FakeS3":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def requests(self, method: str | None = None) -> list[Seen]:
        with self.lock:
            return [s for s in self.seen if method is None or s.method == method]

    # Checks the request's signature; returns (auth kind, signed header names, query).
    def verify(self, method: str, raw_path: str, raw_query: str, headers: dict[str, str], body: bytes):
        pairs = query_pairs(raw_query)
        query = dict(pairs)
        if "X-Amz-Signature" in query:
            missing = [p for p in QUERY_AUTH if p not in query]
            if missing:
                raise Refused(403, "AuthorizationQueryParametersError", f"missing {missing}")
            if query["X-Amz-Algorithm"] != ALGORITHM:
                raise Refused(400, "AuthorizationQueryParametersError", "unsupported algorithm")
            kind, credential, date_time = "query", query["X-Amz-Credential"], query["X-Amz-Date"]
            signed, given = query["X-Amz-SignedHeaders"].split(";"), query["X-Amz-Signature"]
            token = query.get("X-Amz-Security-Token", "")
            pairs = [(n, v) for n, v in pairs if n != "X-Amz-Signature"]
            payload = UNSIGNED
        elif headers.get("authorization", "").startswith(ALGORITHM + " "):
            kind = "header"
            fields = dict(part.strip().split("=", 1)
                          for part in headers["authorization"][len(ALGORITHM) + 1:].split(","))
            credential, signed, given = fields["Credential"], fields["SignedHeaders"].split(";"), fields["Signature"]
            date_time, token = headers.get("x-amz-date", ""), headers.get("x-amz-security-token", "")
            payload = headers.get("x-amz-content-sha256", "")
            if "x-amz-date" not in signed or "x-amz-content-sha256" not in signed:
                raise Refused(400, "AuthorizationHeaderMalformed", "x-amz-date and x-amz-content-sha256 must be signed")
            if payload not in (UNSIGNED, hashlib.sha256(body).hexdigest()):
                raise Refused(400, "XAmzContentSHA256Mismatch", "the payload hash does not match")
        else:
            raise Refused(403, "AccessDenied", "anonymous access is not allowed")

        if "host" not in signed or signed != sorted(signed) or any(h not in headers for h in signed):
            raise Refused(403, "SignatureDoesNotMatch", "host must be signed, and every signed header sent")
        key_id, date, region, service, terminator = credential.split("/")
        if key_id != self.access_key_id:
            raise Refused(403, "InvalidAccessKeyId", "unknown access key")
        if token != self.session_token:
            raise Refused(403, "InvalidToken", "wrong or missing session token")
        if region != self.region or service != "s3" or terminator != "aws4_request" or date != date_time[:8]:
            raise Refused(400, "AuthorizationHeaderMalformed", f"bad credential scope {credential}")
        now, stamp = time.time(), parse_stamp(date_time)
        if stamp > now + MAX_SKEW_S or (kind == "header" and stamp < now - MAX_SKEW_S):
            raise Refused(403, "RequestTimeTooSkewed", "the request time is too far off")
        if kind == "query":
            expires = int(query["X-Amz-Expires"])
            if not 1 <= expires <= 604800:
                raise Refused(400, "AuthorizationQueryParametersError", "X-Amz-Expires out of range")
            if now > stamp + expires:
                raise Refused(403, "AccessDenied", "Request has expired")
        creq = canonical_request(method, raw_path, pairs, headers, signed, payload)
        scope = f"{date}/{region}/s3/aws4_request"
        expected = signature(self.secret_access_key, date, region, string_to_sign(date_time, scope, creq))
        if not hmac.compare_digest(expected, given):
            raise Refused(403, "SignatureDoesNotMatch", "The request signature we calculated does not match")
        return kind, signed, query

    def _handler(self):
        s3 = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None,
                       length: int | None = None):
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body) if length is None else length))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _error(self, e: Refused):
                body = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{e.code}</Code>"
                        f"<Message>{e.message}</Message></Error>").encode()
                self._reply(e.status, body, {"Content-Type": "application/xml"})

            def _handle(self):
                raw_path, _, raw_query = self.path.partition("?")
                length = self.headers.get("Content-Length")
                body = self.rfile.read(int(length)) if length else b""
                headers = {k.lower(): ",".join(self.headers.get_all(k)) for k in set(self.headers.keys())}
                auth = ("query" if "X-Amz-Signature=" in raw_query else
                        "header" if "authorization" in headers else "none")
                seen = Seen(self.command, "", auth, [])
                with s3.lock:
                    s3.seen.append(seen)
                try:
                    if self.command == "PUT" and length is None:
                        raise Refused(411, "MissingContentLength", "Content-Length is required")
                    _, seen.signed_headers, seen.query = s3.verify(self.command, raw_path, raw_query,
                                                                           headers, body)
                    parts = raw_path.split("/", 2)
                    if len(parts) < 3 or parts[1] != s3.bucket:
                        raise Refused(404, "NoSuchBucket", "The specified bucket does not exist")
                    key = seen.key = unquote(parts[2])
                    with s3.lock:
                        obj = s3.objects.get(key)
                        if self.command == "PUT":
                            s3.objects[key] = (body, headers.get("content-type", "binary/octet-stream"))
                        elif self.command == "DELETE":
                            s3.objects.pop(key, None)
                    if self.command == "PUT":
                        seen.status = 200
                        return self._reply(200, headers={"ETag": f"\"{hashlib.md5(body).hexdigest()}\""})
                    if self.command == "DELETE":
                        seen.status = 204
                        return self._reply(204)
                    if obj is None:
                        raise Refused(404, "NoSuchKey", "The specified key does not exist.")
                    data, content_type = obj
                    out = {"Content-Type": seen.query.get("response-content-type", content_type)}
                    if "response-content-disposition" in seen.query:
                        out["Content-Disposition"] = seen.query["response-content-disposition"]
                    seen.status = 200
                    self._reply(200, data, out, length=len(data))
                except Refused as e:
                    seen.status = e.status
                    self._error(e)

            do_GET = do_PUT = do_HEAD = do_DELETE = _handle

        return Handler

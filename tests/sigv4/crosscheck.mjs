// Cross-checks Parley's SigV4 pre-signer (src/adapters/media/sigv4.cpp, through the
// sigv4_presign tool) against an independent implementation, @smithy/signature-v4 (the
// signer inside the AWS SDK for JavaScript v3), hashing with Node's crypto.
//
//   node crosscheck.mjs [path/to/sigv4_presign] [--count N] [--seed S]
//
// Signs fixed edge cases and N deterministic pseudo-random ones with both, then compares
// each URL: scheme, host and path exactly, the query parameters (still percent-encoded) as
// a multiset, and the signature. Prints the first mismatches in detail; exits 1 on any.
//
// How smithy is made to follow S3's rules, as the SDK's S3 presigner does:
// - uriEscapePath: false, with the path already encoded per segment (escapeUriPath). With
//   true, smithy would also drop empty segments ("a//b"), which S3 keeps. For keys without
//   empty segments every case is signed a second time with uriEscapePath: true on the raw
//   path, which must give the same signature: smithy's own escaping agrees with ours.
// - the payload hash comes from an x-amz-content-sha256: UNSIGNED-PAYLOAD header that is
//   neither signed nor moved into the query (so no X-Amz-Content-Sha256 parameter, like AWS's
//   published example);
// - the caller's signed headers are listed in signableHeaders (signed even where smithy
//   would skip them, e.g. cache-control) and unhoistableHeaders (x-amz-meta-* stays a header);
// - the host header is set as the SDK's host-header middleware does: hostname[:port].
//
// Cases with auth: "header" are signed with an Authorization header instead (sign_request,
// for the server's own HEAD and DELETE): smithy's sign() with an x-amz-content-sha256 header
// holding the empty body's hash, which it then signs as S3 requires. Compared: the URL, the
// Authorization header (smithy separates its parts with ", ", S3 accepts either) and the
// x-amz-* headers sent.

import { spawnSync } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { escapeUri, escapeUriPath } from "@smithy/util-uri-escape";

const here = dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const args = { tool: resolve(here, "../../build/asan/bin/sigv4_presign"), count: 300, seed: 20130524 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--count") args.count = Number(argv[++i]);
    else if (argv[i] === "--seed") args.seed = Number(argv[++i]);
    else args.tool = resolve(argv[i]);
  }
  if (!Number.isInteger(args.count) || args.count < 0 || !Number.isInteger(args.seed)) {
    console.error("usage: node crosscheck.mjs [path/to/sigv4_presign] [--count N] [--seed S]");
    process.exit(2);
  }
  return args;
}

// --- deterministic pseudo-random cases ---

// mulberry32: small, fast, and the same sequence on every machine for a given seed.
function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)); // inclusive
  const pick = (items) => items[int(0, items.length - 1)];
  const chance = (p) => next() < p;
  const chars = (alphabet, n) => Array.from({ length: n }, () => pick(alphabet)).join("");
  return { int, pick, chance, chars };
}

const ENDPOINTS = [
  { endpoint: "https://s3.amazonaws.com", dns: true },
  { endpoint: "https://s3.eu-west-1.amazonaws.com", dns: true },
  { endpoint: "https://s3.ap-northeast-1.amazonaws.com/", dns: true },
  { endpoint: "https://s3.dualstack.us-west-2.amazonaws.com", dns: true },
  { endpoint: "https://storage.example.com:443", dns: true }, // default port: dropped
  { endpoint: "https://minio.example.com:8443", dns: true },
  { endpoint: "http://s3.local", dns: true },
  { endpoint: "http://Minio.Local:9000", dns: true }, // host lower-cased
  { endpoint: "http://localhost:9000", dns: true },
  { endpoint: "http://127.0.0.1:9000", dns: false },
  { endpoint: "http://127.0.0.1:80", dns: false },
  { endpoint: "http://192.0.2.10:65535", dns: false },
];
const REGIONS = [
  "us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1",
  "eu-north-1", "eu-south-2", "ap-northeast-1", "ap-northeast-2", "ap-southeast-1", "ap-southeast-2",
  "ap-south-1", "sa-east-1", "ca-central-1", "me-south-1", "af-south-1", "il-central-1", "cn-north-1",
  "us-gov-west-1", "auto",
];
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const ALNUM = UPPER + "abcdefghijklmnopqrstuvwxyz0123456789";
const BASE64 = ALNUM + "+/";
const BUCKET_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789-";
// Pieces of keys: words, unicode (2-, 3- and 4-byte UTF-8), every reserved ASCII character,
// unreserved punctuation, spaces, and dots that are not whole segments.
const KEY_PIECES = [
  "photo", "IMG_2024", "report", "a", "Z9", "file-name", "under_score", "tilde~", "v1.2.3",
  " ", "  ", "é", "café", "naïve", "ü", "ñ", "Ω", "Ж", "日本", "語", "中文", "한국어", "😀", "🎉", "👍🏽", "𝄞",
  "+", "=", "&", "?", "#", "%", "%20", "%2F", ";", ":", "@", ",", "$", "!", "*", "'", "(", ")", "[", "]",
  "{", "}", "<", ">", '"', "\\", "|", "^", "`", "~", "-", "_", ".", "..x", ".hidden", "...",
];
const CONTENT_TYPES = [
  "image/png", "image/jpeg", "application/octet-stream", "text/plain; charset=utf-8", "video/mp4",
  "  image/webp  ", "multipart/form-data;   boundary=xYz", "application/json",
];
const HEADER_VALUE_CHARS = ALNUM + " !#$%&'()*+,-./:;<=>?@[]^_`{|}~\"\\";

function segment(r) {
  let s = "";
  const pieces = r.int(1, 5);
  for (let i = 0; i < pieces; i++) s += r.pick(KEY_PIECES);
  return s === "." || s === ".." ? s + "x" : s;
}

function key(r) {
  const shape = r.int(0, 19);
  if (shape === 0) return "/" + segment(r); // leading slash: an empty first segment
  if (shape === 1) return segment(r) + "//" + segment(r); // empty segment in the middle
  if (shape === 2) return segment(r) + "/"; // "folder" key
  if (shape === 3) {
    // long: close to the 1024-byte limit
    let k = segment(r);
    while (Buffer.byteLength(k) < 900) k += "/" + segment(r);
    while (Buffer.byteLength(k) > 1024) k = k.slice(0, -1);
    return k.replace(/[\ud800-\udbff]$/, "").replace(/(^|\/)\.\.?$/, "$1x");
  }
  const parts = Array.from({ length: r.int(1, 6) }, () => segment(r));
  return parts.join("/");
}

function bucket(r, virtualHttps) {
  const fixed = ["examplebucket", "media-prod", "parley-uploads-01", "a1b", "my.dotted.bucket"];
  let b = r.chance(0.5) ? r.pick(fixed) : r.chars("abcdefghijklmnopqrstuvwxyz0123456789", 1) +
    r.chars(BUCKET_CHARS + ".", r.int(1, 61)).replace(/\.\.+/g, ".") + r.chars("abcdefghij0123456789", 1);
  if (virtualHttps) b = b.replace(/\./g, "-"); // dots need path style over https
  return b;
}

function randomCase(r, index) {
  const ep = r.pick(ENDPOINTS);
  const pathStyle = !ep.dns || r.chance(0.4);
  const method = r.chance(0.5) ? "GET" : "PUT";
  const c = {
    name: `random #${index}`,
    endpoint: ep.endpoint,
    bucket: bucket(r, !pathStyle && ep.endpoint.startsWith("https:")),
    region: r.pick(REGIONS),
    path_style: pathStyle,
    access_key_id: r.chance(0.8) ? "AKIA" + r.chars(UPPER + "234567", 16) : r.pick(["minioadmin", "parley-dev_1"]),
    secret_access_key: r.chars(BASE64, 40),
    session_token: r.chance(0.35) ? r.chars(BASE64, r.int(100, 400)) + r.pick(["", "=", "=="]) : "",
    method,
    key: key(r),
    now_s: r.chance(0.1) ? r.pick([0, 951782400, 1709251199, 2147483647, 2147483648, 4102444799]) : r.int(0, 4102444800),
    expires_s: r.chance(0.15) ? r.pick([1, 604800]) : r.int(1, 604800),
    signed_headers: [],
    query: [],
  };
  if (r.chance(method === "PUT" ? 0.7 : 0.15)) c.signed_headers.push(["content-type", r.pick(CONTENT_TYPES)]);
  if (r.chance(0.15)) c.signed_headers.push(["x-amz-meta-origin", r.chars(HEADER_VALUE_CHARS, r.int(0, 30))]);
  if (r.chance(0.1)) c.signed_headers.push(["content-md5", r.chars(BASE64, 22) + "=="]);
  if (r.chance(0.05)) c.signed_headers.push(["cache-control", "max-age=" + r.int(0, 99999)]);
  if (r.chance(0.05)) c.signed_headers.push(["x-amz-acl", "  private "]);
  if (method === "GET" && r.chance(0.4)) {
    const file = segment(r).replace(/["\\]/g, "_");
    c.query.push(["response-content-disposition", `attachment; filename="${file}"; filename*=UTF-8''${encodeURIComponent(file)}`]);
  }
  if (method === "GET" && r.chance(0.2)) c.query.push(["response-content-type", r.pick(CONTENT_TYPES).trim()]);
  if (r.chance(0.1)) c.query.push(["versionId", r.chars(ALNUM + "._-", 32)]);
  if (r.chance(0.05)) c.query.push(["x-id", method === "GET" ? "GetObject" : "PutObject"]);
  if (r.chance(0.05)) c.query.push(["tag", "b"], ["tag", "a"], ["tag", ""]); // repeated names sort by value
  if (r.chance(0.05)) c.query.push(["~z", "1"], ["é", "2"], ["a b", "3"], ["A", "4"]); // encoded-name order
  if (r.chance(0.3)) {
    // The same request signed with an Authorization header, as the server's own requests are.
    c.auth = "header";
    c.method = r.pick(["GET", "HEAD", "DELETE"]);
    delete c.expires_s;
    if (r.chance(0.3)) c.signed_headers.push(["range", `bytes=${r.int(0, 99)}-${r.int(100, 9999)}`]);
  }
  return c;
}

function fixedCases() {
  // AWS's published pre-signed GET example: smithy must produce the published signature too,
  // which shows that the harness drives it the S3 way.
  const aws = {
    name: "AWS published example",
    endpoint: "https://s3.amazonaws.com",
    bucket: "examplebucket",
    region: "us-east-1",
    path_style: false,
    access_key_id: "AKIAIOSFODNN7EXAMPLE",
    secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    session_token: "",
    method: "GET",
    key: "test.txt",
    now_s: 1369353600,
    expires_s: 86400,
    signed_headers: [],
    query: [],
    expect_signature: "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
  };
  const variant = (name, change) => ({ ...aws, name, expect_signature: undefined, ...change });
  return [
    aws,
    variant("path style", { path_style: true }),
    variant("PUT with content type", { method: "PUT", signed_headers: [["content-type", "image/png"]] }),
    variant("session token", { session_token: "FQoGZXIvYXdzEJr//////////wEaDOTHER+TOKEN/with=" }),
    variant("MinIO on a port", { endpoint: "http://127.0.0.1:9000", path_style: true, bucket: "media" }),
    variant("virtual-hosted on a port", { endpoint: "https://minio.example.com:9443" }),
    variant("explicit default port", { endpoint: "https://s3.amazonaws.com:443" }),
    variant("spaces", { key: "my photos/summer 2024/ beach  day .jpg" }),
    variant("unicode", { key: "été/日本語/😀🎉/naïve café.png" }),
    variant("reserved characters", { key: "a+b=c&d?e#f%g;h:i@j,k$l!m*n'o(p)q[r]s{t}u<v>w\"x\\y|z^`" }),
    variant("already-encoded look", { key: "a%20b%2Fc%25" }),
    variant("empty segments", { key: "/lead//mid/trail/" }),
    variant("dots inside segments", { key: ".a/..b/.../c.d" }),
    variant("1024-byte key", { key: "k/".repeat(511) + "zz" }),
    variant("expiry 1", { expires_s: 1 }),
    variant("expiry 7 days", { expires_s: 604800 }),
    variant("epoch", { now_s: 0 }),
    variant("leap day", { now_s: 1709251199 }),
    variant("after 2038", { now_s: 2147483648 }),
    variant("year 9999", { now_s: 253402300799 }),
    variant("many signed headers", {
      method: "PUT",
      signed_headers: [
        ["x-amz-meta-z", "  last   one "], ["content-type", "text/plain"], ["content-md5", "1B2M2Y8AsgTpgAmY7PhCfg=="],
        ["cache-control", "no-cache"], ["x-amz-meta-a", ""],
      ],
    }),
    variant("download parameters", {
      query: [["response-content-disposition", "attachment; filename=\"été 1.png\""], ["response-content-type", "image/png"]],
    }),
    variant("query order by encoded name", { query: [["~z", "1"], ["é", "2"], ["a-b", ""], ["a", "x y"], ["b", "2"], ["b", "1"]] }),
    variant("expiry beyond 7 days", { expires_s: 604801, expect_error: "s3_bad_expiry" }),
    ...headerCases(aws),
  ];
}

function headerCases(aws) {
  // AWS's published "GET Object" example of header-based signing.
  const get = {
    ...aws,
    name: "AWS published GET Object example (Authorization header)",
    auth: "header",
    expires_s: undefined,
    expect_signature: undefined,
    signed_headers: [["range", "bytes=0-9"]],
    expect_authorization:
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request," +
      "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date," +
      "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
  };
  const variant = (name, change) => ({ ...get, name: `${name} (Authorization header)`, expect_authorization: undefined,
    signed_headers: [], ...change });
  return [
    get,
    variant("HEAD", { method: "HEAD" }),
    variant("DELETE", { method: "DELETE" }),
    variant("HEAD, path style", { method: "HEAD", path_style: true }),
    variant("DELETE on MinIO", { method: "DELETE", endpoint: "http://127.0.0.1:9000", path_style: true, bucket: "media" }),
    variant("HEAD with session token", { method: "HEAD", session_token: "FQoGZXIvYXdzEJr//////////wEaDOTHER+TOKEN/with=" }),
    variant("HEAD, unicode key", { method: "HEAD", key: "été/日本語/😀🎉/naïve café.png" }),
    variant("DELETE with a query", { method: "DELETE", query: [["versionId", "3/L4kqtJl40Nr8X8gdRQBpUMLUo"]] }),
  ];
}

// --- signing with smithy ---

async function smithyPresign(c, uriEscapePath) {
  const ep = new URL(c.endpoint); // WHATWG: lower-cases the host, drops a default port
  const hostname = c.path_style ? ep.hostname : `${c.bucket}.${ep.hostname}`;
  const port = ep.port ? Number(ep.port) : undefined;
  const prefix = c.path_style ? `/${c.bucket}/` : "/";
  const headers = { host: port ? `${hostname}:${port}` : hostname, "x-amz-content-sha256": "UNSIGNED-PAYLOAD" };
  for (const [name, value] of c.signed_headers) headers[name] = value;
  const query = {};
  for (const [name, value] of c.query) query[name] = Object.hasOwn(query, name) ? [].concat(query[name], value) : value;
  const request = new HttpRequest({
    method: c.method,
    protocol: ep.protocol,
    hostname,
    port,
    path: prefix + (uriEscapePath ? c.key : escapeUriPath(c.key)),
    headers,
    query,
  });
  const signer = new SignatureV4({
    service: "s3",
    region: c.region,
    credentials: {
      accessKeyId: c.access_key_id,
      secretAccessKey: c.secret_access_key,
      sessionToken: c.session_token || undefined,
    },
    sha256: Hash.bind(null, "sha256"),
    uriEscapePath,
    applyChecksum: false,
  });
  const names = c.signed_headers.map(([name]) => name);
  const signed = await signer.presign(request, {
    signingDate: new Date(c.now_s * 1000),
    expiresIn: c.expires_s,
    unsignableHeaders: new Set(["x-amz-content-sha256"]),
    unhoistableHeaders: new Set(["x-amz-content-sha256", ...names]),
    signableHeaders: new Set(names),
  });
  const queryString = Object.entries(signed.query)
    .flatMap(([name, value]) => [].concat(value).map((v) => `${escapeUri(name)}=${escapeUri(v)}`))
    .join("&");
  return `${signed.protocol}//${signed.hostname}${signed.port ? `:${signed.port}` : ""}${signed.path}?${queryString}`;
}

const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

async function smithySign(c) {
  const ep = new URL(c.endpoint);
  const hostname = c.path_style ? ep.hostname : `${c.bucket}.${ep.hostname}`;
  const port = ep.port ? Number(ep.port) : undefined;
  const prefix = c.path_style ? `/${c.bucket}/` : "/";
  const headers = { host: port ? `${hostname}:${port}` : hostname, "x-amz-content-sha256": EMPTY_SHA256 };
  for (const [name, value] of c.signed_headers) headers[name] = value;
  const query = {};
  for (const [name, value] of c.query) query[name] = Object.hasOwn(query, name) ? [].concat(query[name], value) : value;
  const request = new HttpRequest({
    method: c.method,
    protocol: ep.protocol,
    hostname,
    port,
    path: prefix + escapeUriPath(c.key),
    headers,
    query,
  });
  const signer = new SignatureV4({
    service: "s3",
    region: c.region,
    credentials: {
      accessKeyId: c.access_key_id,
      secretAccessKey: c.secret_access_key,
      sessionToken: c.session_token || undefined,
    },
    sha256: Hash.bind(null, "sha256"),
    uriEscapePath: false,
    applyChecksum: false,
  });
  const signed = await signer.sign(request, {
    signingDate: new Date(c.now_s * 1000),
    signableHeaders: new Set(c.signed_headers.map(([name]) => name)),
  });
  const queryString = Object.entries(signed.query)
    .flatMap(([name, value]) => [].concat(value).map((v) => `${escapeUri(name)}=${escapeUri(v)}`))
    .join("&");
  const base = `${signed.protocol}//${signed.hostname}${signed.port ? `:${signed.port}` : ""}${signed.path}`;
  return { url: queryString ? `${base}?${queryString}` : base, headers: signed.headers };
}

// --- comparing ---

function splitUrl(url) {
  const q = url.includes("?") ? url.indexOf("?") : url.length;
  const params = url.slice(q + 1).split("&").filter((p) => p !== "");
  const signature = params.find((p) => p.startsWith("X-Amz-Signature="))?.slice("X-Amz-Signature=".length);
  return { base: url.slice(0, q), params: params.slice().sort(), signature };
}

function compare(c, cppUrl, smithyUrl) {
  const problems = [];
  const a = splitUrl(cppUrl);
  const b = splitUrl(smithyUrl);
  if (a.base !== b.base) problems.push(`scheme/host/path differ:\n    parley: ${a.base}\n    smithy: ${b.base}`);
  const onlyA = a.params.filter((p) => !b.params.includes(p));
  const onlyB = b.params.filter((p) => !a.params.includes(p));
  if (onlyA.length || onlyB.length || a.params.length !== b.params.length) {
    problems.push(`query parameters differ:\n    only parley: ${onlyA.join(" ")}\n    only smithy: ${onlyB.join(" ")}`);
  }
  if (!a.signature || a.signature !== b.signature) problems.push(`signatures differ: ${a.signature} vs ${b.signature}`);
  if (c.expect_signature && a.signature !== c.expect_signature)
    problems.push(`signature ${a.signature} is not the published ${c.expect_signature}`);
  // What a browser or fetch() would request: the same bytes, so the same signature.
  if (new URL(cppUrl).href !== cppUrl) problems.push(`a WHATWG URL parser rewrites it to ${new URL(cppUrl).href}`);
  return problems;
}

function compareSigned(c, out, smithy) {
  const problems = [];
  const a = splitUrl(out.url);
  const b = splitUrl(smithy.url);
  if (a.base !== b.base) problems.push(`scheme/host/path differ:\n    parley: ${a.base}\n    smithy: ${b.base}`);
  if (a.params.join("&") !== b.params.join("&"))
    problems.push(`query parameters differ:\n    parley: ${a.params.join("&")}\n    smithy: ${b.params.join("&")}`);
  const sent = Object.fromEntries(out.headers);
  const authorization = smithy.headers.authorization.replaceAll(", ", ",");
  if (sent.authorization !== authorization)
    problems.push(`Authorization differs:\n    parley: ${sent.authorization}\n    smithy: ${authorization}`);
  if (c.expect_authorization && sent.authorization !== c.expect_authorization)
    problems.push(`Authorization is not the published ${c.expect_authorization}`);
  for (const name of ["x-amz-date", "x-amz-content-sha256", "x-amz-security-token"]) {
    if (sent[name] !== smithy.headers[name]) problems.push(`${name} differs: ${sent[name]} vs ${smithy.headers[name]}`);
  }
  for (const [name, value] of c.signed_headers) {
    if (sent[name] !== value) problems.push(`header ${name} is not sent as given: ${sent[name]}`);
  }
  if (new URL(out.url).href !== out.url) problems.push(`a WHATWG URL parser rewrites it to ${new URL(out.url).href}`);
  return problems;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const r = prng(args.seed);
  const cases = [...fixedCases(), ...Array.from({ length: args.count }, (_, i) => randomCase(r, i + 1))];

  const toolInput =
    cases.map(({ name, expect_signature, expect_error, expect_authorization, ...c }) => JSON.stringify(c)).join("\n") +
    "\n";
  const run = spawnSync(args.tool, { input: toolInput, encoding: "utf8", maxBuffer: 256 << 20 });
  if (run.error || run.status !== 0) {
    console.error(`sigv4 cross-check: ${args.tool} failed (${run.error?.message ?? `exit ${run.status}`})\n${run.stderr}`);
    process.exit(1);
  }
  const outputs = run.stdout.trimEnd().split("\n").map((line) => JSON.parse(line));
  if (outputs.length !== cases.length) {
    console.error(`sigv4 cross-check: ${cases.length} cases in, ${outputs.length} answers out`);
    process.exit(1);
  }

  const mismatches = [];
  let secondPath = 0;
  let headerSigned = 0;
  for (const [i, c] of cases.entries()) {
    const out = outputs[i];
    const problems = [];
    if (c.expect_error) {
      if (out.error !== c.expect_error) problems.push(`parley: expected error ${c.expect_error}, got ${JSON.stringify(out)}`);
      const smithyRefused = await smithyPresign(c, false).then(() => false, () => true);
      if (!smithyRefused) problems.push("smithy signed what parley refuses");
    } else if (out.error) {
      problems.push(`parley refused it: ${out.error}: ${out.message}`);
    } else if (c.auth === "header") {
      headerSigned++;
      problems.push(...compareSigned(c, out, await smithySign(c)));
      if (problems.length) problems.push(`canonical request (parley):\n${out.canonical_request}`);
    } else {
      const smithyUrl = await smithyPresign(c, false);
      problems.push(...compare(c, out.url, smithyUrl));
      // Smithy's own escaping of the raw key must agree, where its path normalisation (which
      // drops empty segments) does not change the path.
      if (!`/${c.bucket}/${c.key}`.includes("//")) {
        secondPath++;
        const escaped = await smithyPresign(c, true);
        if (splitUrl(escaped).signature !== splitUrl(smithyUrl).signature)
          problems.push(`smithy disagrees with itself on the path encoding (uriEscapePath: true): ${escaped}`);
      }
      if (problems.length) problems.push(`parley URL: ${out.url}`, `canonical request (parley):\n${out.canonical_request}`);
    }
    if (problems.length) mismatches.push({ c, problems });
  }

  for (const { c, problems } of mismatches.slice(0, 5)) {
    console.error(`MISMATCH ${c.name}: ${JSON.stringify({ ...c, name: undefined })}`);
    for (const p of problems) console.error("  " + p);
  }
  console.log(
    `sigv4 cross-check against @smithy/signature-v4: ${cases.length} cases compared ` +
      `(${headerSigned} signed with an Authorization header, ${secondPath} pre-signed ones also through ` +
      `smithy's own path escaping), ${mismatches.length} mismatches`,
  );
  process.exit(mismatches.length ? 1 : 0);
}

await main();

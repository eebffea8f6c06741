#include "adapters/media/sigv4.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <tuple>

#include "core/url.hpp"

namespace parley {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kService = "s3";
constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
// SHA-256 of nothing: the payload hash of a request without a body.
constexpr std::string_view kEmptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr std::int64_t kMaxExpiresS = 7 * 24 * 3600;
constexpr std::int64_t kMaxTimeS = 253402300799; // 9999-12-31T23:59:59Z: X-Amz-Date has a 4-digit year
constexpr std::size_t kMaxKeyBytes = 1024;

// Query parameters that the signature itself sets; a caller's copy would be ambiguous.
constexpr std::array<std::string_view, 7> kAuthParams = {
    "x-amz-algorithm",     "x-amz-credential", "x-amz-date",          "x-amz-expires",
    "x-amz-signedheaders", "x-amz-signature",  "x-amz-security-token"};
// Headers that header-based signing sets.
constexpr std::array<std::string_view, 4> kRequestAuthHeaders = {"authorization", "x-amz-content-sha256", "x-amz-date",
                                                                 "x-amz-security-token"};

Error invalid(std::string code, std::string message) { return Error::invalid(std::move(code), std::move(message)); }

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }
bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool has_control(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) { return is_control(static_cast<unsigned char>(c)); });
}

// Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
bool valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    unsigned char min = 0x80, max = 0xbf; // allowed range of the second byte
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      length = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      length = 3;
      if (c == 0xe0) min = 0xa0; // overlong
      if (c == 0xed) max = 0x9f; // surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      length = 4;
      if (c == 0xf0) min = 0x90; // overlong
      if (c == 0xf4) max = 0x8f; // above U+10FFFF
    } else {
      return false;
    }
    if (text.size() - i < length) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto b = static_cast<unsigned char>(text[i + k]);
      if (b < (k == 1 ? min : 0x80) || b > (k == 1 ? max : 0xbf)) return false;
    }
    i += length;
  }
  return true;
}

// A token (RFC 9110 §5.6.2) in lower case.
bool is_header_name(std::string_view name) {
  constexpr std::string_view kTokenPunct = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [&](char c) {
    return is_lower_alnum(c) || kTokenPunct.find(c) != std::string_view::npos;
  });
}

std::string to_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// SigV4's header value canonicalisation: surrounding spaces removed, runs of spaces made one.
std::string trim_all(std::string_view value) {
  std::string out;
  for (const char c : value) {
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += c;
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

struct Endpoint {
  std::string_view scheme; // "http" or "https"
  std::string host;        // lower case, without the port
  std::string port;        // empty when it is the scheme's default
  bool is_ip = false;
};

Result<Endpoint> parse_endpoint(std::string_view text) {
  const auto bad = [&](std::string why) {
    return fail(invalid("s3_bad_endpoint", "S3 endpoint '" + std::string(text) + "': " + why));
  };
  Endpoint e;
  std::string_view rest = text;
  std::string_view default_port;
  if (rest.starts_with("https://")) {
    e.scheme = "https";
    default_port = "443";
  } else if (rest.starts_with("http://")) {
    e.scheme = "http";
    default_port = "80";
  } else {
    return bad("must start with http:// or https://");
  }
  rest.remove_prefix(e.scheme.size() + 3);
  if (rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.find_first_of("/?#@") != std::string_view::npos) return bad("only scheme://host[:port] is supported");
  if (const auto colon = rest.find(':'); colon != std::string_view::npos) {
    const auto port = rest.substr(colon + 1);
    int number = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
    if (port.empty() || port.size() > 5 || !is_digit(port.front()) || ec != std::errc() ||
        end != port.data() + port.size() || number < 1 || number > 65535)
      return bad("the port must be 1-65535");
    if (std::to_string(number) != default_port) e.port = std::to_string(number);
    rest = rest.substr(0, colon);
  }
  e.host = to_lower(rest);
  if (e.host.empty() || e.host.size() > 253) return bad("the host must be a DNS name or an IPv4 address");
  bool all_numeric = true;
  for (std::size_t start = 0; start <= e.host.size();) {
    const auto dot = std::min(e.host.find('.', start), e.host.size());
    const std::string_view label = std::string_view(e.host).substr(start, dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-' ||
        !std::all_of(label.begin(), label.end(), [](char c) { return is_lower_alnum(c) || c == '-'; }))
      return bad("the host must be a DNS name or an IPv4 address");
    all_numeric = all_numeric && std::all_of(label.begin(), label.end(), is_digit);
    start = dot + 1;
  }
  e.is_ip = all_numeric;
  return e;
}

// S3's naming rules for general purpose buckets, which are also what keeps a bucket usable
// as a DNS label in virtual-hosted addressing.
Result<void> check_bucket(std::string_view bucket) {
  const bool ok =
      bucket.size() >= 3 && bucket.size() <= 63 && is_lower_alnum(bucket.front()) && is_lower_alnum(bucket.back()) &&
      bucket.find("..") == std::string_view::npos &&
      std::all_of(bucket.begin(), bucket.end(), [](char c) { return is_lower_alnum(c) || c == '.' || c == '-'; });
  if (!ok)
    return fail(invalid("s3_bad_bucket",
                        "a bucket name is 3-63 characters of a-z 0-9 . -, starting and ending "
                        "with a letter or digit"));
  return {};
}

Result<void> check_key(std::string_view key) {
  if (key.empty()) return fail(invalid("s3_empty_key", "the object key is empty"));
  if (key.size() > kMaxKeyBytes)
    return fail(invalid("s3_key_too_long", "an object key is at most " + std::to_string(kMaxKeyBytes) + " bytes"));
  if (!valid_utf8(key)) return fail(invalid("s3_bad_key", "the object key is not valid UTF-8"));
  if (has_control(key)) return fail(invalid("s3_bad_key", "the object key contains a control character"));
  for (std::size_t start = 0; start <= key.size();) {
    const auto slash = std::min(key.find('/', start), key.size());
    const auto segment = key.substr(start, slash - start);
    if (segment == "." || segment == "..")
      return fail(invalid("s3_bad_key", "the object key has a '.' or '..' segment, which HTTP clients remove"));
    start = slash + 1;
  }
  return {};
}

Result<void> check_credentials(const S3Credentials& c) {
  const auto bad = [](std::string why) { return fail(invalid("s3_bad_credentials", std::move(why))); };
  if (c.access_key_id.empty()) return bad("the access key id is empty");
  if (c.access_key_id.find('/') != std::string::npos || has_control(c.access_key_id))
    return bad("the access key id contains '/' or a control character");
  if (c.secret_access_key.empty()) return bad("the secret access key is empty");
  if (has_control(c.session_token)) return bad("the session token contains a control character");
  return {};
}

Result<void> check_region(std::string_view region) {
  if (region.empty() || region.size() > 64 ||
      !std::all_of(region.begin(), region.end(), [](char c) { return is_lower_alnum(c) || c == '-'; }))
    return fail(invalid("s3_bad_region", "a region is a-z 0-9 -, e.g. eu-west-1"));
  return {};
}

// "yyyymmdd" and "yyyymmddTHHMMSSZ" in UTC.
std::pair<std::string, std::string> format_stamp(std::int64_t now_s) {
  using namespace std::chrono;
  const sys_seconds t{seconds{now_s}};
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss hms{t - day};
  char buf[20];
  const int n = std::snprintf(buf, sizeof buf, "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
                              static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                              static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                              static_cast<int>(hms.seconds().count()));
  const std::string stamp(buf, static_cast<std::size_t>(n));
  return {stamp.substr(0, 8), stamp};
}

const unsigned char* bytes(std::string_view text) { return reinterpret_cast<const unsigned char*>(text.data()); }

std::string hmac_sha256(std::string_view key, std::string_view data) {
  std::string mac(crypto_auth_hmacsha256_BYTES, '\0');
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, bytes(key), key.size());
  crypto_auth_hmacsha256_update(&state, bytes(data), data.size());
  crypto_auth_hmacsha256_final(&state, reinterpret_cast<unsigned char*>(mac.data()));
  sodium_memzero(&state, sizeof state);
  return mac;
}

std::string sha256_hex(std::string_view data) {
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), bytes(data), data.size());
  return hex_encode(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

// Each '/'-separated segment percent-encoded on its own, so '/' stays a separator.
std::string encode_path(std::string_view path) {
  std::string out;
  for (std::size_t start = 0; start <= path.size();) {
    const auto slash = std::min(path.find('/', start), path.size());
    out += percent_encode(path.substr(start, slash - start));
    if (slash < path.size()) out += '/';
    start = slash + 1;
  }
  return out;
}

struct CanonicalHeaders {
  std::string lines; // "name:value\n" for each, sorted by name
  std::string names; // "name;name", the SignedHeaders list
};

// Host plus the caller's headers, checked, canonicalised and sorted.
Result<CanonicalHeaders> canonical_headers(std::string host,
                                           const std::vector<std::pair<std::string, std::string>>& extra) {
  std::vector<std::pair<std::string, std::string>> headers{{"host", std::move(host)}};
  for (const auto& [name, value] : extra) {
    if (!is_header_name(name) || name == "host")
      return fail(invalid("s3_bad_header", "a signed header name is not a lower-case token other than host"));
    if (!std::all_of(value.begin(), value.end(), [](char c) { return c >= 0x20 && c < 0x7f; }))
      return fail(invalid("s3_bad_header", "the value of header '" + name + "' is not printable ASCII"));
    headers.emplace_back(name, trim_all(value));
  }
  std::sort(headers.begin(), headers.end());
  const auto same_name = [](const auto& a, const auto& b) { return a.first == b.first; };
  if (std::adjacent_find(headers.begin(), headers.end(), same_name) != headers.end())
    return fail(invalid("s3_bad_header", "a signed header is given twice"));
  CanonicalHeaders out;
  for (const auto& [name, value] : headers) {
    out.lines += name + ":" + value + "\n";
    if (!out.names.empty()) out.names += ';';
    out.names += name;
  }
  return out;
}

// The caller's query parameters, checked and percent-encoded (name and value), unsorted.
Result<std::vector<std::pair<std::string, std::string>>> encode_query(
    const std::vector<std::pair<std::string, std::string>>& extra) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, value] : extra) {
    if (name.empty() || std::find(kAuthParams.begin(), kAuthParams.end(), to_lower(name)) != kAuthParams.end())
      return fail(invalid("s3_bad_query", "a query parameter name is empty or one the signature sets"));
    if (!valid_utf8(name) || !valid_utf8(value) || has_control(name) || has_control(value))
      return fail(invalid("s3_bad_query", "a query parameter is not valid UTF-8 without control characters"));
    out.emplace_back(percent_encode(name), percent_encode(value));
  }
  return out;
}

// Where a request for one object goes, and the date it is signed on.
struct Target {
  std::string origin;    // scheme://host[:port]
  std::string host;      // the Host header: host[:port], with the bucket in front when virtual-hosted
  std::string path;      // encoded: /[bucket/]key
  std::string date;      // yyyymmdd
  std::string date_time; // yyyymmddTHHMMSSZ
  std::string scope;     // date/region/s3/aws4_request
};

// The checks every signature needs (location, credentials, key, time), then the target.
Result<Target> target_of(const S3Location& location, const S3Credentials& credentials, std::string_view key,
                         std::int64_t now_s) {
  static const bool sodium_ready = sodium_init() >= 0;
  if (!sodium_ready) return fail(Error::internal("libsodium could not be initialised"));

  auto endpoint = parse_endpoint(location.endpoint);
  if (!endpoint) return fail(endpoint.error());
  if (auto ok = check_bucket(location.bucket); !ok) return fail(ok.error());
  if (!location.path_style) {
    if (endpoint->is_ip)
      return fail(invalid("s3_bad_endpoint", "virtual-hosted addressing needs a DNS name; use path style"));
    if (endpoint->scheme == "https" && location.bucket.find('.') != std::string::npos)
      return fail(invalid("s3_bad_bucket", "a bucket with dots needs path style over https"));
  }
  if (auto ok = check_region(location.region); !ok) return fail(ok.error());
  if (auto ok = check_credentials(credentials); !ok) return fail(ok.error());
  if (auto ok = check_key(key); !ok) return fail(ok.error());
  if (now_s < 0 || now_s > kMaxTimeS)
    return fail(invalid("s3_bad_time", "the signing time must fall in the years 1970-9999"));

  Target t;
  t.host = location.path_style ? endpoint->host : location.bucket + "." + endpoint->host;
  if (!endpoint->port.empty()) t.host += ":" + endpoint->port;
  t.origin = std::string(endpoint->scheme) + "://" + t.host;
  t.path = "/" + (location.path_style ? location.bucket + "/" : std::string()) + encode_path(key);
  std::tie(t.date, t.date_time) = format_stamp(now_s);
  t.scope = t.date + "/" + location.region + "/" + std::string(kService) + "/aws4_request";
  return t;
}

// Encoded query parameters sorted by name, then value, and joined.
std::string join_query(std::vector<std::pair<std::string, std::string>> query) {
  std::sort(query.begin(), query.end());
  std::string out;
  for (const auto& [name, value] : query) {
    if (!out.empty()) out += '&';
    out += name + "=" + value;
  }
  return out;
}

struct Signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string hex; // the signature
};

Signature sign(const Target& t, const S3Location& location, const S3Credentials& credentials, std::string_view method,
               std::string_view canonical_query, const CanonicalHeaders& headers, std::string_view payload_hash) {
  Signature out;
  out.canonical_request = std::string(method) + "\n" + t.path + "\n" + std::string(canonical_query) + "\n" +
                          headers.lines + "\n" + headers.names + "\n" + std::string(payload_hash);
  out.string_to_sign =
      std::string(kAlgorithm) + "\n" + t.date_time + "\n" + t.scope + "\n" + sha256_hex(out.canonical_request);
  std::string key = sigv4_signing_key(credentials.secret_access_key, t.date, location.region, kService);
  out.hex = hex_encode(hmac_sha256(key, out.string_to_sign));
  sodium_memzero(key.data(), key.size());
  return out;
}

} // namespace

std::string sigv4_signing_key(std::string_view secret_access_key, std::string_view date, std::string_view region,
                              std::string_view service) {
  std::string secret = "AWS4";
  secret += secret_access_key;
  std::string k_date = hmac_sha256(secret, date);
  std::string k_region = hmac_sha256(k_date, region);
  std::string k_service = hmac_sha256(k_region, service);
  std::string k_signing = hmac_sha256(k_service, "aws4_request");
  for (std::string* s : {&secret, &k_date, &k_region, &k_service}) sodium_memzero(s->data(), s->size());
  return k_signing;
}

Result<PresignedUrl> presign_url(const S3Location& location, const S3Credentials& credentials,
                                 const PresignRequest& request) {
  if (request.method != "GET" && request.method != "PUT")
    return fail(invalid("s3_bad_method", "only GET and PUT can be pre-signed"));
  if (request.expires_s < 1 || request.expires_s > kMaxExpiresS)
    return fail(invalid("s3_bad_expiry", "a pre-signed URL expires after 1 to 604800 seconds"));
  auto target = target_of(location, credentials, request.key, request.now_s);
  if (!target) return fail(target.error());
  auto headers = canonical_headers(target->host, request.signed_headers);
  if (!headers) return fail(headers.error());
  auto query = encode_query(request.query);
  if (!query) return fail(query.error());

  query->emplace_back("X-Amz-Algorithm", std::string(kAlgorithm));
  query->emplace_back("X-Amz-Credential", percent_encode(credentials.access_key_id + "/" + target->scope));
  query->emplace_back("X-Amz-Date", target->date_time);
  query->emplace_back("X-Amz-Expires", std::to_string(request.expires_s));
  query->emplace_back("X-Amz-SignedHeaders", percent_encode(headers->names));
  if (!credentials.session_token.empty())
    query->emplace_back("X-Amz-Security-Token", percent_encode(credentials.session_token));
  const std::string canonical_query = join_query(std::move(*query));
  auto s = sign(*target, location, credentials, request.method, canonical_query, *headers, kUnsignedPayload);
  return PresignedUrl{target->origin + target->path + "?" + canonical_query + "&X-Amz-Signature=" + s.hex,
                      std::move(s.canonical_request), std::move(s.string_to_sign)};
}

Result<SignedRequest> sign_request(const S3Location& location, const S3Credentials& credentials,
                                   const SignRequest& request) {
  if (request.method != "GET" && request.method != "HEAD" && request.method != "DELETE")
    return fail(invalid("s3_bad_method", "only GET, HEAD and DELETE (requests without a body) can be signed"));
  auto target = target_of(location, credentials, request.key, request.now_s);
  if (!target) return fail(target.error());
  for (const auto& [name, value] : request.signed_headers) {
    if (std::find(kRequestAuthHeaders.begin(), kRequestAuthHeaders.end(), name) != kRequestAuthHeaders.end())
      return fail(invalid("s3_bad_header", "header '" + name + "' is one the signature sets"));
  }
  auto sent = request.signed_headers;
  sent.emplace_back("x-amz-content-sha256", std::string(kEmptyPayloadHash));
  sent.emplace_back("x-amz-date", target->date_time);
  if (!credentials.session_token.empty()) sent.emplace_back("x-amz-security-token", credentials.session_token);
  auto headers = canonical_headers(target->host, sent);
  if (!headers) return fail(headers.error());
  auto query = encode_query(request.query);
  if (!query) return fail(query.error());

  const std::string canonical_query = join_query(std::move(*query));
  auto s = sign(*target, location, credentials, request.method, canonical_query, *headers, kEmptyPayloadHash);
  sent.emplace_back("authorization", std::string(kAlgorithm) + " Credential=" + credentials.access_key_id + "/" +
                                         target->scope + ",SignedHeaders=" + headers->names + ",Signature=" + s.hex);
  return SignedRequest{target->origin + target->path + (canonical_query.empty() ? "" : "?" + canonical_query),
                       std::move(sent), std::move(s.canonical_request), std::move(s.string_to_sign)};
}

} // namespace parley

#include "services/auth/jwt.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <system_error>

#include "core/base64url.hpp"
#include "services/auth/secrets.hpp"

namespace parley {
namespace {

namespace json = boost::json;

constexpr std::size_t kMaxTokenBytes = 4096;
constexpr std::int64_t kClockSkewS = 30;
constexpr std::size_t kMaxKeyFileBytes = 1024;

std::string_view as_chars(const unsigned char* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

std::string kid_for(const std::array<unsigned char, crypto_sign_PUBLICKEYBYTES>& public_key) {
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), public_key.data(), public_key.size());
  return base64url_encode(as_chars(digest.data(), digest.size())).substr(0, 16);
}

SigningKey key_from_seed(const unsigned char* seed) {
  SigningKey key;
  crypto_sign_seed_keypair(key.public_key.data(), key.secret_key.data(), seed);
  key.kid = kid_for(key.public_key);
  return key;
}

std::runtime_error key_file_error(const std::filesystem::path& file, const std::string& what) {
  return std::runtime_error("signing key file " + file.string() + ": " + what);
}

SigningKey read_key_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw key_file_error(file, "cannot be opened");
  std::string text;
  text.resize(kMaxKeyFileBytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxKeyFileBytes) throw key_file_error(file, "is too large");
  if (text.ends_with('\n')) text.pop_back();
  const auto space = text.find(' ');
  if (space == std::string::npos) throw key_file_error(file, "is malformed (expected \"kid seed\")");
  const std::string kid = text.substr(0, space);
  auto seed = base64url_decode(std::string_view(text).substr(space + 1));
  sodium_memzero(text.data(), text.size());
  if (!seed || seed->size() != crypto_sign_SEEDBYTES) throw key_file_error(file, "holds a malformed seed");
  SigningKey key = key_from_seed(reinterpret_cast<const unsigned char*>(seed->data()));
  sodium_memzero(seed->data(), seed->size());
  if (key.kid != kid) throw key_file_error(file, "kid does not match the key");
  return key;
}

// Writes `text` to a private temporary file, then links it into place: link() fails with EEXIST
// if another process got there first, so a reader never sees a half-written key file.
// Returns false if `file` already existed.
bool create_key_file(const std::filesystem::path& file, std::string& text) {
  const auto tmp = std::filesystem::path(file).concat(".tmp-" + random_token(9));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw key_file_error(tmp, std::strerror(errno));
  std::size_t written = 0;
  while (written < text.size()) {
    const auto n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += static_cast<std::size_t>(n);
  }
  const bool ok = written == text.size() && ::fchmod(fd, 0600) == 0 && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(tmp.c_str());
    throw key_file_error(tmp, "cannot be written");
  }
  const int linked = ::link(tmp.c_str(), file.c_str());
  const int link_errno = errno;
  ::unlink(tmp.c_str());
  if (linked == 0) return true;
  if (link_errno == EEXIST) return false;
  throw key_file_error(file, std::strerror(link_errno));
}

std::optional<json::object> decode_json_object(std::string_view part) {
  const auto text = base64url_decode(part);
  if (!text) return std::nullopt;
  boost::system::error_code ec;
  json::value value = json::parse(*text, ec);
  if (ec || !value.is_object()) return std::nullopt;
  return std::move(value.get_object());
}

const json::string* string_claim(const json::object& object, std::string_view name) {
  const json::value* v = object.if_contains(name);
  return v ? v->if_string() : nullptr;
}

std::optional<std::int64_t> int_claim(const json::object& object, std::string_view name) {
  const json::value* v = object.if_contains(name);
  if (!v || !v->is_int64()) return std::nullopt;
  return v->get_int64();
}

tl::unexpected<Error> invalid_token() { return fail(Error::unauthenticated("invalid_token", "invalid access token")); }

} // namespace

SigningKey generate_signing_key() {
  ensure_sodium();
  std::array<unsigned char, crypto_sign_SEEDBYTES> seed{};
  randombytes_buf(seed.data(), seed.size());
  SigningKey key = key_from_seed(seed.data());
  sodium_memzero(seed.data(), seed.size());
  return key;
}

std::string derive_secret(const SigningKey& key, std::string_view purpose) {
  ensure_sodium();
  std::string out(crypto_auth_hmacsha256_BYTES, '\0');
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, key.secret_key.data(), key.secret_key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(purpose.data()), purpose.size());
  crypto_auth_hmacsha256_final(&state, reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

SigningKey load_or_create_signing_key(const std::filesystem::path& file) {
  ensure_sodium();
  std::error_code ec;
  if (std::filesystem::exists(file, ec)) return read_key_file(file);
  if (file.has_parent_path()) {
    std::filesystem::create_directories(file.parent_path(), ec);
    if (ec) throw key_file_error(file, "cannot create its directory: " + ec.message());
  }
  std::array<unsigned char, crypto_sign_SEEDBYTES> seed{};
  randombytes_buf(seed.data(), seed.size());
  SigningKey key = key_from_seed(seed.data());
  std::string line = key.kid + " " + base64url_encode(as_chars(seed.data(), seed.size())) + "\n";
  sodium_memzero(seed.data(), seed.size());
  const bool created = create_key_file(file, line);
  sodium_memzero(line.data(), line.size());
  return created ? key : read_key_file(file);
}

JwtVerifier::JwtVerifier(VerifyingKey key, std::string issuer, const Clock& clock)
    : key_(std::move(key)), issuer_(std::move(issuer)), clock_(&clock) {
  ensure_sodium();
}

Result<JwtVerifier> JwtVerifier::from_jwks(std::string_view jwks_json, std::string issuer, const Clock& clock) {
  const auto invalid = [](std::string message) { return fail(Error::invalid("invalid_jwks", std::move(message))); };
  boost::system::error_code ec;
  const json::value doc = json::parse(jwks_json, ec);
  const json::value* keys = !ec && doc.is_object() ? doc.as_object().if_contains("keys") : nullptr;
  if (!keys || !keys->is_array()) return invalid("not a JWKS document (no \"keys\" array)");
  for (const auto& entry : keys->as_array()) {
    if (!entry.is_object()) continue;
    const auto& jwk = entry.as_object();
    const auto* kty = string_claim(jwk, "kty");
    const auto* crv = string_claim(jwk, "crv");
    const auto* kid = string_claim(jwk, "kid");
    const auto* x = string_claim(jwk, "x");
    if (!kty || *kty != "OKP" || !crv || *crv != "Ed25519" || !kid || kid->empty() || !x) continue;
    if (const auto* alg = jwk.if_contains("alg"); alg && (!alg->is_string() || alg->as_string() != "EdDSA")) continue;
    if (const auto* use = jwk.if_contains("use"); use && (!use->is_string() || use->as_string() != "sig")) continue;
    const auto public_key = base64url_decode(std::string_view(x->data(), x->size()));
    VerifyingKey key;
    if (!public_key || public_key->size() != key.public_key.size()) continue;
    key.kid = std::string(kid->data(), kid->size());
    std::memcpy(key.public_key.data(), public_key->data(), key.public_key.size());
    return JwtVerifier(std::move(key), std::move(issuer), clock);
  }
  return invalid("no Ed25519 signing key in the JWKS document");
}

Result<Principal> JwtVerifier::verify(std::string_view token) const {
  if (token.size() > kMaxTokenBytes) return invalid_token();
  const auto first = token.find('.');
  if (first == std::string_view::npos) return invalid_token();
  const auto second = token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) return invalid_token();
  const auto header_part = token.substr(0, first);
  const auto payload_part = token.substr(first + 1, second - first - 1);
  const auto signature_part = token.substr(second + 1);
  if (header_part.empty() || payload_part.empty() || signature_part.empty()) return invalid_token();

  // Header first: the algorithm is fixed here, never taken from the token ("none", HS256 with the
  // public key as an HMAC secret, and every other algorithm are refused).
  const auto header = decode_json_object(header_part);
  if (!header) return invalid_token();
  const auto* alg = string_claim(*header, "alg");
  const auto* kid = string_claim(*header, "kid");
  if (!alg || *alg != "EdDSA" || !kid || *kid != key_.kid) return invalid_token();
  if (header->contains("crit")) return invalid_token(); // we understand no extensions (RFC 7515 §4.1.11)

  const auto signature = base64url_decode(signature_part);
  if (!signature || signature->size() != crypto_sign_BYTES) return invalid_token();
  const auto signed_part = token.substr(0, second);
  if (crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature->data()),
                                  reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size(),
                                  key_.public_key.data()) != 0) {
    return invalid_token();
  }

  const auto claims = decode_json_object(payload_part);
  if (!claims) return invalid_token();
  const auto* iss = string_claim(*claims, "iss");
  const auto* sub = string_claim(*claims, "sub");
  const auto* sid = string_claim(*claims, "sid");
  const auto exp = int_claim(*claims, "exp");
  const auto nbf = int_claim(*claims, "nbf");
  const auto iat = int_claim(*claims, "iat");
  if (!iss || *iss != issuer_ || !sub || sub->empty() || !sid || sid->empty() || !exp || !nbf || !iat) {
    return invalid_token();
  }
  const std::int64_t now = clock_->now_s();
  if (*exp <= now) return fail(Error::unauthenticated("token_expired", "access token expired"));
  // Not yet valid, or issued in the future (beyond the skew): a token from a clock that is
  // wrong, or one minted to outlive its lifetime.
  if (*nbf > now + kClockSkewS || *iat > now + kClockSkewS) return invalid_token();
  return Principal{std::string(*sub), std::string(*sid), *exp};
}

std::string JwtVerifier::jwks_json() const {
  const std::string x = base64url_encode(as_chars(key_.public_key.data(), key_.public_key.size()));
  const json::object jwk{{"kty", "OKP"}, {"crv", "Ed25519"}, {"kid", key_.kid},
                         {"x", x},       {"alg", "EdDSA"},   {"use", "sig"}};
  return json::serialize(json::object{{"keys", json::array{jwk}}});
}

JwtSigner::JwtSigner(SigningKey key, std::string issuer, const Clock& clock, std::chrono::seconds ttl)
    : key_(std::move(key)),
      issuer_(std::move(issuer)),
      clock_(clock),
      ttl_(ttl),
      verifier_(VerifyingKey{key_.kid, key_.public_key}, issuer_, clock) {
  ensure_sodium();
  if (ttl_.count() <= 0) throw std::invalid_argument("JwtSigner: ttl must be positive");
  header_b64_ = base64url_encode(json::serialize(json::object{{"alg", "EdDSA"}, {"typ", "JWT"}, {"kid", key_.kid}}));
}

std::string JwtSigner::sign(std::string_view user_id, std::string_view session_id) const {
  const std::int64_t now = clock_.now_s();
  const json::object claims{
      {"iss", issuer_},
      {"sub", user_id},
      {"sid", session_id},
      {"iat", now},
      {"nbf", now},
      {"exp", now + ttl_.count()},
      {"jti", random_token(16)},
  };
  std::string token = header_b64_ + "." + base64url_encode(json::serialize(claims));
  std::array<unsigned char, crypto_sign_BYTES> signature{};
  crypto_sign_detached(signature.data(), nullptr, reinterpret_cast<const unsigned char*>(token.data()), token.size(),
                       key_.secret_key.data());
  token += ".";
  token += base64url_encode(as_chars(signature.data(), signature.size()));
  return token;
}

} // namespace parley

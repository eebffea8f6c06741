#pragma once
// EdDSA (Ed25519) JWT access tokens: the auth service signs them, every service verifies
// them, and other processes fetch the public key as JWKS.
//
// Verification is deliberately strict (see JwtSigner::verify): exactly one algorithm,
// exactly one key id, canonical base64url, typed claims. Anything else is "invalid_token".

#include <sodium.h>

#include <array>
#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "ports/access_tokens.hpp"

namespace parley {

struct SigningKey {
  std::string kid; // first 16 characters of base64url(SHA-256(public_key))
  std::array<unsigned char, crypto_sign_PUBLICKEYBYTES> public_key{};
  std::array<unsigned char, crypto_sign_SECRETKEYBYTES> secret_key{};
};

// 32 bytes derived from the key for `purpose` (HMAC-SHA256 keyed with the secret key):
// a secret for other uses that rotates with the key.
std::string derive_secret(const SigningKey& key, std::string_view purpose);

// A fresh random key (tests, or callers that keep the key elsewhere).
SigningKey generate_signing_key();

// Reads the key stored in `file`, or creates the file (and its parent directories, mode 0600)
// holding a new key. The file is one line "kid base64url(32-byte seed)". Concurrent creators
// agree on one key (the file is created exclusively). Throws std::runtime_error if the file is
// malformed, its kid does not match its seed, or it cannot be read or written.
SigningKey load_or_create_signing_key(const std::filesystem::path& file);

class JwtSigner final : public AccessTokenVerifier {
 public:
  // `clock` must outlive the signer. Throws std::invalid_argument if `ttl` is not positive.
  JwtSigner(SigningKey key, std::string issuer, const Clock& clock, std::chrono::seconds ttl);

  // A token for (user, session) valid from now for ttl(): header {alg, typ, kid},
  // claims {iss, sub, sid, iat, nbf, exp, jti}.
  std::string sign(std::string_view user_id, std::string_view session_id) const;

  // Accepts only tokens of at most 4 KiB made of three non-empty base64url parts whose header is
  // {"alg":"EdDSA", "kid":<our kid>} (no "crit"), whose Ed25519 signature over "header.payload"
  // is valid, and whose claims have iss == issuer, non-empty string sub and sid, and integer
  // iat/nbf/exp. Fails with unauthenticated "token_expired" when exp <= now, otherwise
  // "invalid_token" (including nbf more than 30 s in the future). Never throws on any input.
  Result<Principal> verify(std::string_view token) const override;

  // {"keys":[{"kty":"OKP","crv":"Ed25519","kid":...,"x":...,"alg":"EdDSA","use":"sig"}]}
  std::string jwks_json() const;

  std::chrono::seconds ttl() const { return ttl_; }

 private:
  SigningKey key_;
  std::string issuer_;
  const Clock& clock_;
  std::chrono::seconds ttl_;
  std::string header_b64_; // the header never changes for a given key
};

} // namespace parley

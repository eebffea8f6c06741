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

// The public half of a signing key: what a verifier needs.
struct VerifyingKey {
  std::string kid;
  std::array<unsigned char, crypto_sign_PUBLICKEYBYTES> public_key{};
};

// Verifies access tokens with a public key only: the auth service's signer uses one, and
// every other process builds one from the auth service's JWKS (GET /api/v1/auth/jwks).
class JwtVerifier final : public AccessTokenVerifier {
 public:
  // `clock` must outlive the verifier.
  JwtVerifier(VerifyingKey key, std::string issuer, const Clock& clock);

  // The first key of a JWKS document with kty "OKP", crv "Ed25519", a non-empty kid, a 32-byte
  // x, and (when present) alg "EdDSA" and use "sig"; other keys are skipped. Fails with
  // invalid_argument "invalid_jwks" when the document is malformed or has no such key. The
  // issuer is not part of a JWKS: the caller knows it.
  static Result<JwtVerifier> from_jwks(std::string_view jwks_json, std::string issuer, const Clock& clock);

  // Accepts only tokens of at most 4 KiB made of three non-empty base64url parts whose header is
  // {"alg":"EdDSA", "kid":<our kid>} (no "crit"), whose Ed25519 signature over "header.payload"
  // is valid, and whose claims have iss == issuer, non-empty string sub and sid, and integer
  // iat/nbf/exp. Fails with unauthenticated "token_expired" when exp <= now, otherwise
  // "invalid_token" (including nbf more than 30 s in the future). Never throws on any input.
  Result<Principal> verify(std::string_view token) const override;

  // {"keys":[{"kty":"OKP","crv":"Ed25519","kid":...,"x":...,"alg":"EdDSA","use":"sig"}]}
  std::string jwks_json() const;

  const std::string& kid() const { return key_.kid; }
  const std::string& issuer() const { return issuer_; }

 private:
  VerifyingKey key_;
  std::string issuer_;
  const Clock* clock_; // a pointer, so that verifiers can be assigned
};

class JwtSigner final : public AccessTokenVerifier {
 public:
  // `clock` must outlive the signer. Throws std::invalid_argument if `ttl` is not positive.
  JwtSigner(SigningKey key, std::string issuer, const Clock& clock, std::chrono::seconds ttl);

  // A token for (user, session) valid from now for ttl(): header {alg, typ, kid},
  // claims {iss, sub, sid, iat, nbf, exp, jti}.
  std::string sign(std::string_view user_id, std::string_view session_id) const;

  // What JwtVerifier::verify accepts, with this signer's key and issuer.
  Result<Principal> verify(std::string_view token) const override { return verifier_.verify(token); }

  // The public key, for other processes' JwtVerifier::from_jwks.
  std::string jwks_json() const { return verifier_.jwks_json(); }

  const JwtVerifier& verifier() const { return verifier_; }
  std::chrono::seconds ttl() const { return ttl_; }

 private:
  SigningKey key_;
  std::string issuer_;
  const Clock& clock_;
  std::chrono::seconds ttl_;
  JwtVerifier verifier_;
  std::string header_b64_; // the header never changes for a given key
};

} // namespace parley

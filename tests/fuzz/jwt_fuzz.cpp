// Access tokens: JwtVerifier::verify, which every service runs on the bearer token of each
// request and on the `auth` frames of WebSocket connections, and JwtVerifier::from_jwks, which
// reads the auth service's key document on the other services.
//
// The first input byte picks what the rest is:
//   0: a token, verified as it comes (what a client can send);
//   1: "header JSON\npayload JSON", encoded and signed here with the verifier's own key, so
//      that the claims behind the signature are reached too ("$KID" stands for the key's id);
//   2: a JWKS document; a verifier built from it verifies a token signed with our key.
// Contract under test: verify never throws and accepts a token only with exactly the claims
// documented; from_jwks returns an error rather than throwing.

#include <sodium.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/base64url.hpp"
#include "core/clock.hpp"
#include "services/auth/jwt.hpp"

namespace {

using namespace parley;

void check(bool ok) {
  if (!ok) std::abort();
}

struct Fixture {
  ManualClock clock;
  SigningKey key = generate_signing_key();
  JwtSigner signer{key, "parley", clock, std::chrono::seconds(900)};
  std::string good = signer.sign("user-1", "session-1");
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

std::string signed_token(const SigningKey& key, std::string header, std::string_view payload) {
  for (auto at = header.find("$KID"); at != std::string::npos; at = header.find("$KID", at + key.kid.size()))
    header.replace(at, 4, key.kid);
  std::string token = base64url_encode(header) + "." + base64url_encode(payload);
  std::array<unsigned char, crypto_sign_BYTES> signature{};
  crypto_sign_detached(signature.data(), nullptr, reinterpret_cast<const unsigned char*>(token.data()), token.size(),
                       key.secret_key.data());
  return token + "." +
         base64url_encode(std::string_view(reinterpret_cast<const char*>(signature.data()), signature.size()));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  auto& f = fixture();
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      const auto who = f.signer.verify(input);
      if (who) check(!who->user_id.empty() && !who->session_id.empty() && who->expires_at_s > f.clock.now_s());
      break;
    }
    case 1: {
      const auto newline = input.find('\n');
      if (newline == std::string_view::npos) return 0;
      const auto token = signed_token(f.key, std::string(input.substr(0, newline)), input.substr(newline + 1));
      const auto who = f.signer.verify(token);
      if (who)
        check(!who->user_id.empty() && !who->session_id.empty() && who->expires_at_s > f.clock.now_s());
      else
        check(who.error().code == "invalid_token" || who.error().code == "token_expired");
      break;
    }
    default: {
      auto verifier = JwtVerifier::from_jwks(input, "parley", f.clock);
      if (verifier) {
        const auto who = verifier->verify(f.good);
        // Only our own key verifies our token.
        check(!who || verifier->kid() == f.key.kid);
      } else {
        check(verifier.error().code == "invalid_jwks");
      }
      break;
    }
  }
  return 0;
}

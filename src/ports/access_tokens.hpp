#pragma once
// Verifies access tokens at the edge of every service. The auth service signs them;
// everyone else only needs the public keys (JWKS).

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace parley {

struct Principal {
  std::string user_id;
  std::string session_id;
  std::int64_t expires_at_s = 0;
};

class AccessTokenVerifier {
 public:
  virtual ~AccessTokenVerifier() = default;
  // Fails with unauthenticated "invalid_token" or "token_expired".
  virtual Result<Principal> verify(std::string_view token) const = 0;
};

} // namespace parley

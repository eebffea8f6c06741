#pragma once
// Refresh-token sessions. A session is a family of refresh tokens, each replacing the
// previous one at refresh. Only SHA-256 hashes of tokens are stored.
// Guarantee: rotate() is atomic — of two concurrent rotations of one token exactly one
// succeeds, so a reused token is always detected.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace parley {

struct RefreshToken {
  std::string token_hash; // hex SHA-256 of the opaque token
  std::string session_id; // family
  std::string user_id;
  std::int64_t issued_at_ms = 0;
  std::int64_t expires_at_ms = 0;
  bool rotated = false;         // already exchanged for a newer token
  bool session_revoked = false; // the whole family is revoked
};

class SessionStore {
 public:
  virtual ~SessionStore() = default;
  // Starts a session with its first token.
  virtual Result<void> create_session(const RefreshToken& first) = 0;
  virtual Result<std::optional<RefreshToken>> find_token(std::string_view token_hash) = 0;
  // Marks `old_hash` rotated and stores `next` in the same session, atomically.
  // Returns false (and stores nothing) when `old_hash` was already rotated.
  virtual Result<bool> rotate(std::string_view old_hash, const RefreshToken& next) = 0;
  virtual Result<void> revoke_session(std::string_view session_id) = 0;
  // Revokes every session of the user except `keep_session_id` (empty: all).
  virtual Result<void> revoke_all(std::string_view user_id, std::string_view keep_session_id = {}) = 0;
  virtual Result<bool> session_active(std::string_view session_id) = 0;
};

} // namespace parley

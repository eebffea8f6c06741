#pragma once
// SessionStore on MongoDB (database "parley_auth" by default): collections sessions (one
// document per family, holds `revoked`), tokens (one per refresh token) and rotations
// (one per rotated token: {_id: old hash, next: new hash}).
//
// rotate() without transactions: the new token is inserted first (a taken hash fails
// before anything changed), then the rotation document; its unique _id makes exactly one
// of concurrent rotations of a token win. A loser deletes the token it inserted. A token
// reads as rotated exactly when its rotation document exists.

#include <string>

#include "adapters/mongo/mongo_client.hpp"
#include "ports/session_store.hpp"

namespace parley {

class MongoSessionStore final : public SessionStore {
 public:
  explicit MongoSessionStore(MongoPool& pool, std::string database = "parley_auth") : db_(pool, std::move(database)) {}

  // Creates the collections' indexes (idempotent). Call once at start.
  Result<void> create_indexes();

  // The session starts active and `first` unrotated, whatever its flags say. Conflict
  // "session_exists" when the session id or the token is already stored; nothing is
  // stored then.
  Result<void> create_session(const RefreshToken& first) override;
  // nullopt also for a token whose session is not stored (a create_session under way).
  Result<std::optional<RefreshToken>> find_token(std::string_view token_hash) override;
  // Conflict "token_exists" when next's hash is taken; `old_hash` stays unrotated then.
  Result<bool> rotate(std::string_view old_hash, const RefreshToken& next) override;
  Result<void> revoke_session(std::string_view session_id) override;
  Result<void> revoke_all(std::string_view user_id, std::string_view keep_session_id = {}) override;
  // False for an unknown session.
  Result<bool> session_active(std::string_view session_id) override;

 private:
  MongoDatabase db_;
};

} // namespace parley

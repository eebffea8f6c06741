#pragma once
// SessionStore on SQLite: auth_sessions (one row per family, holds `revoked`) and
// auth_refresh_tokens (one row per token, holds `rotated`).

#include "adapters/sqlite/database.hpp"
#include "ports/session_store.hpp"

namespace parley {

class SqliteSessionStore final : public SessionStore {
 public:
  explicit SqliteSessionStore(SqliteDatabase& db) : db_(db) {}

  // The session starts active and `first` unrotated, whatever its flags say.
  // Fails with conflict "session_exists" when the session id or token is already stored.
  Result<void> create_session(const RefreshToken& first) override;
  Result<std::optional<RefreshToken>> find_token(std::string_view token_hash) override;
  // Compare-and-set on `rotated` in one IMMEDIATE transaction with the insert of `next`:
  // atomic across threads and across connections to the same file.
  Result<bool> rotate(std::string_view old_hash, const RefreshToken& next) override;
  Result<void> revoke_session(std::string_view session_id) override;
  Result<void> revoke_all(std::string_view user_id, std::string_view keep_session_id = {}) override;
  // False for an unknown session.
  Result<bool> session_active(std::string_view session_id) override;

 private:
  SqliteDatabase& db_;
};

} // namespace parley

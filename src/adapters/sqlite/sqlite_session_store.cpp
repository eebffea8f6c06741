#include "adapters/sqlite/sqlite_session_store.hpp"

namespace parley {

namespace {

Result<void> insert_token(Connection& conn, const RefreshToken& token) {
  Statement st(
      conn,
      "INSERT INTO auth_refresh_tokens (token_hash, session_id, user_id, issued_at_ms, expires_at_ms, rotated) "
      "VALUES (?, ?, ?, ?, ?, 0)");
  st.bind_text(1, token.token_hash)
      .bind_text(2, token.session_id)
      .bind_text(3, token.user_id)
      .bind_int64(4, token.issued_at_ms)
      .bind_int64(5, token.expires_at_ms);
  return st.run();
}

} // namespace

Result<void> SqliteSessionStore::create_session(const RefreshToken& first) {
  auto conn = db_.lock();
  auto tx = Transaction::begin(conn);
  if (!tx) return fail(tx.error());
  Statement st(conn, "INSERT INTO auth_sessions (id, user_id, revoked, created_at_ms) VALUES (?, ?, 0, ?)");
  st.bind_text(1, first.session_id).bind_text(2, first.user_id).bind_int64(3, first.issued_at_ms);
  auto r = st.run();
  if (r) r = insert_token(conn, first);
  if (!r) {
    if (is_unique_violation(r.error(), "auth_sessions.id") ||
        is_unique_violation(r.error(), "auth_refresh_tokens.token_hash")) {
      return fail(Error::conflict("session_exists", "session or refresh token already stored"));
    }
    return fail(r.error());
  }
  return tx->commit();
}

Result<std::optional<RefreshToken>> SqliteSessionStore::find_token(std::string_view token_hash) {
  auto conn = db_.lock();
  Statement st(conn,
               "SELECT t.token_hash, t.session_id, t.user_id, t.issued_at_ms, t.expires_at_ms, t.rotated, s.revoked "
               "FROM auth_refresh_tokens t JOIN auth_sessions s ON s.id = t.session_id WHERE t.token_hash = ?");
  st.bind_text(1, token_hash);
  auto row = st.step();
  if (!row) return fail(row.error());
  if (!*row) return std::optional<RefreshToken>();
  RefreshToken t;
  t.token_hash = st.column_text(0);
  t.session_id = st.column_text(1);
  t.user_id = st.column_text(2);
  t.issued_at_ms = st.column_int64(3);
  t.expires_at_ms = st.column_int64(4);
  t.rotated = st.column_bool(5);
  t.session_revoked = st.column_bool(6);
  return std::optional<RefreshToken>(std::move(t));
}

Result<bool> SqliteSessionStore::rotate(std::string_view old_hash, const RefreshToken& next) {
  auto conn = db_.lock();
  auto tx = Transaction::begin(conn);
  if (!tx) return fail(tx.error());
  Statement cas(conn, "UPDATE auth_refresh_tokens SET rotated = 1 WHERE token_hash = ? AND rotated = 0");
  cas.bind_text(1, old_hash);
  if (auto r = cas.run(); !r) return fail(r.error());
  if (conn.changes() == 0) return false; // already rotated or unknown; tx rolls back
  if (auto r = insert_token(conn, next); !r) {
    if (is_unique_violation(r.error(), "auth_refresh_tokens.token_hash")) {
      return fail(Error::conflict("token_exists", "refresh token already stored"));
    }
    return fail(r.error());
  }
  if (auto r = tx->commit(); !r) return fail(r.error());
  return true;
}

Result<void> SqliteSessionStore::revoke_session(std::string_view session_id) {
  auto conn = db_.lock();
  Statement st(conn, "UPDATE auth_sessions SET revoked = 1 WHERE id = ?");
  st.bind_text(1, session_id);
  return st.run();
}

Result<void> SqliteSessionStore::revoke_all(std::string_view user_id, std::string_view keep_session_id) {
  auto conn = db_.lock();
  // Session ids are never empty, so an empty `keep` excludes nothing.
  Statement st(conn, "UPDATE auth_sessions SET revoked = 1 WHERE user_id = ? AND id <> ? AND revoked = 0");
  st.bind_text(1, user_id).bind_text(2, keep_session_id);
  return st.run();
}

Result<bool> SqliteSessionStore::session_active(std::string_view session_id) {
  auto conn = db_.lock();
  Statement st(conn, "SELECT revoked FROM auth_sessions WHERE id = ?");
  st.bind_text(1, session_id);
  auto row = st.step();
  if (!row) return fail(row.error());
  return *row && !st.column_bool(0);
}

} // namespace parley

#include "adapters/sqlite/sqlite_account_store.hpp"

#include <string>

namespace parley {

namespace {

Result<void> require_changed(Connection& conn) {
  if (conn.changes() == 0) return fail(Error::not_found("account_not_found", "no such account"));
  return {};
}

} // namespace

Result<void> SqliteAccountStore::insert(const Account& account) {
  auto conn = db_.lock();
  Statement st(conn,
               "INSERT INTO auth_accounts (id, email, password_hash, verified, created_at_ms) VALUES (?, ?, ?, ?, ?)");
  st.bind_text(1, account.id)
      .bind_text(2, account.email)
      .bind_text(3, account.password_hash)
      .bind_int64(4, account.verified ? 1 : 0)
      .bind_int64(5, account.created_at_ms);
  if (auto r = st.run(); !r) {
    if (is_unique_violation(r.error(), "auth_accounts.email")) {
      return fail(Error::conflict("email_taken", "this e-mail address is already registered"));
    }
    return fail(r.error());
  }
  return {};
}

Result<std::optional<Account>> SqliteAccountStore::find_where(const char* column, std::string_view value) {
  auto conn = db_.lock();
  // `column` is one of two literals chosen in this file, never user input.
  const std::string sql =
      std::string("SELECT id, email, password_hash, verified, created_at_ms FROM auth_accounts WHERE ") + column +
      " = ?";
  Statement st(conn, sql);
  st.bind_text(1, value);
  auto row = st.step();
  if (!row) return fail(row.error());
  if (!*row) return std::optional<Account>();
  Account a;
  a.id = st.column_text(0);
  a.email = st.column_text(1);
  a.password_hash = st.column_text(2);
  a.verified = st.column_bool(3);
  a.created_at_ms = st.column_int64(4);
  return std::optional<Account>(std::move(a));
}

Result<std::optional<Account>> SqliteAccountStore::find_by_email(std::string_view email) {
  return find_where("email", email);
}

Result<std::optional<Account>> SqliteAccountStore::find_by_id(std::string_view id) { return find_where("id", id); }

Result<void> SqliteAccountStore::set_verified(std::string_view id) {
  auto conn = db_.lock();
  Statement st(conn, "UPDATE auth_accounts SET verified = 1 WHERE id = ?");
  st.bind_text(1, id);
  if (auto r = st.run(); !r) return fail(r.error());
  return require_changed(conn);
}

Result<void> SqliteAccountStore::set_password_hash(std::string_view id, std::string_view hash) {
  auto conn = db_.lock();
  Statement st(conn, "UPDATE auth_accounts SET password_hash = ? WHERE id = ?");
  st.bind_text(1, hash).bind_text(2, id);
  if (auto r = st.run(); !r) return fail(r.error());
  return require_changed(conn);
}

Result<void> SqliteAccountStore::remove(std::string_view id) {
  auto conn = db_.lock();
  Statement st(conn, "DELETE FROM auth_accounts WHERE id = ?");
  st.bind_text(1, id);
  return st.run();
}

} // namespace parley

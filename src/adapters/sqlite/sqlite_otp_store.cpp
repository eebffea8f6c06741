#include "adapters/sqlite/sqlite_otp_store.hpp"

#include <string>

namespace parley {

namespace {

// Stored as text so the table reads well in the sqlite3 shell.
std::string_view purpose_name(OtpPurpose purpose) {
  switch (purpose) {
    case OtpPurpose::verify_email:
      return "verify_email";
    case OtpPurpose::reset_password:
      return "reset_password";
  }
  return "unknown";
}

} // namespace

Result<void> SqliteOtpStore::put(const Otp& otp) {
  auto conn = db_.lock();
  Statement st(conn,
               "INSERT INTO auth_otps (user_id, purpose, code_hash, expires_at_ms, sent_at_ms, attempts) "
               "VALUES (?, ?, ?, ?, ?, ?) "
               "ON CONFLICT (user_id, purpose) DO UPDATE SET code_hash = excluded.code_hash, "
               "expires_at_ms = excluded.expires_at_ms, sent_at_ms = excluded.sent_at_ms, "
               "attempts = excluded.attempts");
  st.bind_text(1, otp.user_id)
      .bind_text(2, purpose_name(otp.purpose))
      .bind_text(3, otp.code_hash)
      .bind_int64(4, otp.expires_at_ms)
      .bind_int64(5, otp.sent_at_ms)
      .bind_int64(6, otp.attempts);
  return st.run();
}

Result<std::optional<Otp>> SqliteOtpStore::get(std::string_view user_id, OtpPurpose purpose) {
  auto conn = db_.lock();
  Statement st(
      conn, "SELECT code_hash, expires_at_ms, sent_at_ms, attempts FROM auth_otps WHERE user_id = ? AND purpose = ?");
  st.bind_text(1, user_id).bind_text(2, purpose_name(purpose));
  auto row = st.step();
  if (!row) return fail(row.error());
  if (!*row) return std::optional<Otp>();
  Otp otp;
  otp.user_id = std::string(user_id);
  otp.purpose = purpose;
  otp.code_hash = st.column_text(0);
  otp.expires_at_ms = st.column_int64(1);
  otp.sent_at_ms = st.column_int64(2);
  otp.attempts = static_cast<int>(st.column_int64(3));
  return std::optional<Otp>(std::move(otp));
}

Result<int> SqliteOtpStore::add_attempt(std::string_view user_id, OtpPurpose purpose) {
  auto conn = db_.lock();
  // One statement: the increment and the read of the new count are atomic even
  // across connections.
  Statement st(conn,
               "UPDATE auth_otps SET attempts = attempts + 1 WHERE user_id = ? AND purpose = ? RETURNING attempts");
  st.bind_text(1, user_id).bind_text(2, purpose_name(purpose));
  auto row = st.step();
  if (!row) return fail(row.error());
  if (!*row) return fail(Error::not_found("otp_not_found", "no code was sent"));
  const int attempts = static_cast<int>(st.column_int64(0));
  if (auto done = st.run(); !done) return fail(done.error());
  return attempts;
}

Result<void> SqliteOtpStore::remove(std::string_view user_id, OtpPurpose purpose) {
  auto conn = db_.lock();
  Statement st(conn, "DELETE FROM auth_otps WHERE user_id = ? AND purpose = ?");
  st.bind_text(1, user_id).bind_text(2, purpose_name(purpose));
  return st.run();
}

} // namespace parley

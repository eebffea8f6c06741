#pragma once
// OtpStore on SQLite (table auth_otps, one row per (user, purpose)).

#include "adapters/sqlite/database.hpp"
#include "ports/otp_store.hpp"

namespace parley {

class SqliteOtpStore final : public OtpStore {
 public:
  explicit SqliteOtpStore(SqliteDatabase& db) : db_(db) {}

  Result<void> put(const Otp& otp) override;
  Result<std::optional<Otp>> get(std::string_view user_id, OtpPurpose purpose) override;
  // Fails with not_found "otp_not_found" when there is no live code.
  Result<int> add_attempt(std::string_view user_id, OtpPurpose purpose) override;
  // Removing a missing code is not an error.
  Result<void> remove(std::string_view user_id, OtpPurpose purpose) override;

 private:
  SqliteDatabase& db_;
};

} // namespace parley

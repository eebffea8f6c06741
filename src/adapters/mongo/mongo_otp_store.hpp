#pragma once
// OtpStore on MongoDB (database "parley_auth" by default): collection otps (one document
// per (user, purpose), unique) and otp_attempts. Each put() gives the code a fresh `gen`;
// a wrong guess is the insert of (gen, n) with n one above the current count, under a
// unique index, so concurrent guesses each get their own count and none is lost (FerretDB
// v1 has no atomic $inc). The count is max(attempts stored by put, highest n).

#include <string>

#include "adapters/mongo/mongo_client.hpp"
#include "ports/otp_store.hpp"

namespace parley {

class MongoOtpStore final : public OtpStore {
 public:
  explicit MongoOtpStore(MongoPool& pool, std::string database = "parley_auth") : db_(pool, std::move(database)) {}

  // Creates the collections' indexes (idempotent). Call once at start.
  Result<void> create_indexes();

  Result<void> put(const Otp& otp) override;
  Result<std::optional<Otp>> get(std::string_view user_id, OtpPurpose purpose) override;
  // Fails with not_found "otp_not_found" when there is no code.
  Result<int> add_attempt(std::string_view user_id, OtpPurpose purpose) override;
  // Removing a missing code is not an error.
  Result<void> remove(std::string_view user_id, OtpPurpose purpose) override;

 private:
  // The code's document and its current attempt count.
  Result<std::optional<std::pair<BsonDoc, std::int64_t>>> load(std::string_view user_id, OtpPurpose purpose);

  MongoDatabase db_;
};

} // namespace parley

#pragma once
// AccountStore on MongoDB (database "parley_auth" by default): collection accounts
// (unique email) and verifications (one document per verified account). Verification
// is an insert rather than a field so that it can never overwrite, or be overwritten by,
// a concurrent password change (FerretDB v1 writes updated documents whole).

#include <string>

#include "adapters/mongo/mongo_client.hpp"
#include "ports/account_store.hpp"

namespace parley {

class MongoAccountStore final : public AccountStore {
 public:
  explicit MongoAccountStore(MongoPool& pool, std::string database = "parley_auth") : db_(pool, std::move(database)) {}

  // Creates the collections' indexes (idempotent). Call once at start.
  Result<void> create_indexes();

  // Conflict "email_taken", or "account_exists" for a taken id.
  Result<void> insert(const Account& account) override;
  Result<std::optional<Account>> find_by_email(std::string_view email) override;
  Result<std::optional<Account>> find_by_id(std::string_view id) override;
  // Both fail with not_found "account_not_found" when the id is unknown.
  Result<void> set_verified(std::string_view id) override;
  Result<void> set_password_hash(std::string_view id, std::string_view hash) override;
  Result<void> remove(std::string_view id) override;

 private:
  Result<std::optional<Account>> find_where(const BsonDoc& filter);

  MongoDatabase db_;
};

} // namespace parley

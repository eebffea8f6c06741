#pragma once
// AccountStore on SQLite (table auth_accounts).

#include "adapters/sqlite/database.hpp"
#include "ports/account_store.hpp"

namespace parley {

class SqliteAccountStore final : public AccountStore {
 public:
  explicit SqliteAccountStore(SqliteDatabase& db) : db_(db) {}

  Result<void> insert(const Account& account) override;
  Result<std::optional<Account>> find_by_email(std::string_view email) override;
  Result<std::optional<Account>> find_by_id(std::string_view id) override;
  // Both fail with not_found "account_not_found" when the id is unknown.
  Result<void> set_verified(std::string_view id) override;
  Result<void> set_password_hash(std::string_view id, std::string_view hash) override;
  Result<void> remove(std::string_view id) override;

 private:
  Result<std::optional<Account>> find_where(const char* column, std::string_view value);
  SqliteDatabase& db_;
};

} // namespace parley

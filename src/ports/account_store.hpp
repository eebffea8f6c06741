#pragma once
// Auth service's accounts: login identity (normalised e-mail) and password hash.
// Owned by the auth service alone.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace parley {

struct Account {
  std::string id;            // user id (shared with the user service's profile)
  std::string email;         // normalised (lower-case, trimmed)
  std::string password_hash; // Argon2id string from crypto_pwhash_str
  bool verified = false;
  std::int64_t created_at_ms = 0;
};

class AccountStore {
 public:
  virtual ~AccountStore() = default;
  // Fails with conflict "email_taken" when the e-mail is already used.
  virtual Result<void> insert(const Account& account) = 0;
  virtual Result<std::optional<Account>> find_by_email(std::string_view email) = 0;
  virtual Result<std::optional<Account>> find_by_id(std::string_view id) = 0;
  virtual Result<void> set_verified(std::string_view id) = 0;
  virtual Result<void> set_password_hash(std::string_view id, std::string_view hash) = 0;
  // Removes the account (its e-mail becomes free). Removing a missing id is not an error.
  virtual Result<void> remove(std::string_view id) = 0;
};

} // namespace parley

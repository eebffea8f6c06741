#pragma once
// The auth service as other services see it: closing an account needs the password.

#include <string_view>

#include "core/error.hpp"

namespace parley {

class AccountAdmin {
 public:
  virtual ~AccountAdmin() = default;
  // Checks the password (unauthenticated "invalid_credentials"), revokes every session
  // and removes the credentials; the e-mail becomes free.
  virtual Result<void> close_account(std::string_view user_id, std::string_view password) = 0;
};

} // namespace parley

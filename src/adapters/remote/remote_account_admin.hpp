#pragma once
// AccountAdmin over the auth service's internal API (/internal/v1/accounts/{id}/close).

#include "ports/account_admin.hpp"
#include "transport/client/service_client.hpp"

namespace parley {

class RemoteAccountAdmin final : public AccountAdmin {
 public:
  // `auth` (the auth service) must outlive this.
  explicit RemoteAccountAdmin(const ServiceClient& auth) : auth_(auth) {}

  // An empty id names no account: invalid_credentials, without a call.
  Result<void> close_account(std::string_view user_id, std::string_view password) override;

 private:
  const ServiceClient& auth_;
};

} // namespace parley

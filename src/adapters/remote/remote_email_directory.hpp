#pragma once
// EmailDirectory over the auth service's internal API (/internal/v1/accounts/{id}/email).

#include "ports/email_directory.hpp"
#include "transport/client/service_client.hpp"

namespace parley {

class RemoteEmailDirectory final : public EmailDirectory {
 public:
  // `auth` (the auth service) must outlive this.
  explicit RemoteEmailDirectory(const ServiceClient& auth) : auth_(auth) {}

  // An empty id names no user: nullopt, without a call.
  Result<std::optional<std::string>> email_of(std::string_view user_id) override;

 private:
  const ServiceClient& auth_;
};

} // namespace parley

#pragma once
// UserDirectory over the user service's internal API (/internal/v1/profiles). An empty id
// cannot be a path segment and names no profile, so calls with one are answered here, as the
// service would answer them.

#include "ports/user_directory.hpp"
#include "transport/client/service_client.hpp"

namespace parley {

class RemoteUserDirectory final : public UserDirectory {
 public:
  // `users` (the user service) must outlive this.
  explicit RemoteUserDirectory(const ServiceClient& users) : users_(users) {}

  Result<void> create_profile(const NewProfile& profile) override;
  Result<bool> exists(std::string_view id) override;
  Result<void> remove_profile(std::string_view id) override;

 private:
  const ServiceClient& users_;
};

} // namespace parley

#pragma once
// Membership over the chat service's internal API (/internal/v1/chats/..., /internal/v1/users/
// {id}/contacts). An empty id cannot be a path segment and names no chat or user, so calls
// with one are answered here, as the service would answer them.

#include "ports/membership.hpp"
#include "transport/client/service_client.hpp"

namespace parley {

class RemoteMembership final : public Membership {
 public:
  // `chats` (the chat service) must outlive this.
  explicit RemoteMembership(const ServiceClient& chats) : chats_(chats) {}

  Result<std::optional<domain::Role>> role_of(std::string_view chat_id, std::string_view user_id) override;
  Result<std::vector<std::string>> member_ids(std::string_view chat_id) override;
  Result<std::vector<std::string>> contacts(std::string_view user_id) override;
  Result<void> touch(std::string_view chat_id, std::int64_t at_ms) override;

 private:
  // GET `path` → {"user_ids": [string...]}.
  Result<std::vector<std::string>> user_ids(const std::string& path, std::string_view what) const;

  const ServiceClient& chats_;
};

} // namespace parley

#pragma once
// MessageDigest over the message service's internal API
// (/internal/v1/chats/{chat_id}/digest?user_id=...). An empty chat id cannot be a path
// segment and names no chat: the empty digest, without a call.

#include "ports/message_digest.hpp"
#include "transport/client/service_client.hpp"

namespace parley {

class RemoteMessageDigest final : public MessageDigest {
 public:
  // `messages` (the message service) must outlive this.
  explicit RemoteMessageDigest(const ServiceClient& messages) : messages_(messages) {}

  Result<ChatDigest> digest(std::string_view chat_id, std::string_view user_id) override;

 private:
  const ServiceClient& messages_;
};

} // namespace parley

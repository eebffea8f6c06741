#pragma once
// The chat service as other services see it: who is in a chat, and "this chat moved".

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "domain/chat.hpp"

namespace parley {

class Membership {
 public:
  virtual ~Membership() = default;
  // The user's role in the chat; nullopt when not a member (or no such chat).
  virtual Result<std::optional<domain::Role>> role_of(std::string_view chat_id, std::string_view user_id) = 0;
  virtual Result<std::vector<std::string>> member_ids(std::string_view chat_id) = 0;
  // Every other user who shares a chat with the user (who may see their presence).
  virtual Result<std::vector<std::string>> contacts(std::string_view user_id) = 0;
  // Records activity (a new message) so chat lists order by it.
  virtual Result<void> touch(std::string_view chat_id, std::int64_t at_ms) = 0;
  // touch() for each chat, as one write where the service can; unknown chats are skipped.
  virtual Result<void> touch_all(const std::vector<domain::ChatActivity>& chats) {
    for (const auto& c : chats)
      if (auto r = touch(c.chat_id, c.at_ms); !r && r.error().code != "chat_not_found") return r;
    return {};
  }
};

} // namespace parley

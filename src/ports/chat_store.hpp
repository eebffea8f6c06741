#pragma once
// The chat service's chats and memberships. Owned by the chat service alone.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "domain/chat.hpp"

namespace parley {

struct Chat {
  std::string id;
  domain::ChatKind kind = domain::ChatKind::group;
  std::string name;       // groups only
  std::string avatar_url; // groups only
  std::string direct_key; // direct chats only: domain::direct_key of the pair
  std::string created_by;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  std::int64_t last_activity_ms = 0; // newest message or change; orders chat lists
};

struct Member {
  std::string chat_id;
  std::string user_id;
  domain::Role role = domain::Role::member;
  std::int64_t joined_at_ms = 0;
};

struct ChatListCursor {
  std::int64_t last_activity_ms = 0;
  std::string chat_id;
};

class ChatStore {
 public:
  virtual ~ChatStore() = default;
  // Creates a direct chat with its two members, or returns the one that exists for the
  // pair (same direct_key): atomic, so concurrent calls yield one chat.
  virtual Result<Chat> create_direct(const Chat& chat, const Member& a, const Member& b) = 0;
  // Creates a group with its initial members (the creator as owner among them), atomically.
  virtual Result<void> create_group(const Chat& chat, const std::vector<Member>& members) = 0;
  virtual Result<std::optional<Chat>> find(std::string_view chat_id) = 0;
  // Replaces name, avatar_url and updated_at_ms.
  virtual Result<void> update(const Chat& chat) = 0;
  // Moves last_activity_ms forward (never back).
  virtual Result<void> touch(std::string_view chat_id, std::int64_t activity_ms) = 0;
  // touch() for each chat, as one write where the adapter can; unknown chats are skipped.
  virtual Result<void> touch_all(const std::vector<domain::ChatActivity>& chats) {
    for (const auto& c : chats)
      if (auto r = touch(c.chat_id, c.at_ms); !r && r.error().code != "chat_not_found") return r;
    return {};
  }

  virtual Result<std::optional<Member>> member(std::string_view chat_id, std::string_view user_id) = 0;
  virtual Result<std::vector<Member>> members(std::string_view chat_id) = 0;
  virtual Result<std::int64_t> member_count(std::string_view chat_id) = 0;
  // Fails with conflict "already_member".
  virtual Result<void> add_member(const Member& member) = 0;
  // Removing a non-member is not an error.
  virtual Result<void> remove_member(std::string_view chat_id, std::string_view user_id) = 0;
  virtual Result<void> set_role(std::string_view chat_id, std::string_view user_id, domain::Role role) = 0;
  // Old owner becomes admin, new owner becomes owner, atomically.
  virtual Result<void> transfer_ownership(std::string_view chat_id, std::string_view from, std::string_view to) = 0;

  // Every other user who shares at least one chat with the user, each once, in id order.
  virtual Result<std::vector<std::string>> contacts_of(std::string_view user_id) = 0;
  // The user's chats, newest activity first, strictly after `after` (nullopt: from the top).
  virtual Result<std::vector<Chat>> chats_of(std::string_view user_id, const std::optional<ChatListCursor>& after,
                                             int limit) = 0;
};

} // namespace parley

#pragma once
// The chat service: 1:1 chats and groups, members and roles, chat lists.
// Every read and write is for a user; a chat the user is not in is "chat_not_found"
// (404) so that ids reveal nothing. Every change is published as a chat.updated event to
// the members after it, and to the user it removed.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "ports/chat_store.hpp"
#include "ports/event_bus.hpp"
#include "ports/event_log.hpp"
#include "ports/membership.hpp"
#include "ports/message_digest.hpp"
#include "ports/presence.hpp"
#include "ports/user_directory.hpp"

namespace parley {

struct ChatConfig {
  std::int64_t max_members = 1000;
};

struct ChatView {
  Chat chat;
  std::vector<Member> members;
  std::vector<PresenceState> presence; // one per member
};

struct ChatListItem {
  Chat chat;
  ChatDigest digest;
  std::vector<std::string> member_ids; // direct chats only: both members
  std::string partner_id;              // direct chats only: the other member
  PresenceState partner;               // and their presence
};

struct ChatPage {
  std::vector<ChatListItem> items;
  std::optional<ChatListCursor> next;
};

struct GroupInput {
  std::string name;
  std::string avatar_url;
  std::vector<std::string> member_ids; // besides the creator
};

// Membership answered straight from the chat store (no other dependency), so the
// message service can use it while the chat service uses the message service.
class ChatDirectory final : public Membership {
 public:
  explicit ChatDirectory(ChatStore& chats) : chats_(chats) {}
  Result<std::optional<domain::Role>> role_of(std::string_view chat_id, std::string_view user_id) override;
  Result<std::vector<std::string>> member_ids(std::string_view chat_id) override;
  Result<std::vector<std::string>> contacts(std::string_view user_id) override;
  Result<void> touch(std::string_view chat_id, std::int64_t at_ms) override;
  Result<void> touch_all(const std::vector<domain::ChatActivity>& chats) override { return chats_.touch_all(chats); }

 private:
  ChatStore& chats_;
};

class ChatService {
 public:
  static constexpr int kMaxPage = 100;

  struct Ports {
    ChatStore& chats;
    UserDirectory& users;
    MessageDigest& digests;
    Presence& presence;
    EventBus& live;   // chat.updated to members' connections
    EventLog& events; // chat.updated for other services
    const Clock& clock;
    IdGen& ids;
  };
  ChatService(ChatConfig config, Ports ports);

  // The same pair always gets the same chat; `created` tells whether it is new.
  Result<std::pair<ChatView, bool>> open_direct(std::string_view me, std::string_view other);
  Result<ChatView> create_group(std::string_view me, const GroupInput& input);
  Result<ChatView> get(std::string_view me, std::string_view chat_id);
  Result<ChatView> update_group(std::string_view me, std::string_view chat_id, const std::optional<std::string>& name,
                                const std::optional<std::string>& avatar_url);
  Result<ChatView> add_member(std::string_view me, std::string_view chat_id, std::string_view user_id);
  // Removing oneself is leaving.
  Result<void> remove_member(std::string_view me, std::string_view chat_id, std::string_view user_id);
  Result<ChatView> set_role(std::string_view me, std::string_view chat_id, std::string_view user_id, domain::Role role);
  Result<ChatView> transfer_ownership(std::string_view me, std::string_view chat_id, std::string_view to);
  Result<ChatPage> list(std::string_view me, const std::optional<ChatListCursor>& after, int limit);

 private:
  // The chat and the caller's membership, or chat_not_found.
  Result<std::pair<Chat, Member>> visible(std::string_view me, std::string_view chat_id);
  Result<std::pair<Chat, Member>> group_for_admin(std::string_view me, std::string_view chat_id);
  Result<ChatView> view(Chat chat);
  Result<void> require_user(std::string_view user_id);
  std::vector<PresenceState> presence_of(const std::vector<std::string>& user_ids);
  // The view after a change, announced.
  Result<ChatView> changed(Chat chat, std::string_view change, std::string_view actor, std::string_view subject,
                           std::string_view gone = {});
  // chat.updated to the members in `view`, and (with "chat": null) to `gone` when not empty.
  void announce(const ChatView& view, std::string_view change, std::string_view actor, std::string_view subject,
                std::string_view gone = {});

  ChatConfig config_;
  ChatStore& chats_;
  UserDirectory& users_;
  MessageDigest& digests_;
  Presence& presence_;
  EventBus& live_;
  EventLog& events_;
  const Clock& clock_;
  IdGen& ids_;
};

} // namespace parley

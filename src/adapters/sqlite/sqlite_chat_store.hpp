#pragma once
// ChatStore on SQLite: chat_chats (one row per chat; direct chats carry a UNIQUE
// direct_key) and chat_members (one row per membership, role as text).

#include "adapters/sqlite/database.hpp"
#include "ports/chat_store.hpp"

namespace parley {

class SqliteChatStore final : public ChatStore {
 public:
  explicit SqliteChatStore(SqliteDatabase& db) : db_(db) {}

  // Look-up and insert run in one IMMEDIATE transaction, so concurrent calls for a pair
  // (in either order, on any connection to the file) yield one chat. The key is
  // domain::direct_key of the members; a non-empty chat.direct_key must equal it
  // (invalid "direct_key_mismatch"). The chat is stored as kind direct. Fails with
  // conflict "chat_exists" when the id is taken by another chat. A chat with oneself
  // (a and b the same user) has one member.
  Result<Chat> create_direct(const Chat& chat, const Member& a, const Member& b) override;
  // Stored as kind group without a direct_key. Conflict "chat_exists" for a taken id,
  // "already_member" when `members` names a user twice; nothing is stored then.
  Result<void> create_group(const Chat& chat, const std::vector<Member>& members) override;
  Result<std::optional<Chat>> find(std::string_view chat_id) override;
  // not_found "chat_not_found" for an unknown chat (also from touch).
  Result<void> update(const Chat& chat) override;
  Result<void> touch(std::string_view chat_id, std::int64_t activity_ms) override;
  // One transaction for all the chats.
  Result<void> touch_all(const std::vector<domain::ChatActivity>& chats) override;

  Result<std::optional<Member>> member(std::string_view chat_id, std::string_view user_id) override;
  // Ordered by joined_at_ms, then user_id.
  Result<std::vector<Member>> members(std::string_view chat_id) override;
  // 0 for an unknown chat.
  Result<std::int64_t> member_count(std::string_view chat_id) override;
  // not_found "chat_not_found" for an unknown chat.
  Result<void> add_member(const Member& member) override;
  Result<void> remove_member(std::string_view chat_id, std::string_view user_id) override;
  // not_found "member_not_found" when the user is not a member.
  Result<void> set_role(std::string_view chat_id, std::string_view user_id, domain::Role role) override;
  // A compare-and-set in one transaction: not_found "member_not_found" when either user
  // is not a member, conflict "not_owner" when `from` is not the owner (any more);
  // nothing changes then. from == to is a no-op once those checks pass.
  Result<void> transfer_ownership(std::string_view chat_id, std::string_view from, std::string_view to) override;

  Result<std::vector<std::string>> contacts_of(std::string_view user_id) override;
  Result<std::vector<Chat>> chats_of(std::string_view user_id, const std::optional<ChatListCursor>& after,
                                     int limit) override;

 private:
  SqliteDatabase& db_;
};

} // namespace parley

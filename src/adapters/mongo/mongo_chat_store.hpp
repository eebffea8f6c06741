#pragma once
// ChatStore on MongoDB (database "parley_chat" by default): collections chats (one
// document per chat), members (one per membership) and owners (the ownership history
// of a group: one document per hand-over). See docs/storage-mongodb.md.
//
// Without transactions, and with FerretDB v1 applying updates as read-modify-write, the
// guarantees rest on inserts into unique indexes:
// - one direct chat per pair: chats.pair_key ("d:" + direct_key) is unique;
// - a chat is invisible (find, chats_of) while `pending`, i.e. until its members are
//   stored; a pending direct chat is completed by whoever meets it next;
// - ownership moves by inserting (chat_id, epoch + 1) into owners, so of concurrent
//   hand-overs exactly one wins. A member's role reads as owner exactly when they are
//   the newest owner; a stored "owner" role of anyone else reads as admin.

#include <string>

#include "adapters/mongo/mongo_client.hpp"
#include "ports/chat_store.hpp"

namespace parley {

class MongoChatStore final : public ChatStore {
 public:
  explicit MongoChatStore(MongoPool& pool, std::string database = "parley_chat") : db_(pool, std::move(database)) {}

  // Creates the collections' indexes (idempotent). Call once at start.
  Result<void> create_indexes();

  // Invalid "direct_key_mismatch" when a non-empty chat.direct_key is not the members'
  // key; conflict "chat_exists" when the id is taken by another chat. A chat with
  // oneself has one member.
  Result<Chat> create_direct(const Chat& chat, const Member& a, const Member& b) override;
  // Conflict "chat_exists" for a taken id, "already_member" when `members` names a user
  // twice; nothing is stored then. The first member with role owner becomes the owner.
  Result<void> create_group(const Chat& chat, const std::vector<Member>& members) override;
  Result<std::optional<Chat>> find(std::string_view chat_id) override;
  // not_found "chat_not_found" for an unknown chat (also from touch).
  Result<void> update(const Chat& chat) override;
  Result<void> touch(std::string_view chat_id, std::int64_t activity_ms) override;

  Result<std::optional<Member>> member(std::string_view chat_id, std::string_view user_id) override;
  // Ordered by joined_at_ms, then user_id.
  Result<std::vector<Member>> members(std::string_view chat_id) override;
  Result<std::int64_t> member_count(std::string_view chat_id) override;
  // not_found "chat_not_found" for an unknown chat; conflict "already_member".
  Result<void> add_member(const Member& member) override;
  Result<void> remove_member(std::string_view chat_id, std::string_view user_id) override;
  // not_found "member_not_found"; invalid "owner_by_transfer" for Role::owner (ownership
  // moves only by transfer_ownership).
  Result<void> set_role(std::string_view chat_id, std::string_view user_id, domain::Role role) override;
  // not_found "member_not_found" when either user is not a member, conflict "not_owner"
  // when `from` is not the owner (any more); nothing changes then.
  Result<void> transfer_ownership(std::string_view chat_id, std::string_view from, std::string_view to) override;

  Result<std::vector<std::string>> contacts_of(std::string_view user_id) override;
  Result<std::vector<Chat>> chats_of(std::string_view user_id, const std::optional<ChatListCursor>& after,
                                     int limit) override;

 private:
  Result<std::string> owner_of(std::string_view chat_id);
  Result<std::optional<BsonDoc>> member_doc(std::string_view chat_id, std::string_view user_id);
  Result<std::vector<std::string>> chat_ids_of(std::string_view user_id);
  Result<void> complete(const std::string& chat_id, const std::vector<Member>& members);
  void undo_group(const std::string& chat_id);

  MongoDatabase db_;
};

} // namespace parley

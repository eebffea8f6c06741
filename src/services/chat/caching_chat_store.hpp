#pragma once
// A ChatStore that keeps each chat's member list in memory once read, for the reads that
// every send, typing frame and batch of deliveries makes (member(), members()). Every
// membership change made through it forgets that chat's list first.
//
// One process only: the embedded server, whose every write goes through this object. A store
// shared by several processes must not be wrapped: a change made by another would go unseen.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "ports/chat_store.hpp"

namespace parley {

class CachingChatStore final : public ChatStore {
 public:
  // Beyond `max_members` members in all the lists kept (about 100 bytes each), the cache
  // starts over (cleared), so memory stays bounded.
  explicit CachingChatStore(ChatStore& store, std::size_t max_members = 200'000);

  Result<Chat> create_direct(const Chat& chat, const Member& a, const Member& b) override;
  Result<void> create_group(const Chat& chat, const std::vector<Member>& members) override;
  Result<std::optional<Chat>> find(std::string_view chat_id) override { return store_.find(chat_id); }
  Result<void> update(const Chat& chat) override { return store_.update(chat); }
  Result<void> touch(std::string_view chat_id, std::int64_t activity_ms) override {
    return store_.touch(chat_id, activity_ms);
  }
  Result<void> touch_all(const std::vector<domain::ChatActivity>& chats) override { return store_.touch_all(chats); }

  Result<std::optional<Member>> member(std::string_view chat_id, std::string_view user_id) override;
  Result<std::vector<Member>> members(std::string_view chat_id) override;
  Result<std::int64_t> member_count(std::string_view chat_id) override;
  Result<void> add_member(const Member& member) override;
  Result<void> remove_member(std::string_view chat_id, std::string_view user_id) override;
  Result<void> set_role(std::string_view chat_id, std::string_view user_id, domain::Role role) override;
  Result<void> transfer_ownership(std::string_view chat_id, std::string_view from, std::string_view to) override;

  Result<std::vector<std::string>> contacts_of(std::string_view user_id) override {
    return store_.contacts_of(user_id);
  }
  Result<std::vector<Chat>> chats_of(std::string_view user_id, const std::optional<ChatListCursor>& after,
                                     int limit) override {
    return store_.chats_of(user_id, after, limit);
  }

 private:
  using Members = std::shared_ptr<const std::vector<Member>>;

  Result<Members> cached(std::string_view chat_id);
  // Forgets the chat's list, and any list read while the change was made (see generation_).
  void forget(std::string_view chat_id);
  // Runs a membership change, forgetting the chat's list before and after it.
  template <class Change>
  auto changing(std::string_view chat_id, Change change) {
    forget(chat_id);
    auto r = change();
    forget(chat_id);
    return r;
  }

  ChatStore& store_;
  const std::size_t max_members_;
  std::mutex mutex_;
  std::unordered_map<std::string, Members> by_chat_;
  std::size_t kept_members_ = 0; // in by_chat_
  // Counts changes: a list read from the store while one was made is not kept.
  std::uint64_t generation_ = 0;
};

} // namespace parley

#include "services/chat/caching_chat_store.hpp"

#include <algorithm>

namespace parley {

CachingChatStore::CachingChatStore(ChatStore& store, std::size_t max_members)
    : store_(store), max_members_(max_members) {}

Result<CachingChatStore::Members> CachingChatStore::cached(std::string_view chat_id) {
  std::uint64_t generation = 0;
  {
    std::lock_guard lock(mutex_);
    if (const auto it = by_chat_.find(std::string(chat_id)); it != by_chat_.end()) return it->second;
    generation = generation_;
  }
  auto read = store_.members(chat_id);
  if (!read) return fail(std::move(read.error()));
  auto list = std::make_shared<const std::vector<Member>>(std::move(*read));
  std::lock_guard lock(mutex_);
  // Kept only if no change began or ended meanwhile: it might predate that change.
  if (generation == generation_) {
    if (kept_members_ + list->size() > max_members_) {
      by_chat_.clear();
      kept_members_ = 0;
    }
    if (by_chat_.emplace(std::string(chat_id), list).second) kept_members_ += list->size();
  }
  return list;
}

void CachingChatStore::forget(std::string_view chat_id) {
  std::lock_guard lock(mutex_);
  ++generation_;
  if (const auto it = by_chat_.find(std::string(chat_id)); it != by_chat_.end()) {
    kept_members_ -= it->second->size();
    by_chat_.erase(it);
  }
}

Result<Chat> CachingChatStore::create_direct(const Chat& chat, const Member& a, const Member& b) {
  return changing(chat.id, [&] { return store_.create_direct(chat, a, b); });
}

Result<void> CachingChatStore::create_group(const Chat& chat, const std::vector<Member>& members) {
  return changing(chat.id, [&] { return store_.create_group(chat, members); });
}

Result<std::optional<Member>> CachingChatStore::member(std::string_view chat_id, std::string_view user_id) {
  auto list = cached(chat_id);
  if (!list) return fail(std::move(list.error()));
  const auto it = std::find_if((*list)->begin(), (*list)->end(), [&](const Member& m) { return m.user_id == user_id; });
  return it == (*list)->end() ? std::optional<Member>() : std::optional<Member>(*it);
}

Result<std::vector<Member>> CachingChatStore::members(std::string_view chat_id) {
  auto list = cached(chat_id);
  if (!list) return fail(std::move(list.error()));
  return **list;
}

Result<std::int64_t> CachingChatStore::member_count(std::string_view chat_id) {
  auto list = cached(chat_id);
  if (!list) return fail(std::move(list.error()));
  return static_cast<std::int64_t>((*list)->size());
}

Result<void> CachingChatStore::add_member(const Member& member) {
  return changing(member.chat_id, [&] { return store_.add_member(member); });
}

Result<void> CachingChatStore::remove_member(std::string_view chat_id, std::string_view user_id) {
  return changing(chat_id, [&] { return store_.remove_member(chat_id, user_id); });
}

Result<void> CachingChatStore::set_role(std::string_view chat_id, std::string_view user_id, domain::Role role) {
  return changing(chat_id, [&] { return store_.set_role(chat_id, user_id, role); });
}

Result<void> CachingChatStore::transfer_ownership(std::string_view chat_id, std::string_view from,
                                                  std::string_view to) {
  return changing(chat_id, [&] { return store_.transfer_ownership(chat_id, from, to); });
}

} // namespace parley

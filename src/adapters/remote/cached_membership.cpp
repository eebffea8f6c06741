#include "adapters/remote/cached_membership.hpp"

#include <mutex>
#include <string>
#include <unordered_map>

namespace parley {

struct CachedMembership::Answers {
  template <class T>
  struct Kept {
    T value;
    std::int64_t at_ms;
  };
  struct Chat {
    std::optional<Kept<std::vector<std::string>>> members;
    std::unordered_map<std::string, Kept<std::optional<domain::Role>>> roles;

    std::size_t entries() const { return (members ? members->value.size() + 1 : 0) + roles.size(); }
  };

  explicit Answers(Limits l) : limits(l) {}

  // Called with `mutex` held, as every member is used; answer() takes it itself.
  void forget(std::string_view chat_id) {
    ++generation;
    if (const auto it = chats.find(std::string(chat_id)); it != chats.end()) {
      entries -= it->second.entries();
      chats.erase(it);
    }
  }
  void forget_all() {
    ++generation;
    chats.clear();
    entries = 0;
  }
  bool fresh(std::int64_t at_ms, std::int64_t now_ms) const { return now_ms - at_ms < limits.max_age.count(); }
  Chat* chat_of(std::string_view chat_id) {
    const auto it = chats.find(std::string(chat_id));
    return it == chats.end() ? nullptr : &it->second;
  }
  // Keeps what `change` adds to the chat's answers, within the limit.
  template <class Change>
  void keep(std::string_view chat_id, Change change) {
    auto& chat = chats[std::string(chat_id)];
    entries -= chat.entries();
    change(chat);
    entries += chat.entries();
    if (entries > limits.max_entries) {
      Chat just_this = std::move(chat);
      chats.clear();
      entries = just_this.entries();
      if (entries <= limits.max_entries)
        chats.emplace(std::string(chat_id), std::move(just_this));
      else
        entries = 0;
    }
  }

  // The kept answer `find` gives if still fresh, else the source's (`ask`), which `keep` stores
  // unless something was forgotten while it was asked.
  template <class T, class Find, class Ask, class Keep>
  Result<T> answer(std::int64_t now_ms, std::string_view chat_id, Find find, Ask ask, Keep keep_it) {
    std::uint64_t asked_at = 0;
    {
      std::lock_guard lock(mutex);
      if (auto* chat = chat_of(chat_id))
        if (const Kept<T>* kept = find(*chat); kept && fresh(kept->at_ms, now_ms)) return kept->value;
      asked_at = generation;
    }
    Result<T> asked = ask();
    if (asked) {
      std::lock_guard lock(mutex);
      if (asked_at == generation) keep(chat_id, [&](Chat& chat) { keep_it(chat, Kept<T>{*asked, now_ms}); });
    }
    return asked;
  }

  const Limits limits;
  std::mutex mutex;
  std::unordered_map<std::string, Chat> chats;
  std::size_t entries = 0;
  // Counts forgets: an answer asked for while one happened may predate a change, and is not kept.
  std::uint64_t generation = 0;
};

CachedMembership::CachedMembership(Membership& source, EventBus& live, const Clock& clock, Limits limits)
    : source_(source), clock_(clock), answers_(std::make_shared<Answers>(limits)) {
  live.subscribe([answers = answers_](std::span<const LiveEvent> events) {
    std::lock_guard lock(answers->mutex);
    for (const auto& e : events) {
      if (e.type == kLiveInterrupted)
        answers->forget_all();
      else if (e.type == "chat.updated")
        answers->forget(e.chat_id);
    }
  });
}

Result<std::optional<domain::Role>> CachedMembership::role_of(std::string_view chat_id, std::string_view user_id) {
  using Role = std::optional<domain::Role>;
  return answers_->answer<Role>(
      clock_.now_ms(), chat_id,
      [&](Answers::Chat& chat) -> const Answers::Kept<Role>* {
        const auto it = chat.roles.find(std::string(user_id));
        return it == chat.roles.end() ? nullptr : &it->second;
      },
      [&] { return source_.role_of(chat_id, user_id); },
      [&](Answers::Chat& chat, Answers::Kept<Role> role) { chat.roles.insert_or_assign(std::string(user_id), role); });
}

Result<std::vector<std::string>> CachedMembership::member_ids(std::string_view chat_id) {
  using Ids = std::vector<std::string>;
  return answers_->answer<Ids>(
      clock_.now_ms(), chat_id,
      [](Answers::Chat& chat) -> const Answers::Kept<Ids>* { return chat.members ? &*chat.members : nullptr; },
      [&] { return source_.member_ids(chat_id); },
      [](Answers::Chat& chat, Answers::Kept<Ids> ids) { chat.members = std::move(ids); });
}

} // namespace parley

#pragma once
// Membership answers kept in memory in front of another Membership (the chat service's, over
// HTTP): each chat's member ids and the roles asked for, as last answered. Every change the
// chat service makes is announced on the live bus as chat.updated, and its arrival forgets that
// chat's answers. When the bus may have lost events (kLiveInterrupted) every answer is
// forgotten, and no answer is used once older than `max_age`: that bounds how long a change
// whose announcement was lost goes unseen. contacts() and touch() go to the source every time.

#include <chrono>
#include <cstddef>
#include <memory>

#include "core/clock.hpp"
#include "ports/event_bus.hpp"
#include "ports/membership.hpp"

namespace parley {

class CachedMembership final : public Membership {
 public:
  struct Limits {
    std::chrono::milliseconds max_age{10'000};
    // Member ids and roles kept, over every chat; beyond it the cache starts over (cleared).
    std::size_t max_entries = 200'000;
  };

  // Subscribes to `live` now (start-up, as EventBus asks). `source` and `clock` must outlive
  // this; the bus may outlive it.
  CachedMembership(Membership& source, EventBus& live, const Clock& clock, Limits limits);
  CachedMembership(Membership& source, EventBus& live, const Clock& clock)
      : CachedMembership(source, live, clock, Limits{}) {}

  Result<std::optional<domain::Role>> role_of(std::string_view chat_id, std::string_view user_id) override;
  Result<std::vector<std::string>> member_ids(std::string_view chat_id) override;
  Result<std::vector<std::string>> contacts(std::string_view user_id) override { return source_.contacts(user_id); }
  Result<void> touch(std::string_view chat_id, std::int64_t at_ms) override { return source_.touch(chat_id, at_ms); }
  Result<void> touch_all(const std::vector<domain::ChatActivity>& chats) override { return source_.touch_all(chats); }

 private:
  struct Answers; // shared with the bus subscription, which may outlive this object

  Membership& source_;
  const Clock& clock_;
  std::shared_ptr<Answers> answers_;
};

} // namespace parley

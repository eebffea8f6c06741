#pragma once
// The per-user send limit: a token bucket per sender, over every connection and REST alike, so
// that opening more connections (each with its own frame budget) or sending over REST does not
// multiply what one account can push into its chats' members' connections. With a shared
// RateLimiter (Redis) the bucket is shared by every node and survives restarts.

#include <string_view>

#include "core/error.hpp"
#include "ports/messaging.hpp"
#include "ports/rate_limiter.hpp"

namespace parley {

// Where a distributed deployment keeps the buckets (Redis), shared by the WebSocket nodes and
// the message instances: one budget per user whichever way they send.
inline constexpr char kSendRatePrefix[] = "parley:rate:";

class SendLimit {
 public:
  // `per_min` sends a minute sustained, `burst` at once; the limiter outlives this.
  SendLimit(RateLimiter& limiter, double per_min, double burst);
  // Takes one send from `user_id`'s bucket; rate_limited (with retry_after) when it is empty.
  Result<void> take(std::string_view user_id) const;

 private:
  RateLimiter& limiter_;
  RateRule rule_;
};

// Messaging whose submit() (the WebSocket sends) first takes from a SendLimit; the rest is
// forwarded unchanged.
class SendLimitedMessaging final : public Messaging {
 public:
  SendLimitedMessaging(Messaging& inner, const SendLimit& limit) : inner_(inner), limit_(limit) {}

  Result<std::optional<Appended>> submit(std::string_view me, const SendInput& input) override;
  Result<domain::Message> edit(std::string_view me, std::string_view chat_id, std::string_view message_id,
                               std::string_view body) override {
    return inner_.edit(me, chat_id, message_id, body);
  }
  Result<domain::Message> remove(std::string_view me, std::string_view chat_id, std::string_view message_id) override {
    return inner_.remove(me, chat_id, message_id);
  }
  Result<std::vector<domain::Message>> history(std::string_view me, std::string_view chat_id,
                                               const HistoryQuery& query) override {
    return inner_.history(me, chat_id, query);
  }
  Result<Cursor> mark_read(std::string_view me, std::string_view chat_id, std::int64_t seq) override {
    return inner_.mark_read(me, chat_id, seq);
  }
  Result<Cursor> mark_delivered(std::string_view me, std::string_view chat_id, std::int64_t seq) override {
    return inner_.mark_delivered(me, chat_id, seq);
  }
  Result<void> react(std::string_view me, std::string_view chat_id, std::string_view message_id,
                     std::string_view emoji) override {
    return inner_.react(me, chat_id, message_id, emoji);
  }
  Result<void> unreact(std::string_view me, std::string_view chat_id, std::string_view message_id) override {
    return inner_.unreact(me, chat_id, message_id);
  }

 private:
  Messaging& inner_;
  const SendLimit& limit_;
};

} // namespace parley

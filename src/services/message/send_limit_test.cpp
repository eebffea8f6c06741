#include "services/message/send_limit.hpp"

#include <gtest/gtest.h>

#include "adapters/inproc/memory_rate_limiter.hpp"

namespace parley {
namespace {

// Only submit() matters here: it answers "queued" for every send that reaches it.
class CountingMessaging final : public Messaging {
 public:
  int submitted = 0;
  Result<std::optional<Appended>> submit(std::string_view, const SendInput&) override {
    ++submitted;
    return std::optional<Appended>();
  }
  Result<domain::Message> edit(std::string_view, std::string_view, std::string_view, std::string_view) override {
    return domain::Message{};
  }
  Result<domain::Message> remove(std::string_view, std::string_view, std::string_view) override {
    return domain::Message{};
  }
  Result<std::vector<domain::Message>> history(std::string_view, std::string_view, const HistoryQuery&) override {
    return std::vector<domain::Message>{};
  }
  Result<Cursor> mark_read(std::string_view, std::string_view, std::int64_t) override { return Cursor{}; }
  Result<Cursor> mark_delivered(std::string_view, std::string_view, std::int64_t) override { return Cursor{}; }
  Result<void> react(std::string_view, std::string_view, std::string_view, std::string_view) override { return {}; }
  Result<void> unreact(std::string_view, std::string_view, std::string_view) override { return {}; }
};

TEST(SendLimit, BurstThenRateLimitedPerUserUntilRefilled) {
  ManualClock clock;
  MemoryRateLimiter limiter(clock);
  const SendLimit limit(limiter, 60, 3); // one a second, three at once
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limit.take("ann")) << i;
  const auto refused = limit.take("ann");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::rate_limited);
  EXPECT_EQ(refused.error().code, "rate_limited");
  EXPECT_EQ(refused.error().retry_after, std::chrono::seconds(1));
  EXPECT_TRUE(limit.take("bob")); // another user has a bucket of their own
  clock.advance_ms(1000);
  EXPECT_TRUE(limit.take("ann"));
  EXPECT_FALSE(limit.take("ann"));
}

TEST(SendLimitedMessaging, RefusedSendsNeverReachTheService) {
  ManualClock clock;
  MemoryRateLimiter limiter(clock);
  const SendLimit limit(limiter, 60, 2);
  CountingMessaging inner;
  SendLimitedMessaging limited(inner, limit);
  const SendInput in{"chat", "c1", "hello", "", {}, {}};
  EXPECT_TRUE(limited.submit("ann", in));
  EXPECT_TRUE(limited.submit("ann", in));
  const auto third = limited.submit("ann", in);
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().code, "rate_limited");
  EXPECT_EQ(inner.submitted, 2);
  // everything else is not limited
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limited.mark_read("ann", "chat", 1));
}

} // namespace
} // namespace parley

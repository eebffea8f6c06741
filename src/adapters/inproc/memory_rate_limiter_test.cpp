#include "adapters/inproc/memory_rate_limiter.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace parley {
namespace {

using std::chrono::seconds;

TEST(MemoryRateLimiter, AllowsBurstThenRefuses) {
  ManualClock clock;
  MemoryRateLimiter limiter(clock);
  const RateRule rule{3, 1};
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.take("k", rule).allowed) << i;
  const auto refused = limiter.take("k", rule);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, seconds(1));
}

TEST(MemoryRateLimiter, RetryAfterRoundsUpTheWaitForOneToken) {
  ManualClock clock;
  MemoryRateLimiter limiter(clock);
  const RateRule one_per_minute{1, 1.0 / 60};
  EXPECT_TRUE(limiter.take("k", one_per_minute).allowed);
  EXPECT_EQ(limiter.take("k", one_per_minute).retry_after, seconds(60));
  clock.advance_ms(59'500);
  EXPECT_EQ(limiter.take("k", one_per_minute).retry_after, seconds(1)); // 0.5 s left rounds up to 1
  clock.advance_ms(500);
  EXPECT_TRUE(limiter.take("k", one_per_minute).allowed);

  const RateRule slow{2, 0.25};
  EXPECT_TRUE(limiter.take("s", slow).allowed);
  EXPECT_TRUE(limiter.take("s", slow).allowed);
  EXPECT_EQ(limiter.take("s", slow).retry_after, seconds(4));
  clock.advance_ms(1'100);
  EXPECT_EQ(limiter.take("s", slow).retry_after, seconds(3)); // 2.9 s left
}

TEST(MemoryRateLimiter, RetryAfterIsAtLeastOneSecond) {
  ManualClock clock;
  MemoryRateLimiter limiter(clock);
  const RateRule fast{1, 100};
  EXPECT_TRUE(limiter.take("k", fast).allowed);
  const auto refused = limiter.take("k", fast);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, seconds(1));
}

TEST(MemoryRateLimiter, RuleThatNeverRefillsReportsADay) {
  ManualClock clock;
  MemoryRateLimiter limiter(clock);
  const RateRule once{1, 0};
  EXPECT_TRUE(limiter.take("k", once).allowed);
  clock.advance_ms(1'000'000);
  const auto refused = limiter.take("k", once);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, seconds(86400));
}

TEST(MemoryRateLimiter, RefillsOverTimeUpToBurst) {
  ManualClock clock;
  MemoryRateLimiter limiter(clock);
  const RateRule rule{3, 1};
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(limiter.take("k", rule).allowed);
  ASSERT_FALSE(limiter.take("k", rule).allowed);
  clock.advance_ms(2'000);
  EXPECT_TRUE(limiter.take("k", rule).allowed);
  EXPECT_TRUE(limiter.take("k", rule).allowed);
  EXPECT_FALSE(limiter.take("k", rule).allowed);
  clock.advance_ms(3'600'000); // a long idle period refills to the burst, not beyond
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.take("k", rule).allowed) << i;
  EXPECT_FALSE(limiter.take("k", rule).allowed);
}

TEST(MemoryRateLimiter, KeysAreIndependent) {
  ManualClock clock;
  MemoryRateLimiter limiter(clock);
  const RateRule rule{1, 1};
  EXPECT_TRUE(limiter.take("login:ip:1.2.3.4", rule).allowed);
  EXPECT_FALSE(limiter.take("login:ip:1.2.3.4", rule).allowed);
  EXPECT_TRUE(limiter.take("login:ip:5.6.7.8", rule).allowed);
  EXPECT_TRUE(limiter.take("login:email:a@b.c", rule).allowed);
}

TEST(MemoryRateLimiter, ClockSteppingBackDoesNotRefill) {
  ManualClock clock;
  MemoryRateLimiter limiter(clock);
  const RateRule rule{1, 1};
  EXPECT_TRUE(limiter.take("k", rule).allowed);
  clock.advance_ms(-10'000);
  EXPECT_FALSE(limiter.take("k", rule).allowed);
  clock.advance_ms(10'000);
  EXPECT_FALSE(limiter.take("k", rule).allowed); // back where it was: no time has passed for the bucket
  clock.advance_ms(1'000);
  EXPECT_TRUE(limiter.take("k", rule).allowed);
}

TEST(MemoryRateLimiter, AtTheKeyCapDropsRefilledBucketsFirst) {
  ManualClock clock;
  MemoryRateLimiter limiter(clock, 3);
  const RateRule rule{1, 1};
  for (const char* key : {"a", "b", "c"}) ASSERT_TRUE(limiter.take(key, rule).allowed);
  EXPECT_EQ(limiter.size(), 3u);

  // Full and nothing refilled: a new key is allowed but not tracked (fail-open).
  EXPECT_TRUE(limiter.take("d", rule).allowed);
  EXPECT_TRUE(limiter.take("d", rule).allowed);
  EXPECT_EQ(limiter.size(), 3u);
  // Tracked keys stay limited meanwhile.
  EXPECT_FALSE(limiter.take("a", rule).allowed);

  // Once buckets have refilled they carry no state and make room.
  clock.advance_ms(2'000);
  EXPECT_TRUE(limiter.take("a", rule).allowed); // "a" is tracked again with state; b and c are full
  EXPECT_TRUE(limiter.take("d", rule).allowed);
  EXPECT_LE(limiter.size(), 3u);
  EXPECT_FALSE(limiter.take("d", rule).allowed); // "d" is tracked now
  EXPECT_FALSE(limiter.take("a", rule).allowed); // and "a" kept its state through the sweep
}

TEST(MemoryRateLimiter, NeverExceedsTheKeyCap) {
  ManualClock clock;
  MemoryRateLimiter limiter(clock, 100);
  const RateRule rule{5, 1};
  for (int i = 0; i < 1000; ++i) {
    limiter.take("key-" + std::to_string(i), rule);
    if (i % 50 == 0) clock.advance_ms(1'500);
  }
  EXPECT_LE(limiter.size(), 100u);
}

TEST(MemoryRateLimiter, ConcurrentTakesNeverOverspend) {
  ManualClock clock;
  MemoryRateLimiter limiter(clock);
  const RateRule rule{100, 1};
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        if (limiter.take("shared", rule).allowed) ++allowed;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(allowed.load(), 100);
}

TEST(MemoryRateLimiter, RejectsZeroKeyCap) {
  ManualClock clock;
  EXPECT_THROW(MemoryRateLimiter(clock, 0), std::invalid_argument);
}

} // namespace
} // namespace parley

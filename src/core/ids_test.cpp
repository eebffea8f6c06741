#include "core/ids.hpp"

#include <gtest/gtest.h>

#include <set>

namespace parley {

TEST(SnowflakeIdGen, IdsAreUniqueAndIncreasingWithinOneMillisecond) {
  ManualClock clock;
  SnowflakeIdGen gen(clock, 7);
  std::uint64_t last = 0;
  for (int i = 0; i < 10000; ++i) { // more than 4096: borrows following milliseconds
    const auto id = gen.next_raw();
    ASSERT_GT(id, last);
    last = id;
  }
}

TEST(SnowflakeIdGen, ClockSteppingBackNeverProducesSmallerIds) {
  ManualClock clock;
  SnowflakeIdGen gen(clock, 1);
  const auto a = gen.next_raw();
  clock.advance_ms(-5000);
  EXPECT_GT(gen.next_raw(), a);
}

TEST(SnowflakeIdGen, NodesDoNotCollide) {
  ManualClock clock;
  SnowflakeIdGen a(clock, 1), b(clock, 2);
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) {
    ids.insert(a.next());
    ids.insert(b.next());
  }
  EXPECT_EQ(ids.size(), 2000u);
}

TEST(SnowflakeIdGen, RejectsNodeIdOutOfRange) {
  ManualClock clock;
  EXPECT_THROW(SnowflakeIdGen(clock, 1024), std::invalid_argument);
}

} // namespace parley

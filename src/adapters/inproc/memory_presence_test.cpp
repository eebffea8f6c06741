#include "adapters/inproc/memory_presence.hpp"

#include <gtest/gtest.h>

namespace parley {
namespace {

TEST(MemoryPresence, OnlineFromTheFirstConnectionUntilTheLastCloses) {
  MemoryPresence p;
  EXPECT_TRUE(*p.connected("ann", 100));
  EXPECT_FALSE(*p.connected("ann", 200)); // a second device: no change
  EXPECT_FALSE(*p.disconnected("ann", 300));
  auto mid = *p.states({"ann"});
  EXPECT_TRUE(mid[0].online);
  EXPECT_TRUE(*p.disconnected("ann", 400));
  auto after = *p.states({"ann"});
  EXPECT_FALSE(after[0].online);
  EXPECT_EQ(after[0].last_seen_ms, 400);
}

TEST(MemoryPresence, UnknownUsersAreOfflineAndUnseen) {
  MemoryPresence p;
  EXPECT_FALSE(*p.disconnected("ghost", 5)); // a close without an open changes nothing
  auto s = *p.states({"ghost", "nobody"});
  ASSERT_EQ(s.size(), 2u);
  EXPECT_FALSE(s[0].online);
  EXPECT_EQ(s[0].last_seen_ms, 0);
  EXPECT_FALSE(s[1].online);
}

TEST(MemoryPresence, StatesKeepTheOrderOfTheQuery) {
  MemoryPresence p;
  ASSERT_TRUE(*p.connected("b", 1));
  auto s = *p.states({"a", "b", "a"});
  ASSERT_EQ(s.size(), 3u);
  EXPECT_FALSE(s[0].online);
  EXPECT_TRUE(s[1].online);
  EXPECT_FALSE(s[2].online);
}

} // namespace
} // namespace parley

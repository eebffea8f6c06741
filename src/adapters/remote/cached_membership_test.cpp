#include "adapters/remote/cached_membership.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

#include "adapters/inproc/inproc_event_bus.hpp"
#include "adapters/sqlite/database.hpp"
#include "adapters/sqlite/sqlite_chat_store.hpp"
#include "services/chat/service.hpp"

namespace parley {
namespace {

using domain::Role;

// The chat store's own answers (ChatDirectory), counting the questions that reach them; a test
// may make the next ones fail, or run something after the next answer is read.
class CountedSource final : public Membership {
 public:
  explicit CountedSource(ChatStore& chats) : directory_(chats) {}

  Result<std::optional<Role>> role_of(std::string_view chat_id, std::string_view user_id) override {
    return asked([&] { return directory_.role_of(chat_id, user_id); });
  }
  Result<std::vector<std::string>> member_ids(std::string_view chat_id) override {
    return asked([&] { return directory_.member_ids(chat_id); });
  }
  Result<std::vector<std::string>> contacts(std::string_view user_id) override {
    return asked([&] { return directory_.contacts(user_id); });
  }
  Result<void> touch(std::string_view chat_id, std::int64_t at_ms) override {
    return asked([&] { return directory_.touch(chat_id, at_ms); });
  }

  int questions = 0;
  int failures_left = 0;
  std::function<void()> after_answer;

 private:
  template <class Ask>
  auto asked(Ask ask) -> decltype(ask()) {
    ++questions;
    if (failures_left > 0) {
      --failures_left;
      return fail(Error::unavailable("upstream_unavailable", "chat service down"));
    }
    auto answer = ask();
    if (after_answer) std::exchange(after_answer, nullptr)();
    return answer;
  }

  ChatDirectory directory_;
};

// Changes are made in the store behind the cache's back, then announced (or not) on the bus.
class CachedMembershipTest : public ::testing::Test {
 protected:
  void SetUp() override {
    group("g1", {"ann", "bob"});
    group("g2", {"cat", "dan"});
  }
  void group(const std::string& id, const std::vector<std::string>& users) {
    Chat c;
    c.id = id;
    c.created_by = users.front();
    std::vector<Member> members;
    for (const auto& u : users) members.push_back({id, u, u == users.front() ? Role::owner : Role::member, 1});
    ASSERT_TRUE(store_.create_group(c, members));
  }
  void add(const std::string& chat, const std::string& user) {
    ASSERT_TRUE(store_.add_member({chat, user, Role::member, 1}));
  }
  void announce(const std::string& chat) { bus_.publish(LiveEvent{"chat.updated", chat, "{}", {}, ""}); }
  std::vector<std::string> ids(const std::string& chat) {
    auto got = cached_.member_ids(chat);
    EXPECT_TRUE(got) << got.error().code;
    if (!got) return {};
    std::sort(got->begin(), got->end());
    return *got;
  }
  std::optional<Role> role(const std::string& chat, const std::string& user) {
    auto got = cached_.role_of(chat, user);
    EXPECT_TRUE(got) << got.error().code;
    return got ? *got : std::nullopt;
  }

  SqliteDatabase db_{":memory:"};
  SqliteChatStore store_{db_};
  CountedSource source_{store_};
  InprocEventBus bus_;
  ManualClock clock_;
  CachedMembership cached_{source_, bus_, clock_, {std::chrono::seconds(10), 1000}};
};

TEST_F(CachedMembershipTest, AsksTheSourceOncePerChatAndPerRole) {
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(ids("g1"), (std::vector<std::string>{"ann", "bob"}));
    EXPECT_EQ(role("g1", "ann"), Role::owner);
    EXPECT_EQ(role("g1", "bob"), Role::member);
    EXPECT_EQ(role("g1", "eve"), std::nullopt); // not being a member is an answer too
    EXPECT_EQ(ids("no-such-chat"), std::vector<std::string>{});
  }
  EXPECT_EQ(source_.questions, 5);
}

TEST_F(CachedMembershipTest, AnAnnouncedChangeIsSeenAtOnceAndOnlyThatChatIsAskedAgain) {
  EXPECT_EQ(role("g1", "eve"), std::nullopt);
  EXPECT_EQ(ids("g1").size(), 2u);
  EXPECT_EQ(ids("g2").size(), 2u);
  add("g1", "eve");
  add("g2", "eve");
  EXPECT_EQ(role("g1", "eve"), std::nullopt) << "unannounced: still the kept answer";
  announce("g1");
  EXPECT_EQ(role("g1", "eve"), Role::member);
  EXPECT_EQ(ids("g1"), (std::vector<std::string>{"ann", "bob", "eve"}));
  EXPECT_EQ(ids("g2").size(), 2u) << "g2's change was not announced";
  EXPECT_EQ(source_.questions, 5);
}

TEST_F(CachedMembershipTest, AnInterruptedBusForgetsEverything) {
  EXPECT_EQ(ids("g1").size(), 2u);
  EXPECT_EQ(ids("g2").size(), 2u);
  add("g1", "eve");
  add("g2", "eve");
  bus_.publish(LiveEvent{std::string(kLiveInterrupted), "", "", {}, ""});
  EXPECT_EQ(ids("g1").size(), 3u);
  EXPECT_EQ(ids("g2").size(), 3u);
}

TEST_F(CachedMembershipTest, AnAnswerIsUsedUntilItIsMaxAgeOld) {
  EXPECT_EQ(role("g1", "eve"), std::nullopt);
  add("g1", "eve"); // its announcement lost
  clock_.advance_ms(9'999);
  EXPECT_EQ(role("g1", "eve"), std::nullopt);
  clock_.advance_ms(1);
  EXPECT_EQ(role("g1", "eve"), Role::member);
  EXPECT_EQ(source_.questions, 2);
}

TEST_F(CachedMembershipTest, AnAnswerAskedForWhileAChangeWasAnnouncedIsNotKept) {
  // The source answers from before the change, but the announcement arrives before the answer.
  source_.after_answer = [this] {
    add("g1", "eve");
    announce("g1");
  };
  EXPECT_EQ(role("g1", "eve"), std::nullopt);
  EXPECT_EQ(role("g1", "eve"), Role::member) << "asked again, not the stale answer";
  EXPECT_EQ(source_.questions, 2);
}

TEST_F(CachedMembershipTest, ErrorsAreReturnedAndNotKept) {
  source_.failures_left = 1;
  auto down = cached_.member_ids("g1");
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().code, "upstream_unavailable");
  EXPECT_EQ(ids("g1").size(), 2u);
  EXPECT_EQ(ids("g1").size(), 2u);
  EXPECT_EQ(source_.questions, 2);
}

TEST_F(CachedMembershipTest, BeyondItsLimitItStartsOverAndStillAnswersRight) {
  CachedMembership small(source_, bus_, clock_, {std::chrono::seconds(10), 3});
  EXPECT_EQ(small.member_ids("g1")->size(), 2u);       // kept: 3 entries, the list and its 2 ids
  EXPECT_EQ(*small.role_of("g1", "ann"), Role::owner); // a 4th: g1 no longer fits, nothing is kept
  EXPECT_EQ(small.member_ids("g2")->size(), 2u);       // kept
  EXPECT_EQ(small.member_ids("g2")->size(), 2u);       // from memory
  EXPECT_EQ(*small.role_of("g1", "ann"), Role::owner); // kept, and g2's list dropped to make room
  EXPECT_EQ(*small.role_of("g1", "ann"), Role::owner); // from memory
  EXPECT_EQ(small.member_ids("g2")->size(), 2u);
  EXPECT_EQ(source_.questions, 5);
}

TEST_F(CachedMembershipTest, ContactsAndTouchAlwaysReachTheSource) {
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(*cached_.contacts("ann"), std::vector<std::string>{"bob"});
    EXPECT_TRUE(cached_.touch("g1", 5));
  }
  EXPECT_EQ(source_.questions, 4);
}

TEST_F(CachedMembershipTest, TheBusMayOutliveIt) {
  // Announcements after a cache is gone reach what its subscription kept, not the cache.
  {
    CachedMembership gone(source_, bus_, clock_);
    EXPECT_EQ(gone.member_ids("g1")->size(), 2u);
  }
  announce("g1");
  bus_.publish(LiveEvent{std::string(kLiveInterrupted), "", "", {}, ""});
  EXPECT_EQ(ids("g1").size(), 2u);
}

} // namespace
} // namespace parley

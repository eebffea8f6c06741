#include "services/chat/caching_chat_store.hpp"

#include <gtest/gtest.h>

#include "adapters/sqlite/database.hpp"
#include "adapters/sqlite/sqlite_chat_store.hpp"

namespace parley {
namespace {

// What the cache adds to the store contract (which it passes too, see
// tests/contract/sqlite_contract_test.cpp): it answers from memory, forgets on changes made
// through it, and stays within its bound. A change made behind its back shows which.
class CachingChatStoreTest : public ::testing::Test {
 protected:
  static Member member(const std::string& chat, const std::string& user, domain::Role role = domain::Role::member) {
    return Member{chat, user, role, 1};
  }
  void group(const std::string& id, std::vector<std::string> users) {
    Chat c;
    c.id = id;
    c.created_by = users.front();
    std::vector<Member> members;
    for (const auto& u : users)
      members.push_back(member(id, u, u == users.front() ? domain::Role::owner : domain::Role::member));
    ASSERT_TRUE(store_.create_group(c, members));
  }
  std::size_t count(ChatStore& s, const std::string& chat) { return s.members(chat)->size(); }

  SqliteDatabase db_{":memory:"};
  SqliteChatStore store_{db_};
};

TEST_F(CachingChatStoreTest, AnswersFromMemoryOnceRead) {
  CachingChatStore cached(store_);
  group("g1", {"ann", "bob"});
  EXPECT_EQ(count(cached, "g1"), 2u);
  ASSERT_TRUE(store_.add_member(member("g1", "cat"))); // behind its back
  EXPECT_EQ(count(cached, "g1"), 2u);
  EXPECT_FALSE(*cached.member("g1", "cat"));
  EXPECT_EQ(*cached.member_count("g1"), 2);
  EXPECT_EQ(count(store_, "g1"), 3u);
}

TEST_F(CachingChatStoreTest, EveryChangeThroughItIsSeenAtOnce) {
  CachingChatStore cached(store_);
  group("g1", {"ann", "bob"});
  ASSERT_TRUE(*cached.member("g1", "bob"));
  ASSERT_TRUE(cached.add_member(member("g1", "cat")));
  EXPECT_TRUE(*cached.member("g1", "cat"));
  ASSERT_TRUE(cached.set_role("g1", "cat", domain::Role::admin));
  EXPECT_EQ((*cached.member("g1", "cat"))->role, domain::Role::admin);
  ASSERT_TRUE(cached.transfer_ownership("g1", "ann", "bob"));
  EXPECT_EQ((*cached.member("g1", "bob"))->role, domain::Role::owner);
  EXPECT_EQ((*cached.member("g1", "ann"))->role, domain::Role::admin);
  ASSERT_TRUE(cached.remove_member("g1", "bob"));
  EXPECT_FALSE(*cached.member("g1", "bob")); // a removed member is out at once
  EXPECT_EQ(*cached.member_count("g1"), 2);
  // A failed change leaves it right too.
  EXPECT_FALSE(cached.add_member(member("g1", "cat")));
  EXPECT_EQ(*cached.member_count("g1"), 2);
}

TEST_F(CachingChatStoreTest, StartsOverBeyondItsBound) {
  CachingChatStore cached(store_, 3); // three members in all
  group("g1", {"ann", "bob"});
  group("g2", {"cat", "dan"});
  EXPECT_EQ(count(cached, "g1"), 2u);                  // kept: 2 of 3
  ASSERT_TRUE(store_.add_member(member("g1", "eve"))); // behind its back
  EXPECT_EQ(count(cached, "g1"), 2u);
  EXPECT_EQ(count(cached, "g2"), 2u); // 4 > 3: cleared, then g2 kept
  EXPECT_EQ(count(cached, "g1"), 3u); // read again
}

TEST_F(CachingChatStoreTest, AnUnknownChatHasNoMembers) {
  CachingChatStore cached(store_);
  EXPECT_TRUE(cached.members("nope")->empty());
  EXPECT_FALSE(*cached.member("nope", "ann"));
}

} // namespace
} // namespace parley

#pragma once
// The ChatStore contract, run against every adapter: one direct chat per unordered pair
// (also under concurrency), atomic group creation and ownership hand-over, activity that
// never moves back, and chat lists in activity order with a keyset cursor.

#include <algorithm>
#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "domain/chat.hpp"
#include "store_backend.hpp"

namespace parley::contract {

class ChatStoreContract : public StoreContract {
 protected:
  ChatStore& store() { return backend().chats(); }

  static Chat chat(std::string id, domain::ChatKind kind, std::int64_t at = 1000) {
    Chat c;
    c.id = std::move(id);
    c.kind = kind;
    c.name = kind == domain::ChatKind::group ? "Group " + c.id : "";
    c.created_by = "u1";
    c.created_at_ms = at;
    c.updated_at_ms = at;
    c.last_activity_ms = at;
    return c;
  }

  static Member member(std::string chat_id, std::string user, domain::Role role = domain::Role::member,
                       std::int64_t joined = 1000) {
    return Member{std::move(chat_id), std::move(user), role, joined};
  }

  Chat direct(std::string id, const std::string& a, const std::string& b, std::int64_t at = 1000) {
    auto c = chat(std::move(id), domain::ChatKind::direct, at);
    auto r = store().create_direct(c, member(c.id, a), member(c.id, b));
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : Chat{};
  }

  void group(const std::string& id, const std::vector<std::string>& users, std::int64_t at = 1000) {
    std::vector<Member> members;
    for (std::size_t i = 0; i < users.size(); ++i) {
      members.push_back(
          member(id, users[i], i == 0 ? domain::Role::owner : domain::Role::member, at + static_cast<std::int64_t>(i)));
    }
    auto r = store().create_group(chat(id, domain::ChatKind::group, at), members);
    ASSERT_TRUE(r) << r.error().message;
  }

  std::optional<Chat> find(std::string_view id) {
    auto r = store().find(id);
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : std::nullopt;
  }

  std::optional<domain::Role> role(std::string_view chat_id, std::string_view user) {
    auto r = store().member(chat_id, user);
    EXPECT_TRUE(r) << r.error().message;
    if (!r || !*r) return std::nullopt;
    return (*r)->role;
  }

  std::vector<std::string> list(std::string_view user, const std::optional<ChatListCursor>& after, int limit) {
    auto r = store().chats_of(user, after, limit);
    EXPECT_TRUE(r) << r.error().message;
    std::vector<std::string> ids;
    if (r)
      for (const auto& c : *r) ids.push_back(c.id);
    return ids;
  }
};

TEST_P(ChatStoreContract, CreateDirectStoresTheChatAndBothMembers) {
  const Chat got = direct("c1", "alice", "bob");
  EXPECT_EQ(got.id, "c1");
  EXPECT_EQ(got.kind, domain::ChatKind::direct);
  EXPECT_EQ(got.direct_key, domain::direct_key("alice", "bob"));
  auto found = find("c1");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->kind, domain::ChatKind::direct);
  EXPECT_EQ(found->direct_key, domain::direct_key("alice", "bob"));
  EXPECT_EQ(found->created_by, "u1");
  EXPECT_EQ(found->created_at_ms, 1000);
  EXPECT_EQ(found->last_activity_ms, 1000);
  EXPECT_EQ(store().member_count("c1").value_or(-1), 2);
  EXPECT_TRUE(role("c1", "alice").has_value());
  EXPECT_TRUE(role("c1", "bob").has_value());
}

TEST_P(ChatStoreContract, CreateDirectIsIdempotentForThePairInEitherOrder) {
  direct("c1", "alice", "bob");
  const Chat again = direct("c2", "alice", "bob");
  EXPECT_EQ(again.id, "c1");
  const Chat reversed = direct("c3", "bob", "alice");
  EXPECT_EQ(reversed.id, "c1");
  EXPECT_FALSE(find("c2").has_value());
  EXPECT_FALSE(find("c3").has_value());
  EXPECT_EQ(store().member_count("c1").value_or(-1), 2);
  // Another pair gets its own chat.
  EXPECT_EQ(direct("c4", "alice", "carol").id, "c4");
  EXPECT_EQ(list("alice", std::nullopt, 10).size(), 2u);
}

TEST_P(ChatStoreContract, FindUnknownChatReturnsNullopt) { EXPECT_FALSE(find("nope").has_value()); }

TEST_P(ChatStoreContract, CreateGroupStoresEveryMemberWithTheirRole) {
  group("g1", {"owner", "m1", "m2"});
  auto found = find("g1");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->kind, domain::ChatKind::group);
  EXPECT_EQ(found->name, "Group g1");
  EXPECT_TRUE(found->direct_key.empty());
  EXPECT_EQ(store().member_count("g1").value_or(-1), 3);
  EXPECT_EQ(role("g1", "owner"), domain::Role::owner);
  EXPECT_EQ(role("g1", "m1"), domain::Role::member);
  EXPECT_FALSE(role("g1", "stranger").has_value());
  auto members = store().members("g1");
  ASSERT_TRUE(members);
  ASSERT_EQ(members->size(), 3u);
  std::set<std::string> users;
  for (const auto& m : *members) {
    EXPECT_EQ(m.chat_id, "g1");
    users.insert(m.user_id);
  }
  EXPECT_EQ(users, (std::set<std::string>{"owner", "m1", "m2"}));
  auto one = store().member("g1", "m2");
  ASSERT_TRUE(one && one->has_value());
  EXPECT_EQ((*one)->joined_at_ms, 1002);
}

TEST_P(ChatStoreContract, GroupsWithoutADirectKeyDoNotCollide) {
  group("g1", {"a"});
  group("g2", {"a"});
  EXPECT_TRUE(find("g1").has_value());
  EXPECT_TRUE(find("g2").has_value());
}

TEST_P(ChatStoreContract, CreateGroupWithATakenIdOrADuplicateMemberStoresNothing) {
  group("g1", {"a"});
  auto taken = store().create_group(chat("g1", domain::ChatKind::group), {member("g1", "b", domain::Role::owner)});
  EXPECT_FALSE(taken);
  EXPECT_FALSE(role("g1", "b").has_value());
  auto twice = store().create_group(chat("g2", domain::ChatKind::group),
                                    {member("g2", "a", domain::Role::owner), member("g2", "b"), member("g2", "b")});
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, "already_member");
  EXPECT_FALSE(find("g2").has_value());
  EXPECT_EQ(store().member_count("g2").value_or(-1), 0);
}

TEST_P(ChatStoreContract, AddMemberThenDuplicateIsAlreadyMember) {
  group("g1", {"owner"});
  ASSERT_TRUE(store().add_member(member("g1", "bob", domain::Role::member, 5000)));
  auto bob = store().member("g1", "bob");
  ASSERT_TRUE(bob && bob->has_value());
  EXPECT_EQ((*bob)->joined_at_ms, 5000);
  auto again = store().add_member(member("g1", "bob", domain::Role::admin));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, ErrorKind::conflict);
  EXPECT_EQ(again.error().code, "already_member");
  EXPECT_EQ(role("g1", "bob"), domain::Role::member);
  EXPECT_EQ(store().member_count("g1").value_or(-1), 2);
}

TEST_P(ChatStoreContract, AddMemberToAnUnknownChatIsChatNotFound) {
  auto r = store().add_member(member("nope", "bob"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::not_found);
  EXPECT_EQ(r.error().code, "chat_not_found");
}

TEST_P(ChatStoreContract, RemoveMemberRemovesOnlyThatMembershipAndToleratesNonMembers) {
  group("g1", {"owner", "bob", "carol"});
  ASSERT_TRUE(store().remove_member("g1", "bob"));
  EXPECT_FALSE(role("g1", "bob").has_value());
  EXPECT_TRUE(role("g1", "carol").has_value());
  EXPECT_EQ(store().member_count("g1").value_or(-1), 2);
  EXPECT_TRUE(store().remove_member("g1", "bob"));
  EXPECT_TRUE(store().remove_member("nope", "bob"));
  EXPECT_EQ(list("bob", std::nullopt, 10).size(), 0u);
}

TEST_P(ChatStoreContract, SetRoleChangesOneMemberAndFailsForNonMembers) {
  group("g1", {"owner", "bob", "carol"});
  ASSERT_TRUE(store().set_role("g1", "bob", domain::Role::admin));
  EXPECT_EQ(role("g1", "bob"), domain::Role::admin);
  EXPECT_EQ(role("g1", "carol"), domain::Role::member);
  auto r = store().set_role("g1", "stranger", domain::Role::admin);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::not_found);
  EXPECT_EQ(r.error().code, "member_not_found");
}

TEST_P(ChatStoreContract, TransferOwnershipSwapsOwnerAndAdmin) {
  group("g1", {"owner", "bob", "carol"});
  ASSERT_TRUE(store().transfer_ownership("g1", "owner", "bob"));
  EXPECT_EQ(role("g1", "owner"), domain::Role::admin);
  EXPECT_EQ(role("g1", "bob"), domain::Role::owner);
  EXPECT_EQ(role("g1", "carol"), domain::Role::member);
}

TEST_P(ChatStoreContract, TransferOwnershipThatCannotCompleteChangesNothing) {
  group("g1", {"owner", "bob"});
  auto to_stranger = store().transfer_ownership("g1", "owner", "stranger");
  ASSERT_FALSE(to_stranger);
  EXPECT_EQ(to_stranger.error().code, "member_not_found");
  EXPECT_EQ(role("g1", "owner"), domain::Role::owner);
  EXPECT_FALSE(role("g1", "stranger").has_value());
  auto not_owner = store().transfer_ownership("g1", "bob", "owner");
  EXPECT_FALSE(not_owner);
  EXPECT_EQ(role("g1", "owner"), domain::Role::owner);
  EXPECT_EQ(role("g1", "bob"), domain::Role::member);
}

TEST_P(ChatStoreContract, ConcurrentTransfersFromTheOwnerLeaveExactlyOneOwner) {
  constexpr int kThreads = 8;
  std::vector<std::string> users{"owner"};
  for (int i = 0; i < kThreads; ++i) users.push_back("m" + std::to_string(i));
  group("g1", users);
  std::atomic<int> wins{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> pool;
  for (int i = 0; i < kThreads; ++i) {
    pool.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      if (store().transfer_ownership("g1", "owner", "m" + std::to_string(i))) ++wins;
    });
  }
  go = true;
  for (auto& t : pool) t.join();
  EXPECT_EQ(wins.load(), 1);
  auto members = store().members("g1");
  ASSERT_TRUE(members);
  EXPECT_EQ(
      std::count_if(members->begin(), members->end(), [](const Member& m) { return m.role == domain::Role::owner; }),
      1);
  EXPECT_EQ(role("g1", "owner"), domain::Role::admin);
}

TEST_P(ChatStoreContract, UpdateReplacesNameAndAvatarAndFailsForUnknownChats) {
  group("g1", {"owner"});
  auto changed = chat("g1", domain::ChatKind::group, 1000);
  changed.name = "Renamed";
  changed.avatar_url = "https://example.com/a.png";
  changed.updated_at_ms = 7000;
  ASSERT_TRUE(store().update(changed));
  auto found = find("g1");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->name, "Renamed");
  EXPECT_EQ(found->avatar_url, "https://example.com/a.png");
  EXPECT_EQ(found->updated_at_ms, 7000);
  EXPECT_EQ(found->created_at_ms, 1000);
  changed.id = "nope";
  auto r = store().update(changed);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "chat_not_found");
}

TEST_P(ChatStoreContract, TouchMovesActivityForwardOnly) {
  group("g1", {"owner"});
  ASSERT_TRUE(store().touch("g1", 5000));
  EXPECT_EQ(find("g1").value().last_activity_ms, 5000);
  ASSERT_TRUE(store().touch("g1", 3000));
  EXPECT_EQ(find("g1").value().last_activity_ms, 5000);
  ASSERT_TRUE(store().touch("g1", 5000));
  EXPECT_EQ(find("g1").value().last_activity_ms, 5000);
  auto r = store().touch("nope", 9000);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "chat_not_found");
}

TEST_P(ChatStoreContract, TouchAllMovesEachChatForwardOnlyAndSkipsUnknownChats) {
  group("g1", {"owner"}, 1000);
  group("g2", {"owner"}, 8000);
  ASSERT_TRUE(store().touch_all({{"g1", 5000}, {"nope", 9000}, {"g2", 7000}, {"g1", 4000}}));
  EXPECT_EQ(find("g1").value().last_activity_ms, 5000);
  EXPECT_EQ(find("g2").value().last_activity_ms, 8000);
  EXPECT_FALSE(find("nope").has_value());
  ASSERT_TRUE(store().touch_all({}));
  EXPECT_EQ(list("owner", std::nullopt, 10), (std::vector<std::string>{"g2", "g1"}));
}

TEST_P(ChatStoreContract, ChatsOfListsOnlyTheUsersChatsNewestActivityFirst) {
  group("g1", {"u", "x"}, 1000);
  group("g2", {"x"}, 9000); // not u's
  direct("d1", "u", "y", 3000);
  group("g3", {"u"}, 2000);
  ASSERT_TRUE(store().touch("g1", 4000));
  EXPECT_EQ(list("u", std::nullopt, 10), (std::vector<std::string>{"g1", "d1", "g3"}));
  EXPECT_EQ(list("nobody", std::nullopt, 10), std::vector<std::string>{});
  EXPECT_EQ(list("u", std::nullopt, 0), std::vector<std::string>{});
  auto full = store().chats_of("u", std::nullopt, 1);
  ASSERT_TRUE(full && full->size() == 1u);
  EXPECT_EQ((*full)[0].name, "Group g1");
  EXPECT_EQ((*full)[0].last_activity_ms, 4000);
}

TEST_P(ChatStoreContract, ContactsAreEveryoneSharingAChatOnceAndNotOneself) {
  group("g1", {"u", "x", "y"});
  direct("d1", "u", "x");
  direct("d2", "z", "u");
  group("g2", {"x", "w"}); // not u's
  auto r = store().contacts_of("u");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, (std::vector<std::string>{"x", "y", "z"}));
  ASSERT_TRUE(store().remove_member("g1", "y"));
  EXPECT_EQ(*store().contacts_of("u"), (std::vector<std::string>{"x", "z"}));
  EXPECT_EQ(*store().contacts_of("w"), std::vector<std::string>{"x"});
  EXPECT_TRUE(store().contacts_of("nobody")->empty());
}

TEST_P(ChatStoreContract, ChatsOfPagesWithoutOverlapAcrossEqualActivity) {
  // Seven chats, several with the same activity: ties break on chat id, descending.
  const std::vector<std::pair<std::string, std::int64_t>> chats{{"a", 100}, {"b", 200}, {"c", 200}, {"d", 200},
                                                                {"e", 300}, {"f", 50},  {"g", 300}};
  for (const auto& [id, at] : chats) group(id, {"u"}, at);
  const std::vector<std::string> expected{"g", "e", "d", "c", "b", "a", "f"};
  EXPECT_EQ(list("u", std::nullopt, 100), expected);

  std::vector<std::string> seen;
  std::optional<ChatListCursor> after;
  for (int pages = 0; pages < 10; ++pages) {
    auto r = store().chats_of("u", after, 3);
    ASSERT_TRUE(r);
    EXPECT_LE(r->size(), 3u);
    if (r->empty()) break;
    for (const auto& c : *r) seen.push_back(c.id);
    after = ChatListCursor{r->back().last_activity_ms, r->back().id};
  }
  EXPECT_EQ(seen, expected);
}

TEST_P(ChatStoreContract, ConcurrentCreateDirectForOnePairYieldsOneChat) {
  constexpr int kThreads = 8;
  std::vector<std::shared_ptr<ChatStore>> separate;
  for (int i = 0; i < kThreads; ++i) separate.push_back(backend().open_chat_store());
  std::vector<std::string> ids(kThreads);
  std::atomic<int> errors{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> pool;
  for (int i = 0; i < kThreads; ++i) {
    pool.emplace_back([&, i] {
      ChatStore& s = separate[static_cast<std::size_t>(i)] ? *separate[static_cast<std::size_t>(i)] : store();
      const std::string id = "c" + std::to_string(i);
      auto c = chat(id, domain::ChatKind::direct);
      while (!go.load()) std::this_thread::yield();
      // Half the threads name the pair the other way round.
      auto r = i % 2 == 0 ? s.create_direct(c, member(id, "alice"), member(id, "bob"))
                          : s.create_direct(c, member(id, "bob"), member(id, "alice"));
      if (r)
        ids[static_cast<std::size_t>(i)] = r->id;
      else
        ++errors;
    });
  }
  go = true;
  for (auto& t : pool) t.join();
  separate.clear();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 1u);
  EXPECT_EQ(list("alice", std::nullopt, 100).size(), 1u);
  EXPECT_EQ(list("bob", std::nullopt, 100).size(), 1u);
}

} // namespace parley::contract

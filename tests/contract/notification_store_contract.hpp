#pragma once
// The NotificationStore contract, run against every adapter: dedupe keys apply once, a
// user's pending checks of a chat are one, messages are counted once into one unread
// notification per chat, read marks are per user, and lists page newest first.

#include <string>
#include <vector>

#include "store_backend.hpp"

namespace parley::contract {

class NotificationStoreContract : public StoreContract {
 protected:
  NotificationStore& store() { return backend().notifications(); }

  static Notification note(std::string id, std::string user, std::string kind = "mention", std::int64_t at = 1000,
                           std::string chat = "c1") {
    return Notification{
        std::move(id), std::move(user), std::move(kind), std::move(chat), "actor", "m1", 7, 1, "hello", at, at, 0};
  }

  static MessageCheck check(std::string user, std::string chat = "c1", std::int64_t due = 1000) {
    return MessageCheck{std::move(user), std::move(chat), due};
  }

  static LatestMessage latest(std::int64_t seq) {
    return LatestMessage{seq, "m" + std::to_string(seq), "sender", "body " + std::to_string(seq)};
  }

  // Counts the messages of `c`'s chat up to `seq` (the user has read up to `read_seq`).
  Result<std::optional<Notification>> count(const MessageCheck& c, std::int64_t seq, std::string_view new_id,
                                            std::int64_t now_ms, std::int64_t read_seq = 0) {
    return store().count(c, latest(seq), read_seq, new_id, now_ms);
  }

  std::vector<std::string> ids(std::string_view user, const std::optional<NotificationCursor>& after = {},
                               int limit = 50) {
    auto r = store().list(user, after, limit);
    EXPECT_TRUE(r) << r.error().message;
    std::vector<std::string> out;
    if (r)
      for (const auto& n : *r) out.push_back(n.id);
    return out;
  }

  std::int64_t unread(std::string_view user) {
    auto r = store().unread_count(user);
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : -1;
  }
};

TEST_P(NotificationStoreContract, ADedupeKeyIsAppliedOnce) {
  EXPECT_TRUE(*store().add(note("n1", "ann"), "event-1:ann"));
  EXPECT_FALSE(*store().add(note("n2", "ann"), "event-1:ann"));
  EXPECT_TRUE(*store().add(note("n3", "bob"), "event-1:bob"));
  EXPECT_EQ(ids("ann"), std::vector<std::string>{"n1"});
  EXPECT_EQ(unread("ann"), 1);
  auto stored = store().list("ann", std::nullopt, 1);
  ASSERT_TRUE(stored && stored->size() == 1u);
  const auto& n = stored->front();
  EXPECT_EQ(n.kind, "mention");
  EXPECT_EQ(n.chat_id, "c1");
  EXPECT_EQ(n.actor_id, "actor");
  EXPECT_EQ(n.message_id, "m1");
  EXPECT_EQ(n.seq, 7);
  EXPECT_EQ(n.preview, "hello");
  EXPECT_EQ(n.read_at_ms, 0);
}

TEST_P(NotificationStoreContract, AUsersChecksOfAChatAreOneDueAtTheEarliest) {
  ASSERT_TRUE(store().schedule({check("ann", "c1", 3000), check("ann", "c1", 2000)}));
  ASSERT_TRUE(store().schedule({check("ann", "c1", 2500)})); // later than pending: stays 2000
  ASSERT_TRUE(store().schedule({check("bob", "c1", 9000), check("ann", "c2", 4000)}));
  ASSERT_TRUE(store().schedule({check("bob", "c1", 4500)})); // earlier: brought forward
  ASSERT_TRUE(store().schedule({}));
  auto due = store().due(5000, 10);
  ASSERT_TRUE(due);
  ASSERT_EQ(due->size(), 3u);
  EXPECT_EQ((*due)[0].user_id, "ann");
  EXPECT_EQ((*due)[0].chat_id, "c1");
  EXPECT_EQ((*due)[0].due_ms, 2000);
  EXPECT_EQ((*due)[1].chat_id, "c2");
  EXPECT_EQ((*due)[1].due_ms, 4000);
  EXPECT_EQ((*due)[2].user_id, "bob");
  EXPECT_EQ((*due)[2].due_ms, 4500);
  EXPECT_EQ(store().due(3000, 10)->size(), 1u);
  EXPECT_EQ(store().due(5000, 0)->size(), 0u);
}

TEST_P(NotificationStoreContract, CountedMessagesCollapseIntoOneUnreadNotificationPerChat) {
  auto first = count(check("ann"), 1, "n1", 1000);
  ASSERT_TRUE(first && *first);
  EXPECT_EQ((*first)->id, "n1");
  EXPECT_EQ((*first)->count, 1);
  EXPECT_EQ((*first)->preview, "body 1");
  auto second = count(check("ann"), 3, "n2", 2000); // messages 2 and 3
  ASSERT_TRUE(second && *second);
  EXPECT_EQ((*second)->id, "n1"); // the same notification, now about three messages
  EXPECT_EQ((*second)->count, 3);
  EXPECT_EQ((*second)->seq, 3);
  EXPECT_EQ((*second)->message_id, "m3");
  EXPECT_EQ((*second)->actor_id, "sender");
  EXPECT_EQ((*second)->updated_at_ms, 2000);
  EXPECT_TRUE(count(check("ann", "c2"), 1, "n3", 2500)->has_value()); // another chat: its own
  EXPECT_EQ(ids("ann"), (std::vector<std::string>{"n3", "n1"}));
  EXPECT_EQ(unread("ann"), 2);
}

TEST_P(NotificationStoreContract, AMessageIsCountedOnceEvenWhenCheckedAgain) {
  ASSERT_TRUE(count(check("ann"), 2, "n1", 1000)->has_value());
  auto again = count(check("ann"), 2, "n2", 1000); // run twice
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->has_value());
  auto older = count(check("ann"), 1, "n3", 1000); // late and older
  ASSERT_TRUE(older);
  EXPECT_FALSE(older->has_value());
  auto list = store().list("ann", std::nullopt, 10);
  ASSERT_TRUE(list && list->size() == 1u);
  EXPECT_EQ(list->front().count, 2);
}

TEST_P(NotificationStoreContract, MessagesReadAreNotCounted) {
  auto none = count(check("ann"), 4, "n1", 1000, 4); // read up to the latest
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
  auto some = count(check("ann"), 7, "n2", 2000, 5); // 6 and 7 unread
  ASSERT_TRUE(some && *some);
  EXPECT_EQ((*some)->count, 2);
  EXPECT_FALSE(count(check("bob"), 0, "n3", 2000)->has_value()); // an empty chat
}

TEST_P(NotificationStoreContract, CountingRemovesTheCheck) {
  ASSERT_TRUE(store().schedule({check("ann"), check("bob")}));
  ASSERT_TRUE(count(check("ann"), 1, "n1", 1000));
  ASSERT_TRUE(count(check("bob"), 1, "n2", 1000, 1)); // nothing to count: removed too
  EXPECT_TRUE(store().due(99999, 10)->empty());
  ASSERT_TRUE(store().schedule({check("ann", "c1", 5000)})); // the next message: a new check
  EXPECT_EQ(store().due(99999, 10)->size(), 1u);
}

TEST_P(NotificationStoreContract, AfterReadingANewMessageStartsANewNotification) {
  ASSERT_TRUE(count(check("ann"), 1, "n1", 1000));
  EXPECT_EQ(*store().mark_chats_read({{"ann", "c1", 1}}, 1500), 1);
  auto next = count(check("ann"), 2, "n2", 2000, 1);
  ASSERT_TRUE(next && *next);
  EXPECT_EQ((*next)->id, "n2");
  EXPECT_EQ((*next)->count, 1);
  EXPECT_EQ(unread("ann"), 1);
}

TEST_P(NotificationStoreContract, MarkReadIsPerUserAndIdempotent) {
  ASSERT_TRUE(store().add(note("n1", "ann"), "k1"));
  EXPECT_FALSE(*store().mark_read("bob", "n1", 2000)); // not bob's
  EXPECT_FALSE(*store().mark_read("ann", "nope", 2000));
  EXPECT_TRUE(*store().mark_read("ann", "n1", 2000));
  EXPECT_TRUE(*store().mark_read("ann", "n1", 3000)); // already read: still found
  auto list = store().list("ann", std::nullopt, 10);
  ASSERT_TRUE(list && list->size() == 1u);
  EXPECT_EQ(list->front().read_at_ms, 2000); // the first read time stays
  EXPECT_EQ(unread("ann"), 0);
}

TEST_P(NotificationStoreContract, MarkAllAndMarkChatReadTouchOnlyTheirScope) {
  ASSERT_TRUE(store().add(note("n1", "ann", "mention", 1000, "c1"), "k1"));
  ASSERT_TRUE(store().add(note("n2", "ann", "mention", 1000, "c2"), "k2"));
  ASSERT_TRUE(store().add(note("n3", "bob", "mention", 1000, "c1"), "k3"));
  auto later = note("n4", "ann", "mention", 1000, "c1");
  later.seq = 9;
  ASSERT_TRUE(store().add(later, "k4"));
  EXPECT_EQ(*store().mark_chats_read({{"ann", "c1", 8}}, 2000), 1); // n1 (seq 7); n4 is about seq 9
  EXPECT_EQ(unread("ann"), 2);
  EXPECT_EQ(*store().mark_all_read("ann", 3000), 2);
  EXPECT_EQ(*store().mark_all_read("ann", 3000), 0);
  EXPECT_EQ(unread("ann"), 0);
  EXPECT_EQ(unread("bob"), 1);
}

TEST_P(NotificationStoreContract, MarkChatsReadMarksEachReadInItsScopeAndCountsThemAll) {
  ASSERT_TRUE(store().add(note("n1", "ann", "mention", 1000, "c1"), "k1")); // seq 7
  ASSERT_TRUE(store().add(note("n2", "ann", "mention", 1000, "c2"), "k2"));
  ASSERT_TRUE(store().add(note("n3", "bob", "mention", 1000, "c1"), "k3"));
  ASSERT_TRUE(store().add(note("n4", "cat", "mention", 1000, "c1"), "k4"));
  EXPECT_EQ(*store().mark_chats_read({{"ann", "c1", 7}, {"bob", "c1", 6}, {"ann", "c2", 9}, {"nobody", "c1", 9}}, 2000),
            2);
  EXPECT_EQ(unread("ann"), 0);
  EXPECT_EQ(unread("bob"), 1); // seq 7 > 6
  EXPECT_EQ(unread("cat"), 1);
  EXPECT_EQ(*store().mark_chats_read({}, 3000), 0);
}

TEST_P(NotificationStoreContract, ListsPageNewestFirstWithoutOverlap) {
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(
        store().add(note("n" + std::to_string(i), "ann", "mention", 1000 + (i / 3) * 10), "k" + std::to_string(i)));
  }
  std::vector<std::string> seen;
  std::optional<NotificationCursor> after;
  for (;;) {
    auto page = store().list("ann", after, 3);
    ASSERT_TRUE(page);
    if (page->empty()) break;
    for (const auto& n : *page) seen.push_back(n.id);
    after = NotificationCursor{page->back().updated_at_ms, page->back().id};
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"n6", "n5", "n4", "n3", "n2", "n1", "n0"}));
  EXPECT_TRUE(ids("bob").empty());
  EXPECT_TRUE(ids("ann", std::nullopt, 0).empty());
}

TEST_P(NotificationStoreContract, UnmailedNotificationsAreHandedOutOnce) {
  ASSERT_TRUE(store().add(note("n1", "ann", "mention", 1000), "k1"));
  ASSERT_TRUE(store().add(note("n2", "bob", "mention", 2000), "k2"));
  ASSERT_TRUE(store().add(note("n3", "ann", "mention", 9000), "k3")); // too recent
  ASSERT_TRUE(store().add(note("n4", "ann", "mention", 1500), "k4"));
  ASSERT_TRUE(store().mark_read("ann", "n4", 1600)); // read: never mailed
  auto first = store().take_unmailed(5000, 10);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0].id, "n1");
  EXPECT_EQ((*first)[1].id, "n2");
  EXPECT_TRUE(store().take_unmailed(5000, 10)->empty());
  EXPECT_EQ(store().take_unmailed(10000, 10)->size(), 1u);
}

TEST_P(NotificationStoreContract, ANotificationThatGrowsAfterItWasMailedIsNotMailedAgain) {
  ASSERT_TRUE(count(check("ann"), 1, "n1", 1000)->has_value());
  ASSERT_EQ(store().take_unmailed(5000, 10)->size(), 1u);
  ASSERT_TRUE(count(check("ann"), 2, "n2", 2000)->has_value()); // collapsed into n1
  EXPECT_TRUE(store().take_unmailed(5000, 10)->empty());
}

} // namespace parley::contract

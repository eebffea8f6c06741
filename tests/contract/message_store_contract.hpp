#pragma once
// The MessageStore contract, run against every adapter. It pins the pipeline's
// guarantees: seq is gapless and strictly increasing per chat (also under concurrent
// appends, across connections where the backend has them), append is idempotent on
// (chat_id, sender_id, client_id) without consuming a seq, deletes are tombstones that
// keep their seq, and cursors only move forward.

#include <algorithm>
#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store_backend.hpp"

namespace parley::contract {

class MessageStoreContract : public StoreContract {
 protected:
  MessageStore& store() { return backend().messages(); }

  static Message message(std::string id, std::string chat, std::string sender, std::string client_id,
                         std::string body = "hello", std::int64_t at = 1000) {
    Message m;
    m.id = std::move(id);
    m.chat_id = std::move(chat);
    m.sender_id = std::move(sender);
    m.client_id = std::move(client_id);
    m.body = std::move(body);
    m.attachments_json = "[]";
    m.created_at_ms = at;
    return m;
  }

  // Appends a fresh message "<chat>-<n>" from `sender` and returns its seq.
  std::int64_t send(const std::string& chat, const std::string& sender = "alice", const std::string& body = "hi") {
    const std::string id = chat + "-" + std::to_string(next_++);
    auto r = store().append(message(id, chat, sender, "cl-" + id, body));
    EXPECT_TRUE(r) << r.error().message;
    if (!r) return -1;
    EXPECT_TRUE(r->created);
    return r->message.seq;
  }

  std::vector<std::int64_t> seqs(const std::string& chat, std::int64_t before, std::int64_t after, int limit) {
    auto r = store().page(chat, before, after, limit);
    EXPECT_TRUE(r) << r.error().message;
    std::vector<std::int64_t> out;
    if (r)
      for (const auto& m : *r) out.push_back(m.seq);
    return out;
  }

  std::optional<Message> find(std::string_view chat, std::string_view id) {
    auto r = store().find(chat, id);
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : std::nullopt;
  }

  std::int64_t last_seq(std::string_view chat) {
    auto r = store().last_seq(chat);
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : -1;
  }

  std::int64_t unread(std::string_view chat, std::string_view user, std::int64_t after) {
    auto r = store().count_unread(chat, user, after);
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : -1;
  }

  static std::vector<std::int64_t> range(std::int64_t from, std::int64_t to) {
    std::vector<std::int64_t> out;
    for (auto s = from; s <= to; ++s) out.push_back(s);
    return out;
  }

  // Appends `per_thread` messages from each of `threads` threads through `store_for(i)`
  // and checks the chat holds seqs 1..N, each once. A retryable failure (busy) is
  // retried: it must not consume a seq.
  template <class StoreFor>
  void race_appends(int threads, int per_thread, StoreFor store_for) {
    std::atomic<int> errors{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        MessageStore& s = store_for(t);
        while (!go.load()) std::this_thread::yield();
        for (int i = 0; i < per_thread; ++i) {
          const std::string id = "m-" + std::to_string(t) + "-" + std::to_string(i);
          for (int attempt = 0;; ++attempt) {
            auto r = s.append(message(id, "c1", "u" + std::to_string(t), id));
            if (r && r->created) break;
            if (r || !r.error().retryable || attempt == 20) {
              ++errors;
              break;
            }
          }
        }
      });
    }
    go = true;
    for (auto& th : pool) th.join();
    EXPECT_EQ(errors.load(), 0);
    const std::int64_t n = static_cast<std::int64_t>(threads) * per_thread;
    EXPECT_EQ(last_seq("c1"), n);
    auto page = store().page("c1", 0, 0, static_cast<int>(n) + 10);
    ASSERT_TRUE(page);
    std::vector<std::int64_t> got;
    std::set<std::string> ids;
    for (const auto& m : *page) {
      got.push_back(m.seq);
      ids.insert(m.id);
    }
    EXPECT_EQ(got, range(1, n));
    EXPECT_EQ(ids.size(), static_cast<std::size_t>(n));
  }

 private:
  int next_ = 1;
};

TEST_P(MessageStoreContract, AppendAssignsSeqFromOneAndStoresEveryField) {
  auto m = message("m1", "c1", "alice", "k1", "hello there", 4242);
  m.seq = 99; // ignored
  m.attachments_json = R"([{"id":"a1"}])";
  m.reply_to = "m0";
  m.mentions = {"bob", "carol"};
  auto r = store().append(m);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->created);
  EXPECT_EQ(r->message.seq, 1);
  auto got = find("c1", "m1");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->id, "m1");
  EXPECT_EQ(got->chat_id, "c1");
  EXPECT_EQ(got->seq, 1);
  EXPECT_EQ(got->sender_id, "alice");
  EXPECT_EQ(got->client_id, "k1");
  EXPECT_EQ(got->body, "hello there");
  EXPECT_EQ(got->attachments_json, R"([{"id":"a1"}])");
  EXPECT_EQ(got->reply_to, "m0");
  EXPECT_EQ(got->mentions, (std::vector<std::string>{"bob", "carol"}));
  EXPECT_EQ(got->created_at_ms, 4242);
  EXPECT_EQ(got->edited_at_ms, 0);
  EXPECT_FALSE(got->deleted);
  EXPECT_EQ(r->message.mentions, got->mentions);
}

TEST_P(MessageStoreContract, FindIsScopedToTheChat) {
  send("c1");
  EXPECT_TRUE(find("c1", "c1-1").has_value());
  EXPECT_FALSE(find("c2", "c1-1").has_value());
  EXPECT_FALSE(find("c1", "nope").has_value());
}

TEST_P(MessageStoreContract, SeqIsGaplessPerChatAndIndependentAcrossChats) {
  EXPECT_EQ(last_seq("c1"), 0);
  EXPECT_EQ(send("c1"), 1);
  EXPECT_EQ(send("c1"), 2);
  EXPECT_EQ(send("c2"), 1);
  EXPECT_EQ(send("c1"), 3);
  EXPECT_EQ(send("c2"), 2);
  EXPECT_EQ(last_seq("c1"), 3);
  EXPECT_EQ(last_seq("c2"), 2);
  EXPECT_EQ(seqs("c1", 0, 0, 10), range(1, 3));
}

TEST_P(MessageStoreContract, AppendIsIdempotentAndDoesNotConsumeASeq) {
  auto first = store().append(message("m1", "c1", "alice", "k1", "original"));
  ASSERT_TRUE(first);
  ASSERT_TRUE(first->created);
  // A retry: new server-side id, maybe another body; the stored message wins.
  auto retry = store().append(message("m1-retry", "c1", "alice", "k1", "changed"));
  ASSERT_TRUE(retry) << retry.error().message;
  EXPECT_FALSE(retry->created);
  EXPECT_EQ(retry->message.id, "m1");
  EXPECT_EQ(retry->message.seq, first->message.seq);
  EXPECT_EQ(retry->message.body, "original");
  EXPECT_EQ(last_seq("c1"), 1);
  EXPECT_FALSE(find("c1", "m1-retry").has_value());
  EXPECT_EQ(send("c1"), 2); // no seq was consumed by the retry
}

TEST_P(MessageStoreContract, AppendAllIsAppendForEachInOrder) {
  ASSERT_TRUE(store().append(message("m0", "c1", "alice", "k0")));
  auto results = store().append_all({message("m1", "c1", "alice", "k1"), message("m2", "c2", "bob", "k1"),
                                     message("m1-again", "c1", "alice", "k1"), // a retry within the batch
                                     message("m0", "c1", "bob", "k9"),         // a taken id: fails alone
                                     message("m3", "c1", "bob", "k3")});
  ASSERT_EQ(results.size(), 5u);
  ASSERT_TRUE(results[0] && results[1] && results[2] && results[4]);
  EXPECT_TRUE(results[0]->created);
  EXPECT_EQ(results[0]->message.seq, 2);
  EXPECT_EQ(results[1]->message.seq, 1);
  EXPECT_FALSE(results[2]->created);
  EXPECT_EQ(results[2]->message.id, "m1");
  ASSERT_FALSE(results[3]);
  EXPECT_EQ(results[3].error().code, "message_exists");
  EXPECT_EQ(results[4]->message.seq, 3); // the failed one took no seq
  EXPECT_EQ(seqs("c1", 0, 0, 10), range(1, 3));
  EXPECT_TRUE(store().append_all({}).empty());
}

// Many chats in one batch (more than an adapter writes at once), their messages interleaved:
// each chat's messages take its seqs in the batch's order.
TEST_P(MessageStoreContract, AppendAllKeepsEachChatsOrderAcrossManyChats) {
  constexpr int kChats = 20, kEach = 5;
  std::vector<Message> batch;
  for (int i = 0; i < kEach; ++i)
    for (int c = 0; c < kChats; ++c) {
      const auto n = std::to_string(c) + "-" + std::to_string(i);
      batch.push_back(message("m" + n, "c" + std::to_string(c), "alice", "k" + n));
    }
  const auto results = store().append_all(batch);
  ASSERT_EQ(results.size(), batch.size());
  for (std::size_t j = 0; j < batch.size(); ++j) {
    ASSERT_TRUE(results[j]) << batch[j].id;
    EXPECT_EQ(results[j]->message.seq, static_cast<std::int64_t>(j / kChats + 1)) << batch[j].id;
  }
  for (int c = 0; c < kChats; ++c) EXPECT_EQ(seqs("c" + std::to_string(c), 0, 0, 10), range(1, kEach));
}

TEST_P(MessageStoreContract, FindSentLooksUpBySenderAndClientId) {
  ASSERT_TRUE(store().append(message("m1", "c1", "alice", "k1")));
  auto found = store().find_sent("c1", "alice", "k1");
  ASSERT_TRUE(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->id, "m1");
  EXPECT_EQ((*found)->seq, 1);
  for (auto [chat, sender, client_id] : {std::tuple{"c1", "bob", "k1"}, {"c2", "alice", "k1"}, {"c1", "alice", "k2"}}) {
    auto other = store().find_sent(chat, sender, client_id);
    ASSERT_TRUE(other);
    EXPECT_FALSE(other->has_value()) << chat << " " << sender << " " << client_id;
  }
}

TEST_P(MessageStoreContract, SameClientIdFromAnotherSenderOrChatIsAnotherMessage) {
  auto a = store().append(message("m1", "c1", "alice", "k1"));
  auto b = store().append(message("m2", "c1", "bob", "k1"));
  auto c = store().append(message("m3", "c2", "alice", "k1"));
  ASSERT_TRUE(a && b && c);
  EXPECT_TRUE(b->created);
  EXPECT_TRUE(c->created);
  EXPECT_EQ(b->message.id, "m2");
  EXPECT_EQ(b->message.seq, 2);
  EXPECT_EQ(c->message.seq, 1);
}

TEST_P(MessageStoreContract, AppendWithATakenIdFailsAndConsumesNoSeq) {
  send("c1");
  auto clash = store().append(message("c1-1", "c1", "bob", "other"));
  EXPECT_FALSE(clash);
  EXPECT_EQ(last_seq("c1"), 1);
  EXPECT_EQ(send("c1"), 2);
}

TEST_P(MessageStoreContract, PageWithOnlyBeforeReturnsTheNewestAscending) {
  for (int i = 0; i < 10; ++i) send("c1");
  EXPECT_EQ(seqs("c1", 8, 0, 3), (std::vector<std::int64_t>{5, 6, 7}));
  EXPECT_EQ(seqs("c1", 3, 0, 10), (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(seqs("c1", 1, 0, 10), std::vector<std::int64_t>{});
}

TEST_P(MessageStoreContract, PageWithAfterReturnsTheOldestAfterAscending) {
  for (int i = 0; i < 10; ++i) send("c1");
  EXPECT_EQ(seqs("c1", 0, 4, 3), (std::vector<std::int64_t>{5, 6, 7}));
  EXPECT_EQ(seqs("c1", 0, 8, 10), (std::vector<std::int64_t>{9, 10}));
  EXPECT_EQ(seqs("c1", 0, 10, 10), std::vector<std::int64_t>{});
  EXPECT_EQ(seqs("c1", 0, 0, 3), (std::vector<std::int64_t>{1, 2, 3}));
}

TEST_P(MessageStoreContract, PageWithBothBoundsIsExclusiveAndStartsAfter) {
  for (int i = 0; i < 10; ++i) send("c1");
  EXPECT_EQ(seqs("c1", 7, 2, 10), (std::vector<std::int64_t>{3, 4, 5, 6}));
  EXPECT_EQ(seqs("c1", 7, 2, 2), (std::vector<std::int64_t>{3, 4}));
  EXPECT_EQ(seqs("c1", 3, 2, 10), std::vector<std::int64_t>{});
  EXPECT_EQ(seqs("c1", 0, 0, 0), std::vector<std::int64_t>{});
  EXPECT_EQ(seqs("c2", 0, 0, 10), std::vector<std::int64_t>{});
}

TEST_P(MessageStoreContract, PageCarriesMentionsOfEachMessage) {
  auto m1 = message("m1", "c1", "alice", "k1");
  m1.mentions = {"bob"};
  auto m3 = message("m3", "c1", "alice", "k3");
  m3.mentions = {"carol", "bob"};
  ASSERT_TRUE(store().append(m1));
  ASSERT_TRUE(store().append(message("m2", "c1", "alice", "k2")));
  ASSERT_TRUE(store().append(m3));
  auto page = store().page("c1", 0, 0, 10);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->size(), 3u);
  EXPECT_EQ((*page)[0].mentions, std::vector<std::string>{"bob"});
  EXPECT_TRUE((*page)[1].mentions.empty());
  EXPECT_EQ((*page)[2].mentions, (std::vector<std::string>{"carol", "bob"}));
}

TEST_P(MessageStoreContract, EditChangesBodyAndEditTime) {
  send("c1");
  auto r = store().edit("c1", "c1-1", "fixed", 5000);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->body, "fixed");
  EXPECT_EQ(r->edited_at_ms, 5000);
  EXPECT_EQ(r->seq, 1);
  auto got = find("c1", "c1-1");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->body, "fixed");
  EXPECT_EQ(got->edited_at_ms, 5000);
  auto missing = store().edit("c1", "nope", "x", 1);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::not_found);
  EXPECT_EQ(missing.error().code, "message_not_found");
  EXPECT_FALSE(store().edit("c2", "c1-1", "x", 1)); // another chat's message
}

TEST_P(MessageStoreContract, RemoveLeavesATombstoneThatKeepsItsSeq) {
  auto m = message("m1", "c1", "alice", "k1", "secret");
  m.mentions = {"bob"};
  ASSERT_TRUE(store().append(m));
  send("c1");
  auto r = store().remove("c1", "m1", 6000);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->deleted);
  EXPECT_TRUE(r->body.empty());
  EXPECT_EQ(r->seq, 1);
  auto got = find("c1", "m1");
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(got->deleted);
  EXPECT_TRUE(got->body.empty());
  EXPECT_TRUE(got->mentions.empty());
  EXPECT_EQ(got->seq, 1);
  EXPECT_EQ(seqs("c1", 0, 0, 10), (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(last_seq("c1"), 2);
  EXPECT_EQ(send("c1"), 3);

  auto edit = store().edit("c1", "m1", "resurrected", 7000);
  ASSERT_FALSE(edit);
  EXPECT_EQ(edit.error().code, "message_not_found");
  EXPECT_TRUE(find("c1", "m1").value().body.empty());

  auto again = store().remove("c1", "m1", 8000); // idempotent
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(again->deleted);
  EXPECT_EQ(again->seq, 1);

  auto missing = store().remove("c1", "nope", 1);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "message_not_found");
}

TEST_P(MessageStoreContract, AppendAfterRemoveWithTheSameClientIdReturnsTheTombstone) {
  ASSERT_TRUE(store().append(message("m1", "c1", "alice", "k1")));
  ASSERT_TRUE(store().remove("c1", "m1", 2000));
  auto retry = store().append(message("m2", "c1", "alice", "k1"));
  ASSERT_TRUE(retry);
  EXPECT_FALSE(retry->created);
  EXPECT_EQ(retry->message.id, "m1");
  EXPECT_TRUE(retry->message.deleted);
  EXPECT_EQ(last_seq("c1"), 1);
}

TEST_P(MessageStoreContract, AttachedIsTrueOnlyForAKeyOfALiveMessageOfThatChat) {
  auto attached = [&](std::string_view chat, std::string_view key) {
    auto r = store().attached(chat, key);
    EXPECT_TRUE(r) << r.error().message;
    return r && *r;
  };
  auto with_files = message("m1", "c1", "alice", "k1", "");
  with_files.attachments_json = R"([{"key":"alice_AAA","name":"a.png","content_type":"image/png","size":3},)"
                                R"({"key":"alice_BBB","name":"b.png","content_type":"image/png","size":4}])";
  ASSERT_TRUE(store().append(with_files));
  auto copy = message("m2", "c1", "bob", "k2", "");
  copy.attachments_json = R"([{"key":"alice_BBB","name":"b.png","content_type":"image/png","size":4}])";
  ASSERT_TRUE(store().append(copy));
  send("c2");

  EXPECT_TRUE(attached("c1", "alice_AAA"));
  EXPECT_TRUE(attached("c1", "alice_BBB"));
  EXPECT_FALSE(attached("c2", "alice_AAA")) << "another chat";
  EXPECT_FALSE(attached("c1", "alice_CCC"));
  EXPECT_FALSE(attached("c1", "alice_AA")) << "a prefix is not the key";
  EXPECT_FALSE(attached("c1", "a.png")) << "a name is not a key";
  EXPECT_FALSE(attached("c1", ""));

  // A deleted message no longer lends its files; another message with the same file does.
  ASSERT_TRUE(store().remove("c1", "m1", 2000));
  EXPECT_FALSE(attached("c1", "alice_AAA"));
  EXPECT_TRUE(attached("c1", "alice_BBB"));
  ASSERT_TRUE(store().remove("c1", "m2", 2000));
  EXPECT_FALSE(attached("c1", "alice_BBB"));
  // A retry of a deleted message's client_id does not bring its files back.
  ASSERT_TRUE(store().append(with_files));
  EXPECT_FALSE(attached("c1", "alice_AAA"));
}

// Ids, keys and other lookup values that a query language would read as operators,
// wildcards or paths are plain values: they find exactly what equals them, nothing more.
TEST_P(MessageStoreContract, LookupValuesThatLookLikeOperatorsFindNothingExtra) {
  auto m = message("m1", "c1", "alice", "k1", "");
  m.attachments_json = R"([{"key":"alice_AAA","name":"a.png","content_type":"image/png","size":3}])";
  ASSERT_TRUE(store().append(m));
  const std::vector<std::string> odd = {R"({"$gt": ""})",
                                        R"({"$ne": null})",
                                        "$gt",
                                        "$ne",
                                        "$where",
                                        "$regex",
                                        ".*",
                                        "%",
                                        "_",
                                        "*",
                                        "c1.m1",
                                        "' OR '1'='1",
                                        R"(" OR 1=1 --)",
                                        "m1' --",
                                        "alice_AAA' OR '1'='1",
                                        "alice_%",
                                        "alice_.*",
                                        "[object Object]"};
  for (const auto& v : odd) {
    auto by_chat = store().find(v, "m1");
    ASSERT_TRUE(by_chat) << v;
    EXPECT_FALSE(by_chat->has_value()) << v;
    auto by_id = store().find("c1", v);
    ASSERT_TRUE(by_id) << v;
    EXPECT_FALSE(by_id->has_value()) << v;
    auto sent = store().find_sent("c1", "alice", v);
    ASSERT_TRUE(sent) << v;
    EXPECT_FALSE(sent->has_value()) << v;
    auto sent_by = store().find_sent("c1", v, "k1");
    ASSERT_TRUE(sent_by) << v;
    EXPECT_FALSE(sent_by->has_value()) << v;
    auto key = store().attached("c1", v);
    ASSERT_TRUE(key) << v;
    EXPECT_FALSE(*key) << v;
    auto chat = store().attached(v, "alice_AAA");
    ASSERT_TRUE(chat) << v;
    EXPECT_FALSE(*chat) << v;
    EXPECT_EQ(last_seq(v), 0) << v;
    EXPECT_TRUE(seqs(v, 0, 0, 10).empty()) << v;
  }
  // A message stored under such values is found by exactly them.
  auto odd_one = message(R"({"$gt": ""})", "c.$x", "$where", R"({"$ne": null})");
  ASSERT_TRUE(store().append(odd_one));
  auto found = store().find_sent("c.$x", "$where", R"({"$ne": null})");
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->id, R"({"$gt": ""})");
  EXPECT_FALSE(find("c1", R"({"$gt": ""})").has_value());
  EXPECT_EQ(last_seq("c1"), 1);
}

TEST_P(MessageStoreContract, CursorsStartAtZeroAndOnlyMoveForward) {
  auto start = store().cursor("c1", "bob");
  ASSERT_TRUE(start);
  EXPECT_EQ(start->read_seq, 0);
  EXPECT_EQ(start->delivered_seq, 0);
  auto a = store().advance("c1", "bob", 3, 5);
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->read_seq, 3);
  EXPECT_EQ(a->delivered_seq, 5);
  auto back = store().advance("c1", "bob", 1, 2);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->read_seq, 3);
  EXPECT_EQ(back->delivered_seq, 5);
  auto mixed = store().advance("c1", "bob", 4, 0);
  ASSERT_TRUE(mixed);
  EXPECT_EQ(mixed->read_seq, 4);
  EXPECT_EQ(mixed->delivered_seq, 5);
  auto stored = store().cursor("c1", "bob");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->read_seq, 4);
  EXPECT_EQ(stored->delivered_seq, 5);
  // Per chat and per user.
  EXPECT_EQ(store().cursor("c1", "carol").value().read_seq, 0);
  EXPECT_EQ(store().cursor("c2", "bob").value().read_seq, 0);
}

TEST_P(MessageStoreContract, AdvanceAllMovesEachCursorInOrderForwardOnly) {
  ASSERT_TRUE(store().advance("c1", "bob", 2, 2));
  auto moved =
      store().advance_all({{"c1", "bob", 5, 5}, {"c1", "carol", 0, 3}, {"c1", "bob", 1, 7}, {"c2", "bob", 4, 4}});
  ASSERT_EQ(moved.size(), 4u);
  for (const auto& m : moved) ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(moved[0]->read_seq, 5);
  EXPECT_EQ(moved[0]->delivered_seq, 5);
  EXPECT_EQ(moved[1]->read_seq, 0);
  EXPECT_EQ(moved[1]->delivered_seq, 3);
  EXPECT_EQ(moved[2]->read_seq, 5); // after the first move of the same cursor
  EXPECT_EQ(moved[2]->delivered_seq, 7);
  EXPECT_EQ(moved[3]->read_seq, 4);
  EXPECT_EQ(store().cursor("c1", "bob").value().delivered_seq, 7);
  EXPECT_EQ(store().cursor("c1", "carol").value().delivered_seq, 3);
  EXPECT_EQ(store().cursor("c2", "bob").value().read_seq, 4);
  EXPECT_TRUE(store().advance_all({}).empty());
}

TEST_P(MessageStoreContract, CountUnreadSkipsOwnAndDeletedMessages) {
  send("c1", "alice"); // 1
  send("c1", "bob");   // 2 (bob's own)
  send("c1", "alice"); // 3
  send("c1", "alice"); // 4, deleted below
  send("c1", "carol"); // 5
  send("c2", "alice"); // another chat
  ASSERT_TRUE(store().remove("c1", "c1-4", 9000));
  EXPECT_EQ(unread("c1", "bob", 0), 3);
  EXPECT_EQ(unread("c1", "bob", 2), 2);
  EXPECT_EQ(unread("c1", "bob", 5), 0);
  EXPECT_EQ(unread("c1", "alice", 0), 2);
  EXPECT_EQ(unread("c3", "bob", 0), 0);
}

TEST_P(MessageStoreContract, ReactionsAreOnePerUserPerMessage) {
  send("c1");
  send("c1");
  send("c1");
  ASSERT_TRUE(store().set_reaction({"c1-1", "bob", "👍"}));
  ASSERT_TRUE(store().set_reaction({"c1-1", "bob", "🎉"})); // replaces
  ASSERT_TRUE(store().set_reaction({"c1-1", "carol", "👍"}));
  ASSERT_TRUE(store().set_reaction({"c1-2", "bob", "❤"}));
  ASSERT_TRUE(store().set_reaction({"c1-3", "bob", "x"}));

  auto r = store().reactions({"c1-1", "c1-2", "nope"});
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 3u);
  std::vector<std::string> got;
  for (const auto& x : *r) got.push_back(x.message_id + "/" + x.user_id + "/" + x.emoji);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"c1-1/bob/🎉", "c1-1/carol/👍", "c1-2/bob/❤"}));

  ASSERT_TRUE(store().remove_reaction("c1-1", "bob"));
  ASSERT_TRUE(store().remove_reaction("c1-1", "bob")); // again: not an error
  auto after = store().reactions({"c1-1"});
  ASSERT_TRUE(after);
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0].user_id, "carol");
  auto none = store().reactions({});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST_P(MessageStoreContract, ReactionsOnUnknownOrDeletedMessagesAreRefused) {
  send("c1");
  ASSERT_TRUE(store().set_reaction({"c1-1", "bob", "👍"}));
  auto unknown = store().set_reaction({"nope", "bob", "👍"});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, "message_not_found");
  ASSERT_TRUE(store().remove("c1", "c1-1", 5000));
  EXPECT_TRUE(store().reactions({"c1-1"}).value().empty());
  auto deleted = store().set_reaction({"c1-1", "carol", "👍"});
  ASSERT_FALSE(deleted);
  EXPECT_EQ(deleted.error().code, "message_not_found");
}

TEST_P(MessageStoreContract, ConcurrentAppendsThroughOneStoreAreGapless) {
  race_appends(8, 25, [&](int) -> MessageStore& { return store(); });
}

TEST_P(MessageStoreContract, ConcurrentAppendsThroughSeparateConnectionsAreGapless) {
  constexpr int kThreads = 8;
  std::vector<std::shared_ptr<MessageStore>> stores;
  for (int i = 0; i < kThreads; ++i) {
    stores.push_back(backend().open_message_store());
    if (!stores.back()) GTEST_SKIP() << "backend has no separate connections";
  }
  race_appends(kThreads, 25, [&](int i) -> MessageStore& { return *stores[static_cast<std::size_t>(i)]; });
}

TEST_P(MessageStoreContract, ConcurrentRetriesOfOneClientIdStoreOneMessage) {
  constexpr int kThreads = 8;
  std::vector<std::shared_ptr<MessageStore>> separate;
  for (int i = 0; i < kThreads; ++i) separate.push_back(backend().open_message_store());
  std::atomic<int> created{0};
  std::atomic<int> errors{0};
  std::atomic<bool> go{false};
  std::vector<std::string> ids(kThreads);
  std::vector<std::thread> pool;
  for (int i = 0; i < kThreads; ++i) {
    pool.emplace_back([&, i] {
      const auto at = static_cast<std::size_t>(i);
      MessageStore& s = separate[at] ? *separate[at] : store();
      while (!go.load()) std::this_thread::yield();
      auto r = s.append(message("m" + std::to_string(i), "c1", "alice", "k1"));
      if (!r) {
        ++errors;
        return;
      }
      if (r->created) ++created;
      ids[at] = r->message.id;
    });
  }
  go = true;
  for (auto& t : pool) t.join();
  separate.clear();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 1u);
  EXPECT_EQ(last_seq("c1"), 1);
}

} // namespace parley::contract

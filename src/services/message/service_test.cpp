// Chat and message services together on real SQLite stores (in memory).
#include "services/message/service.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "adapters/inproc/inproc_event_bus.hpp"
#include "adapters/inproc/inproc_event_log.hpp"
#include "adapters/inproc/memory_presence.hpp"
#include "adapters/sqlite/database.hpp"
#include "adapters/sqlite/sqlite_chat_store.hpp"
#include "adapters/sqlite/sqlite_message_store.hpp"
#include "adapters/sqlite/sqlite_profile_store.hpp"
#include "services/chat/service.hpp"
#include "services/user/service.hpp"

namespace parley {
namespace {

// Attachments are the media service's business, tested there; here nothing was uploaded.
class NoUploads final : public AttachmentCheck {
 public:
  Result<void> check(std::string_view, const std::vector<domain::Attachment>&) override {
    return fail(Error::unprocessable("invalid_attachment", "nothing was uploaded"));
  }
};

class ConversationTest : public ::testing::Test {
 protected:
  ConversationTest()
      : ids_(clock_, 3),
        db_(":memory:"),
        profiles_(db_),
        chat_store_(db_),
        message_store_(db_),
        users_(profiles_, clock_),
        directory_(chat_store_),
        messages_({message_store_, directory_, bus_, log_, no_uploads_, clock_, ids_}),
        chats_(ChatConfig{4}, {chat_store_, users_, messages_, presence_, bus_, log_, clock_, ids_}) {
    for (const char* id : {"ann", "bob", "cat", "dan", "eve"}) EXPECT_TRUE(users_.create_profile({id, id, "", id}));
    bus_.subscribe(
        [this](std::span<const LiveEvent> batch) { events_.insert(events_.end(), batch.begin(), batch.end()); });
  }

  std::string group(std::vector<std::string> members = {"bob", "cat"}) {
    auto g = chats_.create_group("ann", {"Team", "", std::move(members)});
    EXPECT_TRUE(g) << (g ? "" : g.error().code);
    return g ? g->chat.id : "";
  }
  Appended send(std::string_view who, const std::string& chat, std::string client_id, std::string body = "hi") {
    auto r = messages_.send(who, {chat, std::move(client_id), std::move(body), "", {}});
    EXPECT_TRUE(r) << (r ? "" : r.error().code);
    return r ? *r : Appended{};
  }

  ManualClock clock_;
  SnowflakeIdGen ids_;
  SqliteDatabase db_;
  SqliteProfileStore profiles_;
  SqliteChatStore chat_store_;
  SqliteMessageStore message_store_;
  ProfileDirectory users_;
  ChatDirectory directory_;
  InprocEventBus bus_;
  InprocEventLog log_;
  NoUploads no_uploads_;
  MemoryPresence presence_;
  std::vector<LiveEvent> events_;
  MessageService messages_;
  ChatService chats_;
};

} // namespace

TEST_F(ConversationTest, SeqIsGaplessPerChatAndRetriesAreIdempotent) {
  const auto chat = group();
  const auto other = chats_.open_direct("ann", "dan")->first.chat.id;
  EXPECT_EQ(send("ann", chat, "c1").message.seq, 1);
  EXPECT_EQ(send("bob", chat, "c1").message.seq, 2); // same client_id, other sender: a new message
  EXPECT_EQ(send("ann", other, "c1").message.seq, 1);
  const auto retry = send("ann", chat, "c1", "different body");
  EXPECT_FALSE(retry.created);
  EXPECT_EQ(retry.message.seq, 1);
  EXPECT_EQ(retry.message.body, "hi"); // the stored message, not the retried one
  EXPECT_EQ(send("cat", chat, "c9").message.seq, 3);
}

TEST_F(ConversationTest, ChangesArePublishedToTheChatMembersOnce) {
  const auto chat = group();
  events_.clear();
  const auto m = send("bob", chat, "c1").message;
  send("bob", chat, "c1"); // a retry publishes nothing
  ASSERT_TRUE(messages_.edit("bob", chat, m.id, "edited"));
  ASSERT_TRUE(messages_.react("cat", chat, m.id, "👍"));
  ASSERT_TRUE(messages_.mark_read("cat", chat, 1));
  ASSERT_TRUE(messages_.remove("bob", chat, m.id));
  ASSERT_TRUE(messages_.remove("bob", chat, m.id)); // deleting again publishes nothing
  std::vector<std::string> types;
  for (const auto& e : events_) types.push_back(e.type);
  EXPECT_EQ(types,
            (std::vector<std::string>{"message.new", "message.edited", "reaction", "receipt", "message.deleted"}));
  auto recipients = events_[0].recipients;
  std::sort(recipients.begin(), recipients.end());
  EXPECT_EQ(recipients, (std::vector<std::string>{"ann", "bob", "cat"}));
  EXPECT_EQ(events_[3].exclude_user, "cat"); // a reader is not told of their own receipt
  EXPECT_NE(events_[0].payload.find("\"seq\":1"), std::string::npos);
}

TEST_F(ConversationTest, OutsidersSeeNothing) {
  const auto chat = group();
  send("ann", chat, "c1");
  EXPECT_EQ(messages_.send("eve", {chat, "x", "hi", "", {}}).error().code, "chat_not_found");
  EXPECT_EQ(messages_.history("eve", chat, {}).error().code, "chat_not_found");
  EXPECT_EQ(messages_.mark_read("eve", chat, 1).error().code, "chat_not_found");
  EXPECT_EQ(chats_.get("eve", chat).error().code, "chat_not_found");
  EXPECT_EQ(messages_.history("ann", "no-such-chat", {}).error().code, "chat_not_found");
}

TEST_F(ConversationTest, OnlyTheAuthorEditsAndAuthorOrAdminDeletes) {
  const auto chat = group();
  const auto m = send("bob", chat, "c1").message;
  EXPECT_EQ(messages_.edit("cat", chat, m.id, "hacked").error().code, "not_author");
  clock_.advance_ms(1000);
  const auto edited = messages_.edit("bob", chat, m.id, "fixed");
  ASSERT_TRUE(edited);
  EXPECT_EQ(edited->body, "fixed");
  EXPECT_GT(edited->edited_at_ms, 0);
  EXPECT_EQ(messages_.remove("cat", chat, m.id).error().code, "not_author");
  const auto gone = messages_.remove("ann", chat, m.id); // ann owns the group
  ASSERT_TRUE(gone);
  EXPECT_TRUE(gone->deleted);
  EXPECT_EQ(gone->body, "");
  EXPECT_EQ(messages_.edit("bob", chat, m.id, "again").error().code, "message_not_found");
  const auto direct = chats_.open_direct("ann", "bob")->first.chat.id;
  const auto dm = send("bob", direct, "d1").message;
  EXPECT_EQ(messages_.remove("ann", direct, dm.id).error().code, "not_author");
}

TEST_F(ConversationTest, UnreadCountsOthersMessagesAfterMyReadCursor) {
  const auto chat = group();
  send("ann", chat, "a1");
  send("bob", chat, "b1");
  send("bob", chat, "b2");
  send("cat", chat, "c1");
  EXPECT_EQ(messages_.digest(chat, "ann")->unread_count, 3); // ann's own message is read
  ASSERT_TRUE(messages_.mark_read("ann", chat, 3));
  EXPECT_EQ(messages_.digest(chat, "ann")->unread_count, 1);
  EXPECT_EQ(messages_.mark_read("ann", chat, 2)->read_seq, 3); // cursors never move back
  EXPECT_EQ(messages_.mark_read("ann", chat, 99).error().code, "invalid_seq");
  EXPECT_EQ(messages_.digest(chat, "bob")->unread_count, 1); // bob saw up to his own b2; cat's c1 is new
}

TEST_F(ConversationTest, RepliesAndMentionsMustStayInTheChat) {
  const auto chat = group();
  const auto elsewhere = chats_.open_direct("ann", "dan")->first.chat.id;
  const auto outside = send("ann", elsewhere, "o1").message;
  EXPECT_EQ(messages_.send("ann", {chat, "r1", "re", outside.id, {}}).error().code, "invalid_reply_to");
  EXPECT_EQ(messages_.send("ann", {chat, "m1", "@dan", "", {"dan"}}).error().code, "invalid_mentions");
  const auto first = send("bob", chat, "b1").message;
  const auto reply = messages_.send("ann", {chat, "r2", "@bob yes", first.id, {"bob", "bob"}});
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->message.reply_to, first.id);
  EXPECT_EQ(reply->message.mentions, std::vector<std::string>{"bob"});
}

TEST_F(ConversationTest, BadInputIsRefusedBeforeAnythingIsStored) {
  const auto chat = group();
  EXPECT_EQ(messages_.send("ann", {chat, "", "hi", "", {}}).error().code, "invalid_client_id");
  EXPECT_EQ(messages_.send("ann", {chat, "c1", "", "", {}}).error().code, "invalid_body");
  EXPECT_EQ(messages_.send("ann", {chat, "c1", std::string(16385, 'x'), "", {}}).error().code, "invalid_body");
  EXPECT_EQ(messages_.send("ann", {chat, "c1", "\xff", "", {}}).error().code, "invalid_body");
  EXPECT_EQ(send("ann", chat, "c1").message.seq, 1); // nothing consumed a seq
}

TEST_F(ConversationTest, DirectChatsAreOnePerPair) {
  const auto a = chats_.open_direct("ann", "bob");
  const auto b = chats_.open_direct("bob", "ann");
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(a->second);
  EXPECT_FALSE(b->second);
  EXPECT_EQ(a->first.chat.id, b->first.chat.id);
  EXPECT_EQ(chats_.open_direct("ann", "ann").error().code, "invalid_member");
  EXPECT_EQ(chats_.open_direct("ann", "nobody").error().code, "user_not_found");
}

TEST_F(ConversationTest, GroupRolesDecideWhoManagesMembers) {
  const auto chat = group({"bob", "cat"});
  EXPECT_EQ(chats_.add_member("bob", chat, "dan").error().code, "not_allowed");
  EXPECT_TRUE(chats_.set_role("ann", chat, "bob", domain::Role::admin));
  EXPECT_TRUE(chats_.add_member("bob", chat, "dan"));
  EXPECT_EQ(chats_.add_member("ann", chat, "eve").error().code, "too_many_members"); // limit 4
  EXPECT_EQ(chats_.remove_member("cat", chat, "dan").error().code, "not_allowed");
  EXPECT_EQ(chats_.remove_member("bob", chat, "ann").error().code, "not_allowed"); // nobody removes the owner
  EXPECT_EQ(chats_.set_role("bob", chat, "cat", domain::Role::admin).error().code, "not_allowed");
  EXPECT_TRUE(chats_.remove_member("bob", chat, "dan"));
  EXPECT_TRUE(chats_.remove_member("cat", chat, "cat")); // leaving
  EXPECT_EQ(chats_.get("cat", chat).error().code, "chat_not_found");
  EXPECT_EQ(chats_.remove_member("ann", chat, "ann").error().code, "owner_must_transfer");
  ASSERT_TRUE(chats_.transfer_ownership("ann", chat, "bob"));
  EXPECT_TRUE(chats_.remove_member("ann", chat, "ann"));
  const auto after = chats_.get("bob", chat);
  ASSERT_TRUE(after);
  ASSERT_EQ(after->members.size(), 1u);
  EXPECT_EQ(after->members[0].role, domain::Role::owner);
}

TEST_F(ConversationTest, ChatListIsOrderedByActivityWithDigests) {
  const auto first = group();
  clock_.advance_ms(10);
  const auto second = chats_.open_direct("ann", "bob")->first.chat.id;
  clock_.advance_ms(10);
  send("bob", first, "b1", "latest");
  const auto page = chats_.list("ann", std::nullopt, 1);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].chat.id, first);
  EXPECT_EQ(page->items[0].digest.last_message->body, "latest");
  EXPECT_EQ(page->items[0].digest.unread_count, 1);
  ASSERT_TRUE(page->next);
  const auto rest = chats_.list("ann", page->next, 10);
  ASSERT_EQ(rest->items.size(), 1u);
  EXPECT_EQ(rest->items[0].chat.id, second);
  EXPECT_FALSE(rest->next);
  EXPECT_EQ(rest->items[0].member_ids.size(), 2u);
}

} // namespace parley

namespace parley {
namespace {

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

} // namespace

TEST_F(ConversationTest, EveryChatChangeReachesTheMembersAndTheRemovedUser) {
  const auto chat = group({"bob"});
  ASSERT_TRUE(chats_.add_member("ann", chat, "cat"));
  ASSERT_TRUE(chats_.update_group("ann", chat, std::string("Renamed"), std::nullopt));
  ASSERT_TRUE(chats_.set_role("ann", chat, "bob", domain::Role::admin));
  ASSERT_TRUE(chats_.remove_member("bob", chat, "cat"));  // an admin removes cat
  ASSERT_TRUE(chats_.remove_member("bob", chat, "bob"));  // bob leaves
  ASSERT_FALSE(chats_.remove_member("ann", chat, "eve")); // refused: nothing published
  std::vector<std::string> changes;
  for (const auto& e : events_) {
    ASSERT_EQ(e.type, "chat.updated");
    ASSERT_EQ(e.chat_id, chat);
    const auto at = e.payload.find("\"change\":\"");
    changes.push_back(e.payload.substr(at + 10, e.payload.find('"', at + 10) - at - 10));
  }
  EXPECT_EQ(changes, (std::vector<std::string>{"created", "member_added", "updated", "role_changed", "member_removed",
                                               "member_removed", "member_left", "member_left"}));
  EXPECT_EQ(sorted(events_[1].recipients), (std::vector<std::string>{"ann", "bob", "cat"})); // the new member too
  // A removal goes to the removed user alone without the chat, then to those who remain.
  EXPECT_EQ(events_[4].recipients, std::vector<std::string>{"cat"});
  EXPECT_NE(events_[4].payload.find("\"chat\":null"), std::string::npos);
  EXPECT_EQ(sorted(events_[5].recipients), (std::vector<std::string>{"ann", "bob"}));
  EXPECT_NE(events_[5].payload.find("\"name\":\"Renamed\""), std::string::npos);
  EXPECT_NE(events_[5].payload.find("\"user_id\":\"cat\""), std::string::npos);
  EXPECT_EQ(events_[6].recipients, std::vector<std::string>{"bob"});
  EXPECT_EQ(events_[7].recipients, std::vector<std::string>{"ann"});
}

TEST_F(ConversationTest, ReopeningADirectChatAnnouncesNothing) {
  ASSERT_TRUE(chats_.open_direct("ann", "bob"));
  ASSERT_TRUE(chats_.open_direct("bob", "ann"));
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(sorted(events_[0].recipients), (std::vector<std::string>{"ann", "bob"}));
}

TEST_F(ConversationTest, ChatsShowTheirMembersPresence) {
  const auto direct = chats_.open_direct("ann", "bob")->first.chat.id;
  clock_.advance_ms(5000);
  ASSERT_TRUE(*presence_.connected("bob", clock_.now_ms()));
  auto list = chats_.list("ann", std::nullopt, 10);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->items.size(), 1u);
  EXPECT_EQ(list->items[0].partner_id, "bob");
  EXPECT_TRUE(list->items[0].partner.online);
  ASSERT_TRUE(*presence_.disconnected("bob", clock_.now_ms() + 1000));
  auto view = chats_.get("ann", direct);
  ASSERT_TRUE(view);
  ASSERT_EQ(view->members.size(), view->presence.size());
  for (std::size_t i = 0; i < view->members.size(); ++i) {
    EXPECT_FALSE(view->presence[i].online);
    EXPECT_EQ(view->presence[i].last_seen_ms, view->members[i].user_id == "bob" ? clock_.now_ms() + 1000 : 0);
  }
}

} // namespace parley

// The notification service on real SQLite stores, driven by the events the real chat and
// message services emit.
#include "services/notification/service.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>

#include "adapters/inproc/inproc_event_bus.hpp"
#include "adapters/inproc/inproc_event_log.hpp"
#include "adapters/inproc/memory_presence.hpp"
#include "adapters/sqlite/database.hpp"
#include "adapters/sqlite/sqlite_chat_store.hpp"
#include "adapters/sqlite/sqlite_message_store.hpp"
#include "adapters/sqlite/sqlite_notification_store.hpp"
#include "adapters/sqlite/sqlite_profile_store.hpp"
#include "services/chat/service.hpp"
#include "services/message/service.hpp"
#include "services/user/service.hpp"

namespace parley {
namespace {

using namespace std::chrono_literals;

// The event log as the services see it, recorded so a test decides when (and how often)
// the consumer sees each event.
class RecordingLog final : public EventLog {
 public:
  void append(DomainEvent event) override { events.push_back(std::move(event)); }
  Result<void> append_durably(DomainEvent event) override {
    append(std::move(event));
    return {};
  }
  void subscribe(std::string, Handler) override {}
  std::vector<DomainEvent> events;
};

// Addresses for the digest; everyone is verified except "eve".
class Addresses final : public EmailDirectory {
 public:
  Result<std::optional<std::string>> email_of(std::string_view user_id) override {
    if (user_id == "eve") return std::optional<std::string>{};
    return std::optional<std::string>{std::string(user_id) + "@example.com"};
  }
};

class RecordingMailer final : public Mailer {
 public:
  Result<void> send(const Mail& mail) override {
    sent.push_back(mail);
    return {};
  }
  std::vector<Mail> sent;
};

// Attachments are the media service's business, tested there; here nothing was uploaded.
class NoUploads final : public AttachmentCheck {
 public:
  Result<void> check(std::string_view, const std::vector<domain::Attachment>&) override {
    return fail(Error::unprocessable("invalid_attachment", "nothing was uploaded"));
  }
};

class NotificationTest : public ::testing::Test {
 protected:
  NotificationTest()
      : ids_(clock_, 1),
        db_(":memory:"),
        profiles_(db_),
        chat_store_(db_),
        message_store_(db_),
        notification_store_(db_),
        users_(profiles_, clock_),
        directory_(chat_store_),
        messages_({message_store_, directory_, bus_, log_, no_uploads_, clock_, ids_}),
        chats_(ChatConfig{100}, {chat_store_, users_, messages_, presence_, bus_, log_, clock_, ids_}),
        notifications_(NotificationConfig{10s, true, 60s}, {notification_store_, messages_, directory_, presence_, bus_,
                                                            addresses_, mailer_, clock_, ids_}) {
    for (const char* id : {"ann", "bob", "cat", "dan", "eve"}) EXPECT_TRUE(users_.create_profile({id, id, "", id}));
    bus_.subscribe([this](std::span<const LiveEvent> batch) {
      for (const auto& e : batch)
        if (e.type == "notification") pushed_.push_back(e);
    });
  }

  // Hands every recorded event to the consumer `times` times (a redelivery): in one batch, as
  // a consumer that fell behind gets them, then one at a time.
  void deliver(int times = 1) {
    for (int i = 0; i < times; ++i) {
      if (i == 0) {
        ASSERT_TRUE(notifications_.handle(log_.events));
        continue;
      }
      for (const auto& e : log_.events) ASSERT_TRUE(notifications_.handle(std::span(&e, 1))) << e.type;
    }
    log_.events.clear();
  }

  std::string group(std::vector<std::string> members = {"bob", "cat"}) {
    auto g = chats_.create_group("ann", {"Team", "", std::move(members)});
    EXPECT_TRUE(g);
    return g ? g->chat.id : "";
  }

  Message send(std::string_view who, const std::string& chat, const std::string& body,
               std::vector<std::string> mentions = {}) {
    auto r = messages_.send(who, {chat, "c" + std::to_string(++sent_), body, "", std::move(mentions)});
    EXPECT_TRUE(r) << (r ? "" : r.error().code);
    return r ? r->message : Message{};
  }

  std::vector<Notification> of(std::string_view user) {
    auto page = notifications_.list(user, std::nullopt, 100);
    EXPECT_TRUE(page);
    return page ? page->items : std::vector<Notification>{};
  }

  void run_checks() { ASSERT_TRUE(notifications_.run_due_checks()); }

  ManualClock clock_;
  SnowflakeIdGen ids_;
  SqliteDatabase db_;
  SqliteProfileStore profiles_;
  SqliteChatStore chat_store_;
  SqliteMessageStore message_store_;
  SqliteNotificationStore notification_store_;
  ProfileDirectory users_;
  ChatDirectory directory_;
  InprocEventBus bus_;
  RecordingLog log_;
  NoUploads no_uploads_;
  MemoryPresence presence_;
  Addresses addresses_;
  RecordingMailer mailer_;
  MessageService messages_;
  ChatService chats_;
  NotificationService notifications_;
  std::vector<LiveEvent> pushed_;
  int sent_ = 0;
};

TEST_F(NotificationTest, AnOfflineMemberGetsOneCollapsedNotificationPerChat) {
  const auto chat = group();
  deliver();
  for (const char* body : {"one", "two", "three"}) send("ann", chat, body);
  deliver(2); // every event twice: a redelivery changes nothing
  run_checks();
  run_checks();
  const auto bobs = of("bob");
  ASSERT_EQ(bobs.size(), 2u); // added to the group, and the messages
  EXPECT_EQ(bobs[0].kind, "message");
  EXPECT_EQ(bobs[0].count, 3);
  EXPECT_EQ(bobs[0].seq, 3);
  EXPECT_EQ(bobs[0].preview, "three");
  EXPECT_EQ(bobs[0].actor_id, "ann");
  EXPECT_EQ(bobs[1].kind, "member_added");
  EXPECT_TRUE(std::none_of(of("ann").begin(), of("ann").end(),
                           [](const Notification& n) { return n.kind == "message"; })); // not for one's own messages
  EXPECT_EQ(*notifications_.unread_count("bob"), 2);
}

TEST_F(NotificationTest, AnOnlineMemberIsNotifiedOnlyIfTheMessageStaysUnread) {
  const auto chat = group();
  ASSERT_TRUE(*presence_.connected("bob", clock_.now_ms()));
  ASSERT_TRUE(*presence_.connected("cat", clock_.now_ms()));
  deliver();
  const auto m = send("ann", chat, "are you there?");
  deliver();
  run_checks();
  EXPECT_EQ(of("bob").size(), 1u);                      // only the group invitation so far
  ASSERT_TRUE(messages_.mark_read("cat", chat, m.seq)); // cat reads it in time
  deliver();
  clock_.advance_ms(10'000);
  run_checks();
  const auto bobs = of("bob");
  ASSERT_EQ(bobs.size(), 2u);
  EXPECT_EQ(bobs[0].kind, "message");
  EXPECT_EQ(of("cat").size(), 1u);
}

TEST_F(NotificationTest, AMentionNotifiesAtOnceAndOnce) {
  const auto chat = group();
  deliver();
  send("ann", chat, "@bob look", {"bob"});
  deliver(3);
  const auto bobs = of("bob");
  ASSERT_EQ(bobs.size(), 2u);
  EXPECT_EQ(bobs[0].kind, "mention");
  EXPECT_EQ(bobs[0].preview, "@bob look");
  run_checks();
  EXPECT_EQ(of("bob").size(), 2u); // no "message" notification on top of the mention
  EXPECT_EQ(of("cat").size(), 2u); // cat was not mentioned: a message notification
}

TEST_F(NotificationTest, OneCheckCountsWhatStayedUnreadAndNothingForAFormerMember) {
  const auto chat = group(); // ann (owner), bob and cat, all offline
  deliver();
  send("ann", chat, "one");
  send("ann", chat, "two");
  deliver(); // two messages, one pending check each for bob and cat
  ASSERT_TRUE(chats_.remove_member("ann", chat, "cat"));
  send("ann", chat, "three, after cat left");
  deliver();
  run_checks();
  const auto bobs = of("bob");
  ASSERT_FALSE(bobs.empty());
  EXPECT_EQ(bobs[0].kind, "message");
  EXPECT_EQ(bobs[0].count, 3);
  EXPECT_EQ(bobs[0].preview, "three, after cat left");
  for (const auto& n : of("cat")) EXPECT_NE(n.kind, "message") << n.preview; // nothing of the chat any more
}

TEST_F(NotificationTest, MembershipChangesNotifyTheirSubjectNotTheActor) {
  const auto chat = group({"bob"});
  ASSERT_TRUE(chats_.add_member("ann", chat, "cat"));
  ASSERT_TRUE(chats_.transfer_ownership("ann", chat, "bob"));
  ASSERT_TRUE(chats_.remove_member("bob", chat, "cat"));
  ASSERT_TRUE(chats_.remove_member("ann", chat, "ann")); // ann leaves: nobody is told
  ASSERT_TRUE(chats_.open_direct("dan", "eve"));         // 1:1 chats invite nobody
  deliver(2);
  std::vector<std::string> kinds;
  for (const auto& n : of("bob")) kinds.push_back(n.kind);
  EXPECT_EQ(kinds, (std::vector<std::string>{"owner_changed", "member_added"}));
  kinds.clear();
  for (const auto& n : of("cat")) kinds.push_back(n.kind);
  EXPECT_EQ(kinds, (std::vector<std::string>{"member_removed", "member_added"}));
  EXPECT_TRUE(of("ann").empty());
  EXPECT_TRUE(of("eve").empty());
}

TEST_F(NotificationTest, ReadingTheChatReadsItsNotifications) {
  const auto chat = group();
  deliver();
  send("ann", chat, "one");
  const auto two = send("ann", chat, "two", {"bob"});
  deliver();
  run_checks();
  EXPECT_EQ(*notifications_.unread_count("bob"), 3); // invitation, message one, mention in two
  ASSERT_TRUE(messages_.mark_read("bob", chat, two.seq));
  deliver();
  EXPECT_EQ(*notifications_.unread_count("bob"), 1); // the invitation is not about a message
}

TEST_F(NotificationTest, SendingReadsTheSendersNotificationsOfTheChat) {
  const auto chat = group();
  deliver();
  send("ann", chat, "one");
  deliver();
  run_checks();
  EXPECT_EQ(*notifications_.unread_count("bob"), 2); // invitation, message one
  send("bob", chat, "answer");                       // bob has read the chat up to his answer
  deliver(2);
  run_checks();
  const auto bobs = of("bob");
  ASSERT_EQ(bobs.size(), 2u);
  EXPECT_EQ(bobs[0].kind, "message");
  EXPECT_GT(bobs[0].read_at_ms, 0);
  EXPECT_EQ(*notifications_.unread_count("bob"), 1); // the invitation is not about a message
}

TEST_F(NotificationTest, MarkingIsPerUser) {
  const auto chat = group();
  deliver();
  const auto bobs = of("bob");
  ASSERT_EQ(bobs.size(), 1u);
  EXPECT_EQ(notifications_.mark_read("cat", bobs[0].id).error().code, "notification_not_found");
  EXPECT_TRUE(notifications_.mark_read("bob", bobs[0].id));
  EXPECT_EQ(*notifications_.unread_count("bob"), 0);
  EXPECT_EQ(*notifications_.unread_count("cat"), 1);
  EXPECT_EQ(*notifications_.mark_all_read("cat"), 1);
  EXPECT_EQ(*notifications_.mark_all_read("cat"), 0);
  (void)chat;
}

TEST_F(NotificationTest, NewNotificationsArePushedLiveToTheirUserOnly) {
  const auto chat = group();
  deliver();
  send("ann", chat, "hi");
  deliver();
  run_checks();
  std::vector<std::string> to;
  for (const auto& e : pushed_) {
    ASSERT_EQ(e.recipients.size(), 1u);
    to.push_back(e.recipients[0]);
  }
  std::sort(to.begin(), to.end());
  EXPECT_EQ(to, (std::vector<std::string>{"bob", "bob", "cat", "cat"}));
  EXPECT_NE(pushed_.back().payload.find("\"kind\":\"message\""), std::string::npos);
}

TEST_F(NotificationTest, TheDigestMailsOfflineUsersWhatStayedUnreadOnce) {
  group({"bob", "cat", "eve"});
  deliver();
  ASSERT_TRUE(*presence_.connected("cat", clock_.now_ms()));
  EXPECT_EQ(*notifications_.send_digests(), 0); // too recent
  clock_.advance_ms(61'000);
  EXPECT_EQ(*notifications_.send_digests(), 1); // bob; cat is online, eve has no address
  ASSERT_EQ(mailer_.sent.size(), 1u);
  EXPECT_EQ(mailer_.sent[0].to, "bob@example.com");
  EXPECT_NE(mailer_.sent[0].text.find("member_added"), std::string::npos);
  EXPECT_EQ(*notifications_.send_digests(), 0);
}

TEST_F(NotificationTest, MalformedEventsAreSkippedNotRetried) {
  const std::vector<DomainEvent> bad{{"e1", "message.created", "c", "not json"},
                                     {"e2", "message.created", "c", "{}"},
                                     {"e3", "chat.updated", "c", "[1]"},
                                     {"e4", "something.else", "c", "{}"}};
  for (const auto& e : bad) EXPECT_TRUE(notifications_.handle(std::span(&e, 1))) << e.id;
  EXPECT_TRUE(notifications_.handle(bad));
}

// The send path never waits for the consumer: with the notification consumer stalled, a
// send is stored and acknowledged; the notification follows once the consumer resumes.
TEST(NotificationPipeline, ASendIsAcknowledgedWhileTheConsumerIsStalled) {
  ManualClock clock;
  SnowflakeIdGen ids(clock, 2);
  SqliteDatabase db(":memory:");
  SqliteProfileStore profiles(db);
  SqliteChatStore chat_store(db);
  SqliteMessageStore message_store(db);
  SqliteNotificationStore notification_store(db);
  ProfileDirectory users(profiles, clock);
  ChatDirectory directory(chat_store);
  InprocEventBus bus;
  InprocEventLog log;
  MemoryPresence presence;
  Addresses addresses;
  RecordingMailer mailer;
  NoUploads no_uploads;
  MessageService messages({message_store, directory, bus, log, no_uploads, clock, ids});
  ChatService chats(ChatConfig{10}, {chat_store, users, messages, presence, bus, log, clock, ids});
  NotificationService notifications(
      NotificationConfig{}, {notification_store, messages, directory, presence, bus, addresses, mailer, clock, ids});
  std::promise<void> resume;
  auto resumed = resume.get_future().share();
  std::atomic<int> handled{0};
  log.subscribe("notifications", [&](std::span<const DomainEvent> batch) {
    resumed.wait(); // stalled until the test resumes it
    auto r = notifications.handle(batch);
    handled += static_cast<int>(batch.size());
    return r;
  });
  for (const char* id : {"ann", "bob"}) ASSERT_TRUE(users.create_profile({id, id, "", id}));
  auto chat = chats.open_direct("ann", "bob");
  ASSERT_TRUE(chat);
  auto sent = messages.send("ann", {chat->first.chat.id, "k1", "hello", "", {}});
  ASSERT_TRUE(sent); // stored and acknowledged while the consumer is stalled
  EXPECT_EQ(sent->message.seq, 1);
  EXPECT_EQ(handled.load(), 0);
  resume.set_value();
  for (int i = 0; i < 1000 && handled.load() < 2; ++i) std::this_thread::sleep_for(5ms);
  ASSERT_EQ(handled.load(), 2); // chat.updated (created) and message.created
  ASSERT_TRUE(notifications.run_due_checks());
  auto page = notifications.list("bob", std::nullopt, 10);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].preview, "hello");
}

} // namespace
} // namespace parley

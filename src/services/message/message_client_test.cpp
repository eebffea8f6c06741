// The distributed send path and the WebSocket nodes' client of the message service: commands
// on a real (in-process) event log, the internal API over a real HTTP server, SQLite stores.
#include "services/message/message_client.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <boost/json.hpp>

#include "adapters/inproc/inproc_event_bus.hpp"
#include "adapters/inproc/inproc_event_log.hpp"
#include "adapters/inproc/memory_presence.hpp"
#include "adapters/sqlite/database.hpp"
#include "adapters/sqlite/sqlite_chat_store.hpp"
#include "adapters/sqlite/sqlite_message_store.hpp"
#include "adapters/sqlite/sqlite_profile_store.hpp"
#include "services/chat/service.hpp"
#include "services/message/commands.hpp"
#include "services/message/messaging_routes.hpp"
#include "services/message/service.hpp"
#include "services/user/service.hpp"
#include "transport/http/server.hpp"

namespace parley {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class NoUploads final : public AttachmentCheck {
 public:
  Result<void> check(std::string_view, const std::vector<domain::Attachment>&) override {
    return fail(Error::unprocessable("invalid_attachment", "nothing was uploaded"));
  }
};

class MessageClientTest : public ::testing::Test {
 protected:
  MessageClientTest()
      : ids_(clock_, 5),
        db_(":memory:"),
        profiles_(db_),
        chat_store_(db_),
        message_store_(db_),
        users_(profiles_, clock_),
        directory_(chat_store_),
        messages_({message_store_, directory_, bus_, log_, no_uploads_, clock_, ids_}),
        chats_(ChatConfig{10}, {chat_store_, users_, messages_, presence_, bus_, log_, clock_, ids_}) {}

  void SetUp() override {
    for (const char* id : {"ann", "bob", "eve"}) ASSERT_TRUE(users_.create_profile({id, id, "", id}));
    chat_ = chats_.create_group("ann", {"Team", "", {"bob"}})->chat.id;
    bus_.subscribe([this](std::span<const LiveEvent> batch) {
      std::lock_guard lock(mutex_);
      events_.insert(events_.end(), batch.begin(), batch.end());
      changed_.notify_all();
    });
    log_.subscribe("recorder", [this](std::span<const DomainEvent> batch) -> Result<void> {
      std::lock_guard lock(mutex_);
      created_ += static_cast<int>(
          std::count_if(batch.begin(), batch.end(), [](const auto& e) { return e.type == "message.created"; }));
      changed_.notify_all();
      return {};
    });
    commands_.subscribe("message-commands", SendCommandHandler(messages_, bus_));
    mount_messaging_routes(router_, messages_, "service-secret");
    http::ServerConfig config;
    config.port = 0;
    config.io_threads = 1;
    config.handler_threads = 2;
    server_ = std::make_unique<http::Server>(config, router_, metrics_);
    runner_ = std::thread([this] { server_->run(); });
    while (!server_->ready()) std::this_thread::sleep_for(5ms);
    remote_ = std::make_unique<ServiceClient>(
        "message", std::vector<std::string>{"http://127.0.0.1:" + std::to_string(server_->port())}, "service-secret",
        http_);
    client_ = std::make_unique<MessageClient>(MessageClient::Ports{*remote_, commands_, directory_, ids_});
  }
  void TearDown() override {
    commands_.close();
    log_.close();
    server_->stop();
    runner_.join();
  }

  // The first live event of `type` (waits up to 5 s).
  std::optional<LiveEvent> wait_for(std::string_view type, std::size_t nth = 0) {
    std::unique_lock lock(mutex_);
    std::optional<LiveEvent> found;
    changed_.wait_for(lock, 5s, [&] {
      std::size_t seen = 0;
      for (const auto& e : events_)
        if (e.type == type && seen++ == nth) found = e;
      return found.has_value();
    });
    return found;
  }
  // Whether `n` message.created events were recorded (waits up to 5 s).
  bool eventually_created(int n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 5s, [&] { return created_ >= n; });
  }
  std::vector<Message> stored() { return *messages_.history("ann", chat_, {0, 0, 100}); }

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
  InprocEventLog commands_;
  NoUploads no_uploads_;
  MemoryPresence presence_;
  MessageService messages_;
  ChatService chats_;
  HttpClient http_;
  http::Router router_;
  http::HttpMetrics metrics_;
  std::unique_ptr<http::Server> server_;
  std::thread runner_;
  std::unique_ptr<ServiceClient> remote_;
  std::unique_ptr<MessageClient> client_;
  std::string chat_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<LiveEvent> events_;
  int created_ = 0;
};

} // namespace

TEST_F(MessageClientTest, ASendCommandRoundTrips) {
  SendInput in{"c1", "k1", "hello \"you\"", "m0", {"bob", "eve"}, {{"f/1", "a.png", "image/png", 10, 4, 3}}};
  auto parsed = parse_send_command(send_command("e1", "ann", in));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->first, "ann");
  const auto& out = parsed->second;
  EXPECT_EQ(out.chat_id, "c1");
  EXPECT_EQ(out.client_id, "k1");
  EXPECT_EQ(out.body, in.body);
  EXPECT_EQ(out.reply_to, "m0");
  EXPECT_EQ(out.mentions, in.mentions);
  ASSERT_EQ(out.attachments.size(), 1u);
  EXPECT_EQ(out.attachments[0].key, "f/1");
  EXPECT_EQ(out.attachments[0].height, 3);
}

TEST_F(MessageClientTest, MalformedCommandsAreRefused) {
  for (const char* payload : {"", "[]", "{}", R"({"sender_id":"ann","chat_id":"c","client_id":"k","body":1})",
                              R"({"sender_id":"ann","chat_id":"c","client_id":"k","body":"b","reply_to":"",
                                  "mentions":[1],"attachments":[]})"})
    EXPECT_FALSE(parse_send_command({"e", std::string(kSendCommand), "c", payload})) << payload;
  auto other_type = send_command("e", "ann", {"c", "k", "b", "", {}, {}});
  other_type.type = "message.created";
  EXPECT_FALSE(parse_send_command(other_type));
}

TEST_F(MessageClientTest, AQueuedSendIsStoredOnceAndPublished) {
  auto queued = client_->submit("ann", {chat_, "k1", "hello", "", {}, {}});
  ASSERT_TRUE(queued) << queued.error().code;
  EXPECT_FALSE(queued->has_value());
  auto created = wait_for("message.new");
  ASSERT_TRUE(created);
  const auto data = json::parse(created->payload).as_object();
  EXPECT_EQ(data.at("client_id").as_string(), "k1");
  EXPECT_EQ(data.at("seq").as_int64(), 1);
  // A redelivered (or retried) command stores nothing new; its sender hears it was stored.
  commands_.append(send_command(ids_.next(), "ann", {chat_, "k1", "hello", "", {}, {}}));
  auto again = wait_for(kSendStored);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->recipients, std::vector<std::string>{"ann"});
  EXPECT_EQ(json::parse(again->payload).as_object().at("seq").as_int64(), 1);
  // ...and message.created is recorded again for the consumers (idempotent) of domain events.
  EXPECT_TRUE(eventually_created(2));
  ASSERT_TRUE(client_->submit("ann", {chat_, "k2", "again", "", {}, {}}));
  ASSERT_TRUE(wait_for("message.new", 1));
  std::this_thread::sleep_for(100ms);
  const auto all = stored();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].client_id, "k1");
  EXPECT_EQ(all[1].client_id, "k2");
  EXPECT_EQ(all[1].seq, 2);
}

TEST_F(MessageClientTest, AQueuedRestSendAnswersOnceStored) {
  QueuedSends sends(messages_, commands_, ids_);
  auto first = sends.send("ann", {chat_, "k1", "hello", "", {}, {}});
  ASSERT_TRUE(first) << first.error().code;
  EXPECT_TRUE(first->created);
  EXPECT_EQ(first->message.seq, 1);
  auto again = sends.send("ann", {chat_, "k1", "hello", "", {}, {}});
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->message.id, first->message.id);
  auto outsider = sends.send("eve", {chat_, "k2", "hi", "", {}, {}});
  ASSERT_FALSE(outsider);
  EXPECT_EQ(outsider.error().code, "chat_not_found");
  auto bad_reply = sends.send("ann", {chat_, "k3", "re", "no-such-message", {}, {}});
  ASSERT_FALSE(bad_reply);
  EXPECT_EQ(bad_reply.error().code, "invalid_reply_to");
  EXPECT_EQ(stored().size(), 1u);
}

TEST_F(MessageClientTest, AQueuedRestSendNobodyStoresIsPendingNotLost) {
  InprocEventLog unconsumed;
  QueuedSends sends(messages_, unconsumed, ids_, 50ms);
  auto pending = sends.send("ann", {chat_, "k1", "hello", "", {}, {}});
  ASSERT_FALSE(pending);
  EXPECT_EQ(pending.error().kind, ErrorKind::unavailable);
  EXPECT_EQ(pending.error().code, "send_pending");
}

TEST_F(MessageClientTest, ANonMemberOrABadSendIsRefusedBeforeQueueing) {
  auto outsider = client_->submit("eve", {chat_, "k1", "hi", "", {}, {}});
  ASSERT_FALSE(outsider);
  EXPECT_EQ(outsider.error().code, "chat_not_found");
  auto empty = client_->submit("ann", {chat_, "k1", "", "", {}, {}});
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, "invalid_body");
  std::this_thread::sleep_for(100ms);
  EXPECT_TRUE(stored().empty());
}

TEST_F(MessageClientTest, ASendThatCannotBeStoredIsRejectedToTheSender) {
  ASSERT_TRUE(client_->submit("ann", {chat_, "k1", "re", "no-such-message", {}, {}}));
  auto rejected = wait_for(kSendRejected);
  ASSERT_TRUE(rejected);
  EXPECT_EQ(rejected->recipients, std::vector<std::string>{"ann"});
  const auto data = json::parse(rejected->payload).as_object();
  EXPECT_EQ(data.at("client_id").as_string(), "k1");
  EXPECT_EQ(data.at("code").as_string(), "invalid_reply_to");
  EXPECT_TRUE(stored().empty());
}

TEST_F(MessageClientTest, EverythingElseGoesThroughTheInternalApi) {
  const auto m = messages_.send("ann", {chat_, "k1", "first", "", {}, {}})->message;
  auto edited = client_->edit("ann", chat_, m.id, "changed");
  ASSERT_TRUE(edited) << edited.error().code;
  EXPECT_EQ(edited->body, "changed");
  EXPECT_GT(edited->edited_at_ms, 0);
  auto history = client_->history("bob", chat_, {0, 0, 10});
  ASSERT_TRUE(history);
  ASSERT_EQ(history->size(), 1u);
  EXPECT_EQ((*history)[0].client_id, "k1");
  EXPECT_EQ((*history)[0].sender_id, "ann");
  auto cursor = client_->mark_read("bob", chat_, 1);
  ASSERT_TRUE(cursor);
  EXPECT_EQ(cursor->read_seq, 1);
  EXPECT_EQ(client_->mark_delivered("bob", chat_, 1)->delivered_seq, 1);
  EXPECT_TRUE(client_->react("bob", chat_, m.id, "👍"));
  EXPECT_EQ((*messages_.reactions(*history))[0].emoji, "👍");
  EXPECT_TRUE(client_->unreact("bob", chat_, m.id));
  auto removed = client_->remove("ann", chat_, m.id);
  ASSERT_TRUE(removed);
  EXPECT_TRUE(removed->deleted);
}

TEST_F(MessageClientTest, TheServicesErrorsPassThrough) {
  const auto m = messages_.send("ann", {chat_, "k1", "first", "", {}, {}})->message;
  auto not_author = client_->edit("bob", chat_, m.id, "mine now");
  ASSERT_FALSE(not_author);
  EXPECT_EQ(not_author.error().kind, ErrorKind::forbidden);
  EXPECT_EQ(not_author.error().code, "not_author");
  auto outsider = client_->history("eve", chat_, {0, 0, 10});
  ASSERT_FALSE(outsider);
  EXPECT_EQ(outsider.error().code, "chat_not_found");
}

TEST_F(MessageClientTest, TheInternalApiNeedsTheServiceToken) {
  ServiceClient stranger("message", {"http://127.0.0.1:" + std::to_string(server_->port())}, "guess", http_);
  auto reply =
      stranger.call("POST", "/internal/v1/messaging/history", json::object{{"user_id", "ann"}, {"chat_id", chat_}});
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().kind, ErrorKind::unauthenticated);
  EXPECT_EQ(reply.error().code, "invalid_service_token");
}

} // namespace parley

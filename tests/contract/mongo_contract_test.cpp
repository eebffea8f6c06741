// The store contracts instantiated for MongoDB (PARLEY_TEST_MONGO_URL, e.g. FerretDB or
// mongod on loopback; unset: skipped), plus what is particular to the Mongo adapters:
// client values never act as query operators, and a server that cannot be reached is
// `unavailable`. Each test gets fresh databases with unique names, dropped at teardown;
// the open_*_store() stores use their own client pool, as another process would.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>

#include "account_store_contract.hpp"
#include "adapters/mongo/mongo_account_store.hpp"
#include "adapters/mongo/mongo_chat_store.hpp"
#include "adapters/mongo/mongo_client.hpp"
#include "adapters/mongo/mongo_message_store.hpp"
#include "adapters/mongo/mongo_notification_store.hpp"
#include "adapters/mongo/mongo_otp_store.hpp"
#include "adapters/mongo/mongo_profile_store.hpp"
#include "adapters/mongo/mongo_session_store.hpp"
#include "chat_store_contract.hpp"
#include "lookup_values_contract.hpp"
#include "message_store_contract.hpp"
#include "notification_store_contract.hpp"
#include "otp_store_contract.hpp"
#include "profile_store_contract.hpp"
#include "session_store_contract.hpp"

namespace parley::contract {
namespace {

std::string test_url() {
  const char* url = std::getenv("PARLEY_TEST_MONGO_URL");
  return url ? url : "";
}

// "pt<random hex>": a database-name prefix no other test (or run) uses.
std::string unique_prefix() {
  static std::mutex mutex;
  static std::mt19937_64 rng{std::random_device{}()};
  std::lock_guard lock(mutex);
  char buf[24];
  std::snprintf(buf, sizeof buf, "pt%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

void expect_ok(const Result<void>& r) { EXPECT_TRUE(r) << r.error().message; }

class MongoBackend final : public StoreBackend {
 public:
  explicit MongoBackend(MongoConfig config)
      : config_(std::move(config)),
        prefix_(unique_prefix()),
        pool_(config_),
        accounts_(pool_, db("auth")),
        sessions_(pool_, db("auth")),
        otps_(pool_, db("auth")),
        profiles_(pool_, db("user")),
        chats_(pool_, db("chat")),
        messages_(pool_, db("message")),
        notifications_(pool_, db("notification")) {
    expect_ok(accounts_.create_indexes());
    expect_ok(sessions_.create_indexes());
    expect_ok(otps_.create_indexes());
    expect_ok(profiles_.create_indexes());
    expect_ok(chats_.create_indexes());
    expect_ok(messages_.create_indexes());
    expect_ok(notifications_.create_indexes());
  }

  ~MongoBackend() override {
    for (const char* service : {"auth", "user", "chat", "message", "notification"}) {
      auto r = MongoDatabase(pool_, db(service)).drop();
      EXPECT_TRUE(r) << r.error().message;
    }
  }

  AccountStore& accounts() override { return accounts_; }
  SessionStore& sessions() override { return sessions_; }
  OtpStore& otps() override { return otps_; }
  ProfileStore& profiles() override { return profiles_; }
  ChatStore& chats() override { return chats_; }
  MessageStore& messages() override { return messages_; }
  NotificationStore& notifications() override { return notifications_; }

  std::shared_ptr<SessionStore> open_session_store() override { return open<SessionStore, MongoSessionStore>("auth"); }
  std::shared_ptr<ChatStore> open_chat_store() override { return open<ChatStore, MongoChatStore>("chat"); }
  std::shared_ptr<MessageStore> open_message_store() override {
    return open<MessageStore, MongoMessageStore>("message");
  }

 private:
  std::string db(const char* service) const { return prefix_ + "_" + service; }

  // A store of type Store on its own pool (its own connections), like another process.
  template <class Port, class Store>
  std::shared_ptr<Port> open(const char* service) {
    struct Owned {
      Owned(const MongoConfig& config, std::string name) : pool(config), store(pool, std::move(name)) {}
      MongoPool pool;
      Store store;
    };
    auto owned = std::make_shared<Owned>(config_, db(service));
    return std::shared_ptr<Port>(owned, &owned->store);
  }

  MongoConfig config_;
  std::string prefix_;
  MongoPool pool_;
  MongoAccountStore accounts_;
  MongoSessionStore sessions_;
  MongoOtpStore otps_;
  MongoProfileStore profiles_;
  MongoChatStore chats_;
  MongoMessageStore messages_;
  MongoNotificationStore notifications_;
};

std::unique_ptr<StoreBackend> backend_with(bool majority) {
  const std::string url = test_url();
  if (url.empty()) return nullptr;
  MongoConfig config;
  config.url = url;
  config.majority = majority;
  return std::make_unique<MongoBackend>(config);
}

// w=majority (the default) everywhere; w=1 once, on the suite with the most writes.
const auto kBackends = testing::Values(BackendParam{"Mongo", [] { return backend_with(true); }});
const auto kBackendsBothConcerns = testing::Values(BackendParam{"Mongo", [] { return backend_with(true); }},
                                                   BackendParam{"MongoW1", [] { return backend_with(false); }});

} // namespace

INSTANTIATE_TEST_SUITE_P(Mongo, AccountStoreContract, kBackends, backend_name);
INSTANTIATE_TEST_SUITE_P(Mongo, SessionStoreContract, kBackends, backend_name);
INSTANTIATE_TEST_SUITE_P(Mongo, OtpStoreContract, kBackends, backend_name);
INSTANTIATE_TEST_SUITE_P(Mongo, ProfileStoreContract, kBackends, backend_name);
INSTANTIATE_TEST_SUITE_P(Mongo, ChatStoreContract, kBackends, backend_name);
INSTANTIATE_TEST_SUITE_P(Mongo, MessageStoreContract, kBackendsBothConcerns, backend_name);
INSTANTIATE_TEST_SUITE_P(Mongo, NotificationStoreContract, kBackends, backend_name);
INSTANTIATE_TEST_SUITE_P(Mongo, LookupValuesContract, kBackends, backend_name);

namespace {

class MongoAdapter : public testing::Test {
 protected:
  void SetUp() override {
    backend_ = backend_with(true);
    if (!backend_) GTEST_SKIP() << "PARLEY_TEST_MONGO_URL not set";
  }
  StoreBackend& backend() { return *backend_; }

 private:
  std::unique_ptr<StoreBackend> backend_;
};

// Strings that a query parser would read as operators are only ever values.
TEST_F(MongoAdapter, ClientStringsAreValuesNeverOperators) {
  const std::string injected = R"({"$gt": ""})";
  Account a;
  a.id = "u1";
  a.email = "ann@example.com";
  a.password_hash = "h";
  ASSERT_TRUE(backend().accounts().insert(a));
  auto by_email = backend().accounts().find_by_email(injected);
  ASSERT_TRUE(by_email) << by_email.error().message;
  EXPECT_FALSE(by_email->has_value());
  auto by_id = backend().accounts().find_by_id("$where");
  ASSERT_TRUE(by_id);
  EXPECT_FALSE(by_id->has_value());

  Account odd = a;
  odd.id = "u2";
  odd.email = injected;
  ASSERT_TRUE(backend().accounts().insert(odd));
  auto found = backend().accounts().find_by_email(injected);
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->id, "u2");

  Profile p;
  p.id = "u1";
  p.username = "ann";
  p.display_name = "Ann";
  ASSERT_TRUE(backend().profiles().insert(p));
  for (const char* prefix : {".*", "^", "$", "(", "[a-z]", "a|b", "\\"}) {
    auto r = backend().profiles().search(prefix, "", 10);
    ASSERT_TRUE(r) << prefix << ": " << r.error().message;
    EXPECT_TRUE(r->empty()) << prefix;
  }
  auto by_name = backend().profiles().find_by_username(injected);
  ASSERT_TRUE(by_name);
  EXPECT_FALSE(by_name->has_value());
}

// A pool on the test server and a database name no other test uses; skipped without a server.
class MongoOwnDatabase : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string url = test_url();
    if (url.empty()) GTEST_SKIP() << "PARLEY_TEST_MONGO_URL not set";
    MongoConfig config;
    config.url = url;
    pool_.emplace(config);
  }
  MongoPool& pool() { return *pool_; }

  const std::string name_ = unique_prefix() + "_own";

 private:
  std::optional<MongoPool> pool_;
};

// A message document as stored before attachment_keys existed (chat c1, seq = the id's digit).
BsonDoc legacy_message(const char* id, const char* attachments, bool deleted) {
  BsonDoc d;
  d.str("_id", id).str("chat_id", "c1").i64("seq", id[1] - '0').str("sender_id", "alice").str("client_id", id);
  d.str("body", "").str("attachments_json", attachments).str("reply_to", "").strings("mentions", {});
  d.i64("created_at_ms", 1000).i64("edited_at_ms", 0).boolean("deleted", deleted).i64("deleted_at_ms", 0);
  return d;
}

// Every store's indexes can be created again at every start.
TEST_F(MongoOwnDatabase, IndexesCanBeCreatedTwice) {
  for (int i = 0; i < 2; ++i) {
    expect_ok(MongoAccountStore(pool(), name_).create_indexes());
    expect_ok(MongoSessionStore(pool(), name_).create_indexes());
    expect_ok(MongoOtpStore(pool(), name_).create_indexes());
    expect_ok(MongoProfileStore(pool(), name_).create_indexes());
    expect_ok(MongoChatStore(pool(), name_).create_indexes());
    expect_ok(MongoMessageStore(pool(), name_).create_indexes());
    expect_ok(MongoNotificationStore(pool(), name_).create_indexes());
  }
  expect_ok(MongoDatabase(pool(), name_).drop());
}

// Messages stored before attachment_keys existed get it at the next start, so their files
// stay downloadable through their chat (and a tombstone's do not).
TEST_F(MongoOwnDatabase, MessagesWithoutAttachmentKeysGetThemAtStart) {
  MongoDatabase db(pool(), name_);
  expect_ok(db.insert_one("messages", legacy_message("m1", R"([{"key":"alice_OLD","name":"a.png"}])", false)));
  expect_ok(db.insert_one("messages", legacy_message("m2", "[]", false)));
  expect_ok(db.insert_one("messages", legacy_message("m3", R"([{"key":"alice_GONE","name":"b.png"}])", true)));
  MongoMessageStore store(pool(), name_);
  expect_ok(store.create_indexes());
  auto old_file = store.attached("c1", "alice_OLD");
  ASSERT_TRUE(old_file) << old_file.error().message;
  EXPECT_TRUE(*old_file);
  auto gone = store.attached("c1", "alice_GONE");
  ASSERT_TRUE(gone);
  EXPECT_FALSE(*gone);
  auto left = db.count("messages", bson_sub("attachment_keys", BsonDoc().boolean("$exists", false)));
  ASSERT_TRUE(left);
  EXPECT_EQ(*left, 0);
  expect_ok(store.create_indexes()); // nothing left to do
  expect_ok(db.drop());
}

// The chat's last seq is read from a hint (last_seqs) that can only be behind the messages:
// messages stored before the hint existed, or a process that stopped between storing a
// message and moving the hint. Either way the next append stores the next seq, gapless.
TEST_F(MongoOwnDatabase, ALastSeqHintBehindTheMessagesCostsOneLostInsertAndNoGap) {
  MongoDatabase db(pool(), name_);
  MongoMessageStore store(pool(), name_);
  expect_ok(store.create_indexes());
  auto append = [&](const char* id) {
    Message m;
    m.id = id;
    m.chat_id = "c1";
    m.sender_id = "alice";
    m.client_id = id;
    m.body = id;
    m.created_at_ms = 1000;
    auto r = store.append(m);
    EXPECT_TRUE(r) << r.error().message;
    return r ? r->message.seq : -1;
  };
  EXPECT_EQ(append("m1"), 1);
  EXPECT_EQ(append("m2"), 2);
  ASSERT_TRUE(db.delete_many("last_seqs", BsonDoc())); // messages older than the hint
  auto last = store.last_seq("c1");
  ASSERT_TRUE(last);
  EXPECT_EQ(*last, 2);
  EXPECT_EQ(append("m3"), 3);
  // Stopped after storing m4, before moving the hint: the hint says 3, the messages 4.
  ASSERT_TRUE(db.insert_one("messages", legacy_message("m4", "[]", false)));
  EXPECT_EQ(append("m5"), 5);
  last = store.last_seq("c1");
  ASSERT_TRUE(last);
  EXPECT_EQ(*last, 5);
  auto page = store.page("c1", 0, 0, 10);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->size(), 5u);
  for (std::size_t i = 0; i < page->size(); ++i) EXPECT_EQ((*page)[i].seq, static_cast<std::int64_t>(i + 1));
  expect_ok(db.drop());
}

// A server that cannot be reached is `unavailable` (retryable), not a crash or a hang.
TEST(MongoUnavailable, AnUnreachableServerIsUnavailable) {
  MongoConfig config;
  config.url = "mongodb://127.0.0.1:1/?serverSelectionTryOnce=true";
  config.timeout = std::chrono::milliseconds(300);
  MongoPool pool(config);
  MongoMessageStore messages(pool, "parley_unreachable");
  Message m;
  m.id = "m1";
  m.chat_id = "c1";
  m.sender_id = "u1";
  m.client_id = "k1";
  m.body = "hi";
  auto appended = messages.append(m);
  ASSERT_FALSE(appended);
  EXPECT_EQ(appended.error().kind, ErrorKind::unavailable);
  EXPECT_TRUE(appended.error().retryable);
  auto indexes = messages.create_indexes();
  ASSERT_FALSE(indexes);
  EXPECT_EQ(indexes.error().kind, ErrorKind::unavailable);
  MongoChatStore chats(pool, "parley_unreachable");
  auto found = chats.find("c1");
  ASSERT_FALSE(found);
  EXPECT_EQ(found.error().kind, ErrorKind::unavailable);
}

TEST(MongoConfigTest, AMalformedUrlIsAStartupFailure) {
  MongoConfig config;
  config.url = "http://not-mongo";
  EXPECT_THROW(MongoPool{config}, std::invalid_argument);
}

} // namespace
} // namespace parley::contract

// The store contracts instantiated for SQLite, in memory and on a temp file (the file
// variant also runs the cross-connection races: token rotation, direct-chat creation,
// message appends), plus SQLite's migration rules.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "account_store_contract.hpp"
#include "adapters/sqlite/database.hpp"
#include "adapters/sqlite/migrations.hpp"
#include "adapters/sqlite/sqlite_account_store.hpp"
#include "adapters/sqlite/sqlite_chat_store.hpp"
#include "adapters/sqlite/sqlite_message_store.hpp"
#include "adapters/sqlite/sqlite_notification_store.hpp"
#include "adapters/sqlite/sqlite_otp_store.hpp"
#include "adapters/sqlite/sqlite_profile_store.hpp"
#include "adapters/sqlite/sqlite_session_store.hpp"
#include "chat_store_contract.hpp"
#include "lookup_values_contract.hpp"
#include "message_store_contract.hpp"
#include "notification_store_contract.hpp"
#include "otp_store_contract.hpp"
#include "profile_store_contract.hpp"
#include "services/chat/caching_chat_store.hpp"
#include "session_store_contract.hpp"

namespace parley::contract {
namespace {

namespace fs = std::filesystem;

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "parley-sqlite-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

class SqliteBackend final : public StoreBackend {
 public:
  // In memory when `on_file` is false; otherwise a file in a nested directory that does
  // not exist yet (the database must create it), shared with other connections unless
  // `locking` is exclusive (as the embedded server opens it).
  // `cached`: chats() answers through the embedded server's CachingChatStore.
  explicit SqliteBackend(bool on_file, SqliteDatabase::Locking locking = SqliteDatabase::Locking::shared,
                         bool cached = false)
      : dir_(on_file ? std::make_unique<TempDir>() : nullptr),
        path_(on_file ? (dir_->path() / "data" / "parley.db").string() : ":memory:"),
        exclusive_(locking == SqliteDatabase::Locking::exclusive),
        db_(path_, locking),
        accounts_(db_),
        sessions_(db_),
        otps_(db_),
        profiles_(db_),
        chats_(db_),
        messages_(db_),
        notifications_(db_),
        cached_chats_(cached ? std::make_unique<CachingChatStore>(chats_) : nullptr) {}

  AccountStore& accounts() override { return accounts_; }
  SessionStore& sessions() override { return sessions_; }
  OtpStore& otps() override { return otps_; }
  ProfileStore& profiles() override { return profiles_; }
  ChatStore& chats() override { return cached_chats_ ? static_cast<ChatStore&>(*cached_chats_) : chats_; }
  MessageStore& messages() override { return messages_; }
  NotificationStore& notifications() override { return notifications_; }

  std::shared_ptr<SessionStore> open_session_store() override { return open<SessionStore, SqliteSessionStore>(); }
  std::shared_ptr<ChatStore> open_chat_store() override { return open<ChatStore, SqliteChatStore>(); }
  std::shared_ptr<MessageStore> open_message_store() override { return open<MessageStore, SqliteMessageStore>(); }

 private:
  std::unique_ptr<TempDir> dir_;
  std::string path_;
  bool exclusive_;
  SqliteDatabase db_;
  SqliteAccountStore accounts_;
  SqliteSessionStore sessions_;
  SqliteOtpStore otps_;
  SqliteProfileStore profiles_;
  SqliteChatStore chats_;
  SqliteMessageStore messages_;
  SqliteNotificationStore notifications_;
  std::unique_ptr<CachingChatStore> cached_chats_;

  // A store of type Store on its own connection to the file; nullptr in memory or when the
  // file is held exclusively.
  template <class Port, class Store>
  std::shared_ptr<Port> open() {
    if (!dir_ || exclusive_) return nullptr;
    struct Owned {
      explicit Owned(const std::string& path) : db(path), store(db) {}
      SqliteDatabase db;
      Store store;
    };
    auto owned = std::make_shared<Owned>(path_);
    return std::shared_ptr<Port>(owned, &owned->store);
  }
};

const auto kBackends = testing::Values(
    BackendParam{"Memory", [] { return std::unique_ptr<StoreBackend>(std::make_unique<SqliteBackend>(false)); }},
    BackendParam{"File", [] { return std::unique_ptr<StoreBackend>(std::make_unique<SqliteBackend>(true)); }},
    BackendParam{"FileExclusive",
                 [] {
                   return std::unique_ptr<StoreBackend>(
                       std::make_unique<SqliteBackend>(true, SqliteDatabase::Locking::exclusive));
                 }},
    BackendParam{"MemoryCachedChats", [] {
                   return std::unique_ptr<StoreBackend>(
                       std::make_unique<SqliteBackend>(false, SqliteDatabase::Locking::shared, true));
                 }});

INSTANTIATE_TEST_SUITE_P(Sqlite, AccountStoreContract, kBackends, backend_name);
INSTANTIATE_TEST_SUITE_P(Sqlite, SessionStoreContract, kBackends, backend_name);
INSTANTIATE_TEST_SUITE_P(Sqlite, OtpStoreContract, kBackends, backend_name);
INSTANTIATE_TEST_SUITE_P(Sqlite, ProfileStoreContract, kBackends, backend_name);
INSTANTIATE_TEST_SUITE_P(Sqlite, ChatStoreContract, kBackends, backend_name);
INSTANTIATE_TEST_SUITE_P(Sqlite, MessageStoreContract, kBackends, backend_name);
INSTANTIATE_TEST_SUITE_P(Sqlite, NotificationStoreContract, kBackends, backend_name);
INSTANTIATE_TEST_SUITE_P(Sqlite, LookupValuesContract, kBackends, backend_name);

TEST(SqliteMigrations, FreshDatabaseIsAtTheLatestVersion) {
  SqliteDatabase db(":memory:");
  auto version = db.user_version();
  ASSERT_TRUE(version);
  EXPECT_EQ(*version, latest_schema_version());
  EXPECT_EQ(latest_schema_version(), sqlite_migrations().back().version);
  EXPECT_GE(latest_schema_version(), 1);
}

TEST(SqliteMigrations, MigrationsAreNumberedWithoutGaps) {
  int expected = 1;
  for (const auto& m : sqlite_migrations()) {
    EXPECT_EQ(m.version, expected++);
    EXPECT_FALSE(m.description.empty());
    EXPECT_FALSE(m.sql.empty());
  }
}

TEST(SqliteMigrations, ReopeningIsIdempotentAndKeepsData) {
  TempDir dir;
  const std::string path = (dir.path() / "parley.db").string();
  {
    SqliteDatabase db(path);
    SqliteAccountStore accounts(db);
    Account a;
    a.id = "u1";
    a.email = "ann@example.com";
    a.password_hash = "h";
    ASSERT_TRUE(accounts.insert(a));
  }
  for (int i = 0; i < 2; ++i) {
    SqliteDatabase db(path);
    auto version = db.user_version();
    ASSERT_TRUE(version);
    EXPECT_EQ(*version, latest_schema_version());
    SqliteAccountStore accounts(db);
    auto found = accounts.find_by_id("u1");
    ASSERT_TRUE(found);
    EXPECT_TRUE(found->has_value());
  }
}

TEST(SqliteMigrations, RefusesADatabaseFromNewerCode) {
  TempDir dir;
  const std::string path = (dir.path() / "parley.db").string();
  {
    SqliteDatabase db(path);
    ASSERT_TRUE(db.exec("PRAGMA user_version = " + std::to_string(latest_schema_version() + 1)));
  }
  EXPECT_THROW(SqliteDatabase{path}, std::runtime_error);
}

TEST(SqliteMigrations, UsesWriteAheadLogOnFiles) {
  TempDir dir;
  SqliteDatabase db((dir.path() / "parley.db").string());
  EXPECT_TRUE(fs::exists(dir.path() / "parley.db-wal"));
}

TEST(SqliteMigrations, EveryConnectionGetsThePragmas) {
  TempDir dir;
  SqliteDatabase db((dir.path() / "parley.db").string());
  auto conn = db.lock();
  auto pragma = [&conn](const std::string& name) -> std::string {
    Statement st(conn, "PRAGMA " + name);
    auto row = st.step();
    EXPECT_TRUE(row && *row) << name;
    return row && *row ? st.column_text(0) : std::string();
  };
  EXPECT_EQ(pragma("journal_mode"), "wal");
  EXPECT_EQ(pragma("synchronous"), "1"); // NORMAL
  EXPECT_EQ(pragma("foreign_keys"), "1");
  EXPECT_EQ(pragma("busy_timeout"), "5000");
}

TEST(SqliteMigrations, AnExclusiveConnectionKeepsItsLockAndItsData) {
  TempDir dir;
  const auto path = (dir.path() / "parley.db").string();
  {
    SqliteDatabase db(path, SqliteDatabase::Locking::exclusive);
    ASSERT_TRUE(db.exec("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (7);"));
    // Nobody else opens the file meanwhile, exclusively or not.
    EXPECT_THROW(SqliteDatabase(path, SqliteDatabase::Locking::exclusive), std::runtime_error);
    EXPECT_THROW(SqliteDatabase(path, SqliteDatabase::Locking::shared), std::runtime_error);
  }
  {
    // Shared users share, and keep an exclusive one out.
    SqliteDatabase a(path);
    SqliteDatabase b(path);
    EXPECT_THROW(SqliteDatabase(path, SqliteDatabase::Locking::exclusive), std::runtime_error);
  }
  SqliteDatabase again(path);
  auto conn = again.lock();
  Statement st(conn, "SELECT x FROM t");
  ASSERT_TRUE(st.step().value_or(false));
  EXPECT_EQ(st.column_int64(0), 7);
}

TEST(SqliteCheckpoints, RunOffTheCommitPathAndTheWalIsReusedFromItsStart) {
  TempDir dir;
  SqliteDatabase db((dir.path() / "parley.db").string(), SqliteDatabase::Locking::exclusive);
  ASSERT_TRUE(db.exec("CREATE TABLE t (x BLOB)"));
  // 24 MiB in 1 MiB commits: past the RESTART threshold (16 MiB).
  for (int i = 0; i < 24; ++i) ASSERT_TRUE(db.exec("INSERT INTO t VALUES (zeroblob(1048576))"));
  // Commits go on until one finds the WAL checkpointed and starts it over (small again).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (db.checkpoint_stats().wal_pages >= Checkpointer::kCheckpointPages &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_TRUE(db.exec("INSERT INTO t VALUES (1)"));
  }
  const auto stats = db.checkpoint_stats();
  EXPECT_LT(stats.wal_pages, Checkpointer::kCheckpointPages);
  EXPECT_GE(stats.checkpoints, 1);
  auto conn = db.lock();
  Statement count(conn, "SELECT COUNT(*) FROM t");
  ASSERT_TRUE(count.step().value_or(false));
  EXPECT_GE(count.column_int64(0), 25);
}

TEST(SqliteMigrations, UnopenablePathIsAStartupFailure) {
  TempDir dir;
  // A directory where the file should be.
  fs::create_directories(dir.path() / "taken.db");
  EXPECT_THROW(SqliteDatabase{(dir.path() / "taken.db").string()}, std::runtime_error);
}

} // namespace
} // namespace parley::contract

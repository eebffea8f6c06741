#include "adapters/sqlite/database.hpp"

#include <sqlite3.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "adapters/sqlite/migrations.hpp"

namespace parley {

namespace {

// Pragmas set on every connection. WAL lets readers run beside the writer; NORMAL is
// durable across application crashes (only an OS crash may lose the last commits);
// the busy timeout lets a second connection wait for the write lock instead of failing.
// Under a stream of writes the defaults cost most of the store's time in system calls
// (profiled: a pread per page that fell out of a 2 MiB cache, a checkpoint with its
// fdatasync every 4 MiB of WAL): pages are read through a memory map (the file's pages, shared
// with the OS page cache) and the cache of pages being written may grow to 8 MiB. Checkpoints
// run on a thread of their own (Checkpointer): run by the commit crossing the threshold, the
// checkpoint's fdatasync held every send (15-30 ms at 4 MiB, 120 ms at 32 MiB; strace). A WAL
// file that grew under a burst is cut back to 64 MiB once reused.
constexpr const char* kPragmas =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=NORMAL;"
    "PRAGMA foreign_keys=ON;"
    "PRAGMA busy_timeout=5000;"
    "PRAGMA mmap_size=1073741824;"
    "PRAGMA cache_size=-8192;"
    "PRAGMA journal_size_limit=67108864;";

constexpr std::size_t kMaxCachedStatements = 128;

bool is_file_path(const std::string& path) { return path != ":memory:" && !path.starts_with("file:") && !path.empty(); }

// Opens (creating it empty if missing: SQLite takes an empty file as a new database) and
// flocks the database file; throws when another user holds a conflicting lock. SQLite's own
// locks are fcntl locks, which flock does not touch.
int lock_file(const std::string& path, SqliteDatabase::Locking locking) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("sqlite: cannot open " + path + ": " + std::strerror(errno));
  const bool exclusive = locking == SqliteDatabase::Locking::exclusive;
  if (::flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) {
    const int error = errno;
    ::close(fd);
    if (error == EWOULDBLOCK)
      throw std::runtime_error("sqlite: " + path + " is in use by another server (one server per data directory)");
    throw std::runtime_error("sqlite: cannot lock " + path + ": " + std::strerror(error));
  }
  return fd;
}

} // namespace

int Connection::changes() const { return sqlite3_changes(db_); }

SqliteDatabase::SqliteDatabase(const std::string& path, Locking locking) {
  const bool on_file = is_file_path(path);
  if (on_file) {
    const auto parent = std::filesystem::path(path).parent_path();
    std::error_code ec;
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    if (ec) throw std::runtime_error("sqlite: cannot create directory " + parent.string() + ": " + ec.message());
    lock_fd_ = lock_file(path, locking);
  }
  // NOMUTEX: our own mutex already serialises every use of the connection.
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    if (lock_fd_ >= 0) ::close(lock_fd_);
    throw std::runtime_error("sqlite: cannot open " + path + ": " + message);
  }
  sqlite3_extended_result_codes(db_, 1);
  try {
    char* err = nullptr;
    if (sqlite3_exec(db_, kPragmas, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string message = err ? err : "unknown error";
      sqlite3_free(err);
      throw std::runtime_error("sqlite: cannot configure " + path + ": " + message);
    }
    migrate(db_);
    if (on_file) {
      checkpointer_ = std::make_unique<Checkpointer>(path);
      checkpointer_->attach(db_);
    }
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    if (lock_fd_ >= 0) ::close(lock_fd_);
    throw;
  }
}

SqliteDatabase::~SqliteDatabase() {
  if (checkpointer_) {
    Checkpointer::detach(db_);
    checkpointer_.reset();
  }
  // Statements in use are RAII-scoped to a Connection, so only cached ones are left here;
  // once they are finalised sqlite3_close cannot fail with SQLITE_BUSY.
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close(db_); // the last connection: checkpoints the WAL and removes it
  // After every SQLite connection is closed: closing a descriptor of the file drops the
  // process's fcntl locks on it, SQLite's included.
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

Result<void> SqliteDatabase::exec(std::string_view sql) {
  auto conn = lock();
  const std::string text(sql);
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
  sqlite3_free(err);
  if (rc != SQLITE_OK) return fail(sqlite_error(db_, rc, "exec"));
  return {};
}

Result<int> SqliteDatabase::user_version() {
  auto conn = lock();
  Statement st(conn, "PRAGMA user_version");
  auto row = st.step();
  if (!row) return fail(row.error());
  if (!*row) return fail(Error::internal("sqlite: PRAGMA user_version returned no row"));
  return static_cast<int>(st.column_int64(0));
}

Checkpointer::Stats SqliteDatabase::checkpoint_stats() const {
  return checkpointer_ ? checkpointer_->stats() : Checkpointer::Stats{};
}

Error sqlite_error(sqlite3* db, int rc, std::string_view context) {
  std::string message = "sqlite: " + std::string(context) + ": ";
  message += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Error::unavailable("storage_busy", std::move(message));
    case SQLITE_CONSTRAINT:
      return Error::conflict("constraint", std::move(message));
    default:
      return Error::internal(std::move(message));
  }
}

bool is_unique_violation(const Error& error, std::string_view table_column) {
  // SQLite reports "UNIQUE constraint failed: table.column" for both UNIQUE and
  // PRIMARY KEY; the message is the only place naming the column.
  if (error.kind != ErrorKind::conflict || error.code != "constraint") return false;
  const auto at = error.message.find("UNIQUE constraint failed: ");
  if (at == std::string::npos) return false;
  const std::string_view rest = std::string_view(error.message).substr(at);
  const auto pos = rest.find(table_column);
  if (pos == std::string_view::npos) return false;
  const auto end = pos + table_column.size();
  return end == rest.size() || rest[end] == ',' || rest[end] == ' ';
}

Statement::Statement(Connection& conn, std::string_view sql) : conn_(conn), sql_(sql) {
  if (const auto cached = conn_.cache_->find(sql_); cached != conn_.cache_->end()) {
    stmt_ = cached->second;
    conn_.cache_->erase(cached); // in use: the same SQL in a nested statement prepares its own
    return;
  }
  const int rc = sqlite3_prepare_v3(conn_.handle(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                    &stmt_, nullptr);
  if (rc != SQLITE_OK) note(rc, "prepare");
}

Statement::~Statement() {
  if (!stmt_) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  // Bounded: SQL built for a number of ids (IN lists) varies.
  if (conn_.cache_->size() >= kMaxCachedStatements || !conn_.cache_->try_emplace(sql_, stmt_).second)
    sqlite3_finalize(stmt_);
}

void Statement::note(int rc, std::string_view context) {
  if (!error_) error_ = sqlite_error(conn_.handle(), rc, context);
}

Statement& Statement::bind_text(int index, std::string_view value) {
  if (!error_) {
    // A default-constructed string_view has a null data(), which sqlite would bind as
    // NULL; an empty string must stay an empty string.
    const char* data = value.data() ? value.data() : "";
    const int rc = sqlite3_bind_text64(stmt_, index, data, value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    if (rc != SQLITE_OK) note(rc, "bind");
  }
  return *this;
}

Statement& Statement::bind_int64(int index, std::int64_t value) {
  if (!error_) {
    const int rc = sqlite3_bind_int64(stmt_, index, value);
    if (rc != SQLITE_OK) note(rc, "bind");
  }
  return *this;
}

Statement& Statement::bind_null(int index) {
  if (!error_) {
    const int rc = sqlite3_bind_null(stmt_, index);
    if (rc != SQLITE_OK) note(rc, "bind");
  }
  return *this;
}

Result<bool> Statement::step() {
  if (error_) return fail(*error_);
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return fail(sqlite_error(conn_.handle(), rc, "step"));
}

Result<void> Statement::run() {
  for (;;) {
    auto row = step();
    if (!row) return fail(row.error());
    if (!*row) return {};
  }
}

void Statement::reset() {
  if (stmt_) sqlite3_reset(stmt_);
}

std::string Statement::column_text(int column) const {
  const auto* text = sqlite3_column_text(stmt_, column);
  if (!text) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::int64_t Statement::column_int64(int column) const { return sqlite3_column_int64(stmt_, column); }

Result<Transaction> Transaction::begin(Connection& conn) {
  Statement st(conn, "BEGIN IMMEDIATE");
  if (auto r = st.run(); !r) return fail(r.error());
  return Transaction(conn);
}

Transaction::Transaction(Transaction&& other) noexcept : conn_(other.conn_) { other.conn_ = nullptr; }

Transaction::~Transaction() {
  if (!conn_) return;
  // Rollback fails only when there is no transaction left (SQLite already rolled it
  // back after an error such as SQLITE_FULL); nothing more to do then.
  sqlite3_exec(conn_->handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

Result<void> Transaction::commit() {
  if (!conn_) return fail(Error::internal("sqlite: commit without an open transaction"));
  Statement st(*conn_, "COMMIT");
  if (auto r = st.run(); !r) return fail(r.error()); // still open: the destructor rolls back
  conn_ = nullptr;
  return {};
}

} // namespace parley

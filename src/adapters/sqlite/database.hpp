#pragma once
// One SQLite connection shared by the stores of a process, plus the small RAII helpers
// (Connection, Statement, Transaction) that keep raw sqlite3 calls out of the stores.
//
// Thread safety: a mutex serialises every use of the connection. A store takes
// `auto conn = db.lock();` and builds statements and transactions on that lock, so the
// type system makes "no statement without the lock" hard to get wrong.
// Errors: library failures become Result errors at this edge; SQLITE_BUSY/LOCKED after
// the busy timeout are `unavailable` (a retry may help), constraint failures are
// `conflict` with code "constraint" (stores translate the ones they expect), anything
// else is `internal`.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "adapters/sqlite/checkpointer.hpp"
#include "core/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace parley {

class SqliteDatabase;

// Prepared statements kept for reuse, by SQL text (used only under the connection's lock).
using StatementCache = std::unordered_map<std::string, sqlite3_stmt*>;

// Exclusive use of the connection while this object lives.
class Connection {
 public:
  sqlite3* handle() const { return db_; }
  // Rows changed by the most recent INSERT/UPDATE/DELETE on this connection.
  int changes() const;

 private:
  friend class SqliteDatabase;
  friend class Statement;
  Connection(std::mutex& mutex, sqlite3* db, StatementCache& cache) : lock_(mutex), db_(db), cache_(&cache) {}
  std::unique_lock<std::mutex> lock_;
  sqlite3* db_;
  StatementCache* cache_;
};

class SqliteDatabase {
 public:
  // Opens (creating it and its parent directory if missing) the database at `path`
  // (":memory:" for a private in-memory database), sets the pragmas and migrates the
  // schema. Throws std::runtime_error when that fails: a start-up failure.
  //
  // Locking::exclusive: this object is the file's only user (the embedded server): another
  // one opening the file, in any process, fails instead of sharing it (an flock held while
  // this object lives). Locking::shared lets several connections, in any process, share
  // the file (each takes a shared flock, so none opens while an exclusive one is open).
  // A database on a file checkpoints its WAL on a thread of its own (see Checkpointer).
  enum class Locking { shared, exclusive };
  explicit SqliteDatabase(const std::string& path, Locking locking = Locking::shared);
  ~SqliteDatabase();
  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;

  Connection lock() { return Connection(mutex_, db_, statements_); }

  // Runs one or more statements that return no rows (maintenance, tests).
  Result<void> exec(std::string_view sql);
  // The schema version recorded in the file (PRAGMA user_version).
  Result<int> user_version();
  // Checkpoints run off the commit path, and the WAL's size after the last commit (tests);
  // zeros for a database in memory.
  Checkpointer::Stats checkpoint_stats() const;

 private:
  std::mutex mutex_;
  int lock_fd_ = -1; // holds the flock, for a file
  sqlite3* db_ = nullptr;
  StatementCache statements_;
  std::unique_ptr<Checkpointer> checkpointer_; // for a file
};

// Translates a failed sqlite call into an Error; `context` says what was attempted.
Error sqlite_error(sqlite3* db, int rc, std::string_view context);

// True when `error` is a UNIQUE/PRIMARY KEY violation on `table_column`
// (e.g. "auth_accounts.email").
bool is_unique_violation(const Error& error, std::string_view table_column);

// A prepared statement. A prepare or bind failure is remembered and reported by the
// next step()/run(), so callers check once. Bind indexes are 1-based, columns 0-based.
// Prepared once per SQL text and connection: a statement goes back to the connection's
// cache when destroyed (reset, bindings cleared) and is taken from it by the next one.
class Statement {
 public:
  Statement(Connection& conn, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind_text(int index, std::string_view value);
  Statement& bind_int64(int index, std::int64_t value);
  Statement& bind_null(int index);

  // Advances one row: true when a row is available, false when the statement is done.
  Result<bool> step();
  // Steps to completion, discarding rows (INSERT/UPDATE/DELETE).
  Result<void> run();
  // Makes the statement runnable again; bindings are kept.
  void reset();

  std::string column_text(int column) const;
  std::int64_t column_int64(int column) const;
  bool column_bool(int column) const { return column_int64(column) != 0; }

 private:
  void note(int rc, std::string_view context);
  Connection& conn_;
  std::string sql_;
  sqlite3_stmt* stmt_ = nullptr;
  std::optional<Error> error_;
};

// BEGIN IMMEDIATE ... COMMIT; rolls back on destruction unless committed. IMMEDIATE
// takes the write lock up front, so a transaction never fails half-way with BUSY on
// lock upgrade, and the busy timeout applies.
class Transaction {
 public:
  static Result<Transaction> begin(Connection& conn);
  ~Transaction();
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;

  Result<void> commit();

 private:
  explicit Transaction(Connection& conn) : conn_(&conn) {}
  Connection* conn_; // null once committed, rolled back or moved from
};

// `one(conn, item)` for each item, in order, in one transaction (group commit): one result
// per item; every result is the failure when the transaction cannot begin or commit. No items,
// no transaction (BEGIN IMMEDIATE would take the write lock for nothing).
template <class T, class Item, class One>
std::vector<Result<T>> each_in_transaction(SqliteDatabase& db, const std::vector<Item>& items, One one) {
  if (items.empty()) return {};
  auto conn = db.lock();
  auto tx = Transaction::begin(conn);
  if (!tx) return std::vector<Result<T>>(items.size(), fail(tx.error()));
  std::vector<Result<T>> out;
  out.reserve(items.size());
  for (const auto& item : items) out.push_back(one(conn, item));
  if (auto r = tx->commit(); !r)
    for (auto& o : out) o = fail(r.error());
  return out;
}

} // namespace parley

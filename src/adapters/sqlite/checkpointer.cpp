#include "adapters/sqlite/checkpointer.hpp"

#include <sqlite3.h>

#include <stdexcept>

#include "core/log.hpp"

namespace parley {
namespace {

const Logger kLog{"sqlite"};

int on_commit(void* checkpointer, sqlite3*, const char*, int pages) {
  static_cast<Checkpointer*>(checkpointer)->wal_grew(pages);
  return SQLITE_OK;
}

} // namespace

Checkpointer::Checkpointer(const std::string& path) {
  // NOMUTEX: only this object's thread uses the connection.
  const int rc =
      sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    throw std::runtime_error("sqlite: checkpointer cannot open " + path + ": " + message);
  }
  // A RESTART checkpoint waits for the writer in progress (a batch takes milliseconds).
  sqlite3_busy_timeout(db_, 5000);
  // A connection learns that the file is in WAL mode when it first reads it; until then a
  // checkpoint does nothing.
  char* err = nullptr;
  if (sqlite3_exec(db_, "SELECT COUNT(*) FROM sqlite_schema", nullptr, nullptr, &err) != SQLITE_OK) {
    std::string message = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    sqlite3_close(db_);
    throw std::runtime_error("sqlite: checkpointer cannot read " + path + ": " + message);
  }
  thread_ = std::thread([this] { run(); });
}

Checkpointer::~Checkpointer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  sqlite3_close(db_);
}

void Checkpointer::attach(sqlite3* writer) { sqlite3_wal_hook(writer, on_commit, this); }

void Checkpointer::detach(sqlite3* writer) { sqlite3_wal_hook(writer, nullptr, nullptr); }

void Checkpointer::wal_grew(int pages) {
  {
    std::lock_guard lock(mutex_);
    wal_pages_ = pages;
    if (pages < kCheckpointPages || due_) return;
    due_ = true;
  }
  wake_.notify_one();
}

Checkpointer::Stats Checkpointer::stats() const {
  std::lock_guard lock(mutex_);
  return {checkpoints_, wal_pages_};
}

void Checkpointer::run() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return due_ || stopping_; });
      if (stopping_) return;
      due_ = false;
    }
    int wal_pages = 0;
    int copied = 0;
    int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &wal_pages, &copied);
    if (rc == SQLITE_OK) {
      std::lock_guard lock(mutex_);
      ++checkpoints_;
    }
    if (rc == SQLITE_OK && wal_pages >= kRestartPages)
      rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_RESTART, &wal_pages, &copied);
    // BUSY: a RESTART that could not get the write lock in time; the next commit asks again.
    if (rc != SQLITE_OK && rc != SQLITE_BUSY)
      kLog.error("checkpoint failed", {{"error", std::string(sqlite3_errmsg(db_))}});
  }
}

} // namespace parley

#pragma once
// Keeps WAL checkpoints off the commit path. A checkpoint copies the WAL's pages into the
// database file and waits for them to be on disk (fdatasync, 15-30 ms here); run by the
// commit that crosses the threshold, as SQLite does by default, it holds that commit and
// every write queued behind it. This object runs them on its own thread and connection:
// after each commit the writing connection reports the WAL's size (wal_grew(), from
// SQLite's WAL hook); past kCheckpointPages the thread copies what it can without
// blocking anyone (PASSIVE). Writers keep appending meanwhile, so the WAL is only reused
// from its start once a checkpoint caught up with the last commit: past kRestartPages the
// thread also runs a RESTART checkpoint, which holds new writes for the (small) rest.

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

struct sqlite3;

namespace parley {

class Checkpointer {
 public:
  static constexpr int kCheckpointPages = 1024; // 4 MiB of 4 KiB pages
  static constexpr int kRestartPages = 4096;    // 16 MiB

  // Opens its own connection to the database at `path` (which must exist, in WAL mode).
  // Throws std::runtime_error when it cannot.
  explicit Checkpointer(const std::string& path);
  // Stops the thread (after the checkpoint it is running) and closes its connection.
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Installs the WAL hook on `writer` (which must outlive its use: remove with detach()).
  void attach(sqlite3* writer);
  static void detach(sqlite3* writer);

  // The WAL holds `pages` pages after a commit; wakes the thread past kCheckpointPages.
  void wal_grew(int pages);

  struct Stats {
    long checkpoints = 0; // completed by the thread
    int wal_pages = 0;    // in the WAL after the last commit
  };
  Stats stats() const;

 private:
  void run();

  sqlite3* db_ = nullptr;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool due_ = false;
  bool stopping_ = false;
  long checkpoints_ = 0;
  int wal_pages_ = 0;
  std::thread thread_; // last: started once everything above exists
};

} // namespace parley

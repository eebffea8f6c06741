#pragma once
// One io_context per thread, each run by exactly one thread (concurrency hint 1: Asio skips
// its locking). Work is sharded up front, so a connection lives on one thread for its whole
// life and its statistics need no synchronisation.

#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace loadgen {

class Workers {
 public:
  explicit Workers(int threads);
  ~Workers(); // stop() and join
  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;

  int size() const { return static_cast<int>(contexts_.size()); }
  boost::asio::io_context& context(int i) { return *contexts_[static_cast<std::size_t>(i)]; }
  // Runs f(i) on every worker thread i and waits for all of them (for collecting
  // per-thread state). Must not be called from a worker thread.
  void run_on_each(const std::function<void(int)>& f);
  // Stops every io_context and joins the threads; pending handlers are destroyed with
  // the Workers. Idempotent.
  void stop();

 private:
  using Guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<std::optional<Guard>> guards_;
  std::vector<std::thread> threads_;
};

} // namespace loadgen

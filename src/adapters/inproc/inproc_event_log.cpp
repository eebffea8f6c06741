#include "adapters/inproc/inproc_event_log.hpp"

#include <algorithm>
#include <vector>

#include "core/log.hpp"

namespace parley {

namespace {
const Logger kLog{"eventlog"};
constexpr std::size_t kMaxBatch = 256; // events a consumer gets at once
} // namespace

struct InprocEventLog::Group {
  Group(std::string n, Handler h, std::size_t max, std::chrono::milliseconds backoff)
      : name(std::move(n)), handler(std::move(h)), max_queued(max), max_backoff(backoff) {}

  void push(const DomainEvent& event) {
    {
      std::lock_guard lock(mutex);
      if (queue.size() >= max_queued) {
        kLog.error("consumer too far behind: event dropped", {{"group", name}, {"event", event.id}});
        return;
      }
      queue.push_back(event);
    }
    wake.notify_one();
  }

  void run() {
    std::vector<DomainEvent> batch;
    std::unique_lock lock(mutex);
    for (;;) {
      wake.wait(lock, [&] { return stopping || !queue.empty(); });
      if (stopping) return;
      // Everything queued, up to kMaxBatch; removed once handled.
      const auto n = std::min(queue.size(), kMaxBatch);
      batch.assign(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(n));
      lock.unlock();
      const bool done = handle(batch);
      lock.lock();
      if (!done) return; // stopping while retrying
      queue.erase(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(n));
    }
  }

  // Runs the handler until it succeeds; false when stopped first.
  bool handle(std::span<const DomainEvent> batch) {
    auto backoff = std::chrono::milliseconds(50);
    for (;;) {
      auto r = handler(batch);
      if (r) return true;
      kLog.warn("event handler failed; retrying", {{"group", name},
                                                   {"events", static_cast<std::int64_t>(batch.size())},
                                                   {"first", batch.front().id},
                                                   {"error", r.error().message}});
      std::unique_lock lock(mutex);
      if (wake.wait_for(lock, backoff, [&] { return stopping; })) return false;
      backoff = std::min(backoff * 2, max_backoff);
    }
  }

  void stop() {
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    wake.notify_all();
    if (worker.joinable()) worker.join();
  }

  const std::string name;
  const Handler handler;
  const std::size_t max_queued;
  const std::chrono::milliseconds max_backoff;
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<DomainEvent> queue;
  bool stopping = false;
  std::thread worker;
};

InprocEventLog::InprocEventLog(std::size_t max_queued, std::chrono::milliseconds max_backoff)
    : max_queued_(max_queued), max_backoff_(max_backoff) {}

InprocEventLog::~InprocEventLog() { close(); }

void InprocEventLog::close() {
  std::lock_guard lock(mutex_);
  for (auto& g : groups_) g->stop();
  groups_.clear();
}

void InprocEventLog::append(DomainEvent event) {
  std::lock_guard lock(mutex_);
  for (auto& g : groups_) g->push(event);
}

Result<void> InprocEventLog::append_durably(DomainEvent event) {
  append(std::move(event));
  return {};
}

void InprocEventLog::subscribe(std::string group, Handler handler) {
  auto g = std::make_unique<Group>(std::move(group), std::move(handler), max_queued_, max_backoff_);
  g->worker = std::thread([raw = g.get()] { raw->run(); });
  std::lock_guard lock(mutex_);
  groups_.push_back(std::move(g));
}

} // namespace parley

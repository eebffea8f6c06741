#include "services/notification/worker.hpp"

#include "core/log.hpp"

namespace parley {

namespace {
const Logger kLog{"notify"};
// Checks run between two looks at whether the worker is stopping: a backlog of due checks
// (each counts a chat's unread messages) must not hold a shutdown for seconds.
constexpr int kChecksPerRound = 50;
} // namespace

NotificationWorker::NotificationWorker(NotificationService& service, std::chrono::milliseconds poll,
                                       std::chrono::milliseconds digest_every)
    : service_(service), poll_(poll), digest_every_(digest_every), thread_([this] { run(); }) {}

NotificationWorker::~NotificationWorker() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void NotificationWorker::run() {
  auto next_digest = std::chrono::steady_clock::now() + digest_every_;
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, poll_, [this] { return stopping_; })) {
    lock.unlock();
    // A full round means more may be due: go on until caught up, or until stopped.
    for (;;) {
      auto ran = service_.run_due_checks(kChecksPerRound);
      if (!ran) kLog.warn("message checks failed; will retry", {{"error", ran.error().message}});
      if (!ran || *ran < kChecksPerRound) break;
      std::lock_guard stop_lock(mutex_);
      if (stopping_) break;
    }
    if (service_.config().email_digest && std::chrono::steady_clock::now() >= next_digest) {
      next_digest += digest_every_;
      if (auto sent = service_.send_digests(); !sent)
        kLog.warn("digest failed; will retry", {{"error", sent.error().message}});
    }
    lock.lock();
  }
}

} // namespace parley

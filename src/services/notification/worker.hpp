#pragma once
// Runs the notification service's timed work on its own thread: due message checks every
// `poll`, and the e-mail digest every `digest_every` when enabled. Stops on destruction.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "services/notification/service.hpp"

namespace parley {

class NotificationWorker {
 public:
  NotificationWorker(NotificationService& service, std::chrono::milliseconds poll,
                     std::chrono::milliseconds digest_every);
  ~NotificationWorker();
  NotificationWorker(const NotificationWorker&) = delete;
  NotificationWorker& operator=(const NotificationWorker&) = delete;

 private:
  void run();

  NotificationService& service_;
  const std::chrono::milliseconds poll_;
  const std::chrono::milliseconds digest_every_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace parley

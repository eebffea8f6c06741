#pragma once
// The embedded event log: each consumer group has its own queue and thread, so append()
// only enqueues and a slow or stalled consumer never slows the producer. A failed handler
// is retried with backoff before the group's next event. Not durable: events still
// queued when the process stops are gone (consumers recover what matters from the
// stores, e.g. the notification service's scheduled checks). A group whose queue holds
// max_queued events drops new ones, with an error log, rather than grow without bound.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ports/event_log.hpp"

namespace parley {

class InprocEventLog final : public EventLog {
 public:
  explicit InprocEventLog(std::size_t max_queued = 100000,
                          std::chrono::milliseconds max_backoff = std::chrono::seconds(5));
  ~InprocEventLog() override; // close()s
  // Stops every consumer after the event it is handling; later appends are dropped.
  // Call before the consumers' handlers go away.
  void close();

  void append(DomainEvent event) override;
  // In memory, as durable as append() (the events live as long as the process).
  Result<void> append_durably(DomainEvent event) override;
  // Subscribe during start-up, before events flow.
  void subscribe(std::string group, Handler handler) override;

 private:
  struct Group;
  const std::size_t max_queued_;
  const std::chrono::milliseconds max_backoff_;
  std::mutex mutex_; // guards groups_
  std::vector<std::unique_ptr<Group>> groups_;
};

} // namespace parley

#pragma once
// This process as the operating system sees it (Linux /proc), and the signals that end a run.

#include <chrono>
#include <cstdint>

namespace loadgen {

struct ProcessSample {
  std::int64_t rss_kib = 0; // VmRSS: resident now
  std::int64_t hwm_kib = 0; // VmHWM: peak resident
  std::int64_t fds = 0;     // open descriptors
  std::int64_t threads = 0;
};
ProcessSample sample_self();

// Nanoseconds on CLOCK_MONOTONIC (steady_clock), comparable between processes on one host,
// so that reports of several generator processes can be combined.
std::int64_t monotonic_ns(std::chrono::steady_clock::time_point t);

// Blocks SIGINT and SIGTERM in the constructing thread, so construct it before starting any
// other thread (they inherit the mask); wait_for() then takes them synchronously.
class StopSignal {
 public:
  StopSignal();
  // True when SIGINT or SIGTERM arrived within `timeout` (or earlier and not yet taken).
  bool wait_for(std::chrono::milliseconds timeout);
  bool received() const { return received_; }

 private:
  bool received_ = false;
};

} // namespace loadgen

#include "loadgen/process.hpp"

#include <cerrno>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>

namespace loadgen {

ProcessSample sample_self() {
  ProcessSample s;
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    const auto value = [&line] { return std::stoll(line.substr(line.find(':') + 1)); };
    if (line.starts_with("VmRSS:")) s.rss_kib = value();
    if (line.starts_with("VmHWM:")) s.hwm_kib = value();
    if (line.starts_with("Threads:")) s.threads = value();
  }
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec); !ec && it != decltype(it){};
       it.increment(ec))
    ++s.fds;
  return s;
}

std::int64_t monotonic_ns(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

namespace {
sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}
} // namespace

StopSignal::StopSignal() {
  const auto set = stop_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

bool StopSignal::wait_for(std::chrono::milliseconds timeout) {
  if (received_) return true;
  const auto set = stop_signals();
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(timeout);
  timespec ts{static_cast<time_t>(secs.count()), static_cast<long>((timeout - secs).count() * 1000000)};
  for (;;) {
    const int sig = sigtimedwait(&set, nullptr, &ts);
    if (sig > 0) return received_ = true;
    if (errno != EINTR) return false; // EAGAIN: timed out
  }
}

} // namespace loadgen

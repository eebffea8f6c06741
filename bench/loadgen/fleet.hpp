#pragma once
// A fleet of client connections spread over the worker threads: it opens them with a
// bounded number of attempts in flight (and optionally at a fixed rate), keeps each
// established one reading, and counts what happens. Scenarios build on it: `connections`
// only holds them; later ones (fan-out, chat traffic) hand in a frame handler and send.
//
// Connection g (0-based, whole process) runs on thread g % threads with credential
// (first_credential + g) % credentials.size(), from source address g % source_ips.size().

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "loadgen/histogram.hpp"
#include "loadgen/scenario.hpp"

namespace loadgen {

struct FleetStats {
  std::uint64_t attempted = 0;
  std::uint64_t established = 0;
  std::uint64_t failed = 0;                      // attempts that never got established
  std::uint64_t dropped = 0;                     // established, then ended before stop()
  std::uint64_t frames = 0;                      // data frames received after establishment
  std::uint64_t pings = 0;                       // server pings received (and answered)
  Histogram open_us;                             // attempt start to established, microseconds
  Histogram dropped_after_us;                    // established to dropped, microseconds (when dropped)
  std::map<std::string, std::uint64_t> failures; // "phase: reason" -> attempts
  std::map<std::string, std::uint64_t> drops;    // "phase: reason" -> connections
  std::chrono::steady_clock::time_point first_start = std::chrono::steady_clock::time_point::max();
  std::chrono::steady_clock::time_point last_done = std::chrono::steady_clock::time_point::min();

  void merge(const FleetStats& other);
  // Attempt window: first start to last completion; 0 before any completed.
  double open_seconds() const;
  boost::json::object to_json() const;
};

class Fleet {
 public:
  // Called on the connection's thread for every data frame after establishment.
  using OnFrame = std::function<void(int thread, std::string_view frame)>;

  Fleet(Context& ctx, OnFrame on_frame = {});
  ~Fleet();
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

  // Starts opening options.connections connections.
  void start();
  // Thread-safe counters for progress.
  std::uint64_t established() const { return established_; }
  std::uint64_t failed() const { return failed_; }
  std::uint64_t dropped() const { return dropped_; }
  bool attempts_done() const { return established_ + failed_ >= static_cast<std::uint64_t>(total_); }
  // Stops counting drops, closes every connection, waits (up to `drain`) for them to end,
  // and returns the merged statistics.
  FleetStats stop(std::chrono::milliseconds drain = std::chrono::seconds(5));

  struct Shard; // one thread's share, private to fleet.cpp

 private:
  Context& ctx_;
  OnFrame on_frame_;
  long total_;
  std::vector<boost::asio::ip::address> sources_; // connection g connects from sources_[g % size]
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<std::uint64_t> established_{0};
  std::atomic<std::uint64_t> failed_{0};
  std::atomic<std::uint64_t> dropped_{0};
};

} // namespace loadgen

#pragma once
// HTTP metrics in Prometheus text format: request counts by route/method/status,
// latency histograms by route, open connections.

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

namespace parley::http {

class HttpMetrics {
 public:
  static constexpr std::array<double, 12> kBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                   0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

  // `route` is the matched pattern (bounded cardinality), or "unmatched".
  void observe(std::string_view route, std::string_view method, unsigned status, double seconds);
  void connection_opened() { ++open_connections_; }
  void connection_closed() { --open_connections_; }
  std::int64_t open_connections() const { return open_connections_.load(); }
  std::string render() const;

 private:
  struct Histogram {
    std::array<std::uint64_t, kBuckets.size()> buckets{};
    std::uint64_t count = 0;
    double sum = 0;
  };

  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, unsigned>, std::uint64_t, std::less<>> requests_;
  std::map<std::string, Histogram, std::less<>> latency_;
  std::atomic<std::int64_t> open_connections_{0};
};

} // namespace parley::http

#pragma once
// A log-bucketed latency histogram (the idea of HdrHistogram, much smaller): values below
// 2^kSubBits are counted exactly, larger ones in 2^kSubBits buckets per power of two, so a
// reported percentile is at most 1/2^kSubBits (about 3%) above the true value. Recording
// is a few instructions and never allocates; histograms of several threads or processes
// merge by adding counts. Not thread-safe: keep one per thread and merge.

#include <array>
#include <cstdint>
#include <vector>

#include <boost/json/value.hpp>

namespace loadgen {

class Histogram {
 public:
  static constexpr int kSubBits = 5;
  static constexpr int kSubBuckets = 1 << kSubBits;
  static constexpr int kBuckets = (64 - kSubBits + 1) * kSubBuckets;

  struct Bucket {
    std::uint64_t low;  // smallest value counted here
    std::uint64_t high; // largest value counted here
    std::uint64_t count;
  };

  void record(std::uint64_t value);
  void merge(const Histogram& other);

  std::uint64_t count() const { return count_; }
  std::uint64_t min() const { return count_ ? min_ : 0; }
  std::uint64_t max() const { return max_; }
  double mean() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0; }
  // The smallest bucket bound at or below which a fraction q (0..1) of the values lie,
  // capped at the largest value seen; 0 when empty.
  std::uint64_t percentile(double q) const;
  // The non-empty buckets, lowest first.
  std::vector<Bucket> buckets() const;

  // {"count","min","mean","p50","p90","p99","p999","max","buckets":[[low,high,count],...]},
  // values divided by `scale` (e.g. 1000 to turn microseconds into milliseconds) except
  // the raw bucket bounds, which stay in recorded units so that reports can be merged.
  boost::json::value to_json(double scale = 1.0) const;

  static int index_of(std::uint64_t value);
  static std::uint64_t low_of(int index);
  static std::uint64_t high_of(int index);

 private:
  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
};

} // namespace loadgen

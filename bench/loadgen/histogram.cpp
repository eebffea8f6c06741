#include "loadgen/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

namespace loadgen {

// Bucket layout: group 0 holds 0..kSubBuckets-1 exactly; group g >= 1 holds the values whose
// highest set bit is kSubBits-1+g, split into kSubBuckets equal slices.
int Histogram::index_of(std::uint64_t value) {
  if (value < kSubBuckets) return static_cast<int>(value);
  const int top = std::bit_width(value) - 1; // >= kSubBits
  const int group = top - kSubBits + 1;
  const auto sub = static_cast<int>((value >> (top - kSubBits)) & (kSubBuckets - 1));
  return group * kSubBuckets + sub;
}

std::uint64_t Histogram::low_of(int index) {
  const int group = index / kSubBuckets;
  const auto sub = static_cast<std::uint64_t>(index % kSubBuckets);
  if (group == 0) return sub;
  const int shift = group - 1;
  return (std::uint64_t{kSubBuckets} + sub) << shift;
}

std::uint64_t Histogram::high_of(int index) {
  const int group = index / kSubBuckets;
  if (group == 0) return low_of(index);
  return low_of(index) + ((std::uint64_t{1} << (group - 1)) - 1);
}

void Histogram::record(std::uint64_t value) {
  ++counts_[static_cast<std::size_t>(index_of(value))];
  ++count_;
  sum_ += value;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
}

void Histogram::merge(const Histogram& other) {
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

std::uint64_t Histogram::percentile(double q) const {
  if (count_ == 0) return 0;
  const auto rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(std::clamp(q, 0.0, 1.0) * count_)));
  std::uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts_[static_cast<std::size_t>(i)];
    if (seen >= rank) return std::min(high_of(i), max_);
  }
  return max_;
}

std::vector<Histogram::Bucket> Histogram::buckets() const {
  std::vector<Bucket> out;
  for (int i = 0; i < kBuckets; ++i)
    if (const auto n = counts_[static_cast<std::size_t>(i)]) out.push_back({low_of(i), high_of(i), n});
  return out;
}

boost::json::value Histogram::to_json(double scale) const {
  const auto scaled = [scale](std::uint64_t v) { return static_cast<double>(v) / scale; };
  boost::json::array raw;
  for (const auto& b : buckets()) raw.push_back(boost::json::array{b.low, b.high, b.count});
  return boost::json::object{{"count", count_},
                             {"min", scaled(min())},
                             {"mean", mean() / scale},
                             {"p50", scaled(percentile(0.50))},
                             {"p90", scaled(percentile(0.90))},
                             {"p99", scaled(percentile(0.99))},
                             {"p999", scaled(percentile(0.999))},
                             {"max", scaled(max_)},
                             {"buckets", std::move(raw)}};
}

} // namespace loadgen

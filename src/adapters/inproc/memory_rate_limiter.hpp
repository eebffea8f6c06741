#pragma once
// In-process token buckets: exact within one process, forgotten on restart.
//
// Memory is bounded: at most `max_keys` buckets are tracked. When the table is full and a new
// key arrives, buckets that have refilled completely are dropped first (a full bucket is
// indistinguishable from no bucket, so this loses nothing). If none can be dropped, the request
// is ALLOWED without being tracked (fail-open). Refusing instead would let anyone who floods the
// table with fresh keys (spoofed e-mails, many IPs) lock every other new caller out; failing open
// only suspends limiting for new keys until old buckets refill, while existing keys stay limited.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.hpp"
#include "ports/rate_limiter.hpp"

namespace parley {

class MemoryRateLimiter final : public RateLimiter {
 public:
  // `clock` must outlive the limiter. Throws std::invalid_argument if max_keys is 0.
  explicit MemoryRateLimiter(const Clock& clock, std::size_t max_keys = 100000);

  // Thread-safe. When refused, retry_after is the whole seconds until one token is back
  // (rounded up, at least 1, at most one day — also the answer for rules that never refill).
  RateDecision take(std::string_view key, const RateRule& rule) override;

  // Buckets currently tracked (tests, metrics).
  std::size_t size() const;

 private:
  struct Bucket {
    double tokens = 0;
    std::int64_t updated_ms = 0;
    RateRule rule; // the rule last applied, needed to tell when the bucket is full again
  };
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };

  void refill(Bucket& bucket, std::int64_t now_ms) const;
  // Drops every bucket that has refilled completely. Runs at most once per kSweepIntervalMs so a
  // full table of busy keys does not cost a full scan on every request.
  void sweep(std::int64_t now_ms);

  const Clock& clock_;
  const std::size_t max_keys_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Bucket, KeyHash, std::equal_to<>> buckets_;
  std::int64_t last_sweep_ms_ = INT64_MIN;
};

} // namespace parley

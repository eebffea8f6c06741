#include "adapters/inproc/memory_rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <stdexcept>

namespace parley {
namespace {

constexpr std::int64_t kSweepIntervalMs = 1000;
constexpr double kMaxRetryAfterS = 86400;
// Absorbs floating-point noise so that exactly N seconds is not reported as N + 1.
constexpr double kEpsilon = 1e-9;

std::chrono::seconds retry_after(double tokens, double refill_per_sec) {
  if (refill_per_sec <= 0) return std::chrono::seconds(static_cast<std::int64_t>(kMaxRetryAfterS));
  const double wait = std::ceil((1.0 - tokens) / refill_per_sec - kEpsilon);
  return std::chrono::seconds(static_cast<std::int64_t>(std::clamp(wait, 1.0, kMaxRetryAfterS)));
}

} // namespace

MemoryRateLimiter::MemoryRateLimiter(const Clock& clock, std::size_t max_keys) : clock_(clock), max_keys_(max_keys) {
  if (max_keys_ == 0) throw std::invalid_argument("MemoryRateLimiter: max_keys must be positive");
}

void MemoryRateLimiter::refill(Bucket& bucket, std::int64_t now_ms) const {
  // A clock that steps back adds nothing (and does not move the bucket's time back).
  if (now_ms <= bucket.updated_ms) return;
  const double elapsed_s = static_cast<double>(now_ms - bucket.updated_ms) / 1000.0;
  if (bucket.rule.refill_per_sec > 0) {
    bucket.tokens = std::min(bucket.rule.burst, bucket.tokens + elapsed_s * bucket.rule.refill_per_sec);
  }
  bucket.updated_ms = now_ms;
}

void MemoryRateLimiter::sweep(std::int64_t now_ms) {
  if (last_sweep_ms_ != INT64_MIN && now_ms - last_sweep_ms_ < kSweepIntervalMs) return;
  last_sweep_ms_ = now_ms;
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    refill(it->second, now_ms);
    it = it->second.tokens >= it->second.rule.burst ? buckets_.erase(it) : std::next(it);
  }
}

RateDecision MemoryRateLimiter::take(std::string_view key, const RateRule& rule) {
  const std::int64_t now_ms = clock_.now_ms();
  const std::lock_guard lock(mutex_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) sweep(now_ms);
    if (buckets_.size() >= max_keys_) return RateDecision{true, std::chrono::seconds(0)}; // fail-open, see header
    it = buckets_.emplace(std::string(key), Bucket{rule.burst, now_ms, rule}).first;
  } else {
    // Tokens accrued under the rule in force until now; from here on the caller's rule applies.
    refill(it->second, now_ms);
    it->second.rule = rule;
    it->second.tokens = std::min(it->second.tokens, rule.burst);
  }
  Bucket& bucket = it->second;
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    return RateDecision{true, std::chrono::seconds(0)};
  }
  return RateDecision{false, retry_after(bucket.tokens, bucket.rule.refill_per_sec)};
}

std::size_t MemoryRateLimiter::size() const {
  const std::lock_guard lock(mutex_);
  return buckets_.size();
}

} // namespace parley

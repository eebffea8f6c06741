#pragma once
// Token-bucket rate limiting by key ("login:ip:1.2.3.4"). The in-process adapter is
// exact within one process; a shared adapter (Redis) makes limits hold across nodes
// and restarts.

#include <chrono>
#include <string_view>

namespace parley {

struct RateRule {
  double burst = 10;         // bucket capacity
  double refill_per_sec = 1; // tokens added per second
};

struct RateDecision {
  bool allowed = true;
  std::chrono::seconds retry_after{0}; // when refused: wait this long for one token
};

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  // Takes one token from `key`'s bucket if there is one.
  virtual RateDecision take(std::string_view key, const RateRule& rule) = 0;
};

} // namespace parley

#pragma once
// Token buckets shared by every node (and kept across restarts) in Redis: one hash per
// key, updated atomically by a script on Redis's clock. If Redis cannot be reached the
// request is allowed and an error logged (failing closed would lock every user out).

#include <string>

#include "adapters/redis/redis_client.hpp"
#include "ports/rate_limiter.hpp"

namespace parley {

class RedisRateLimiter final : public RateLimiter {
 public:
  explicit RedisRateLimiter(RedisConfig config, std::string prefix = "parley:rate:");
  RateDecision take(std::string_view key, const RateRule& rule) override;

 private:
  RedisClient redis_;
  std::string prefix_;
};

} // namespace parley

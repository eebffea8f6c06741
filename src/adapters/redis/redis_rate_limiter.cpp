#include "adapters/redis/redis_rate_limiter.hpp"

#include <cmath>
#include <cstdio>

#include "core/log.hpp"

namespace parley {

namespace {

const Logger kLog{"redis"};

// KEYS[1] bucket; ARGV burst, refill per second. Returns {allowed, retry_after_s}.
constexpr const char* kTakeScript = R"lua(
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1]) or burst
local at = tonumber(b[2]) or now
if rate > 0 then tokens = math.min(burst, tokens + (now - at) / 1000 * rate) end
local allowed, retry = 0, 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
elseif rate > 0 then
  retry = math.ceil((1 - tokens) / rate)
else
  retry = 86400
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
local ttl = 86400000
if rate > 0 then ttl = math.ceil(burst / rate * 1000) + 1000 end
redis.call('PEXPIRE', KEYS[1], ttl)
return {allowed, retry}
)lua";

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6f", v);
  return buf;
}

} // namespace

RedisRateLimiter::RedisRateLimiter(RedisConfig config, std::string prefix)
    : redis_(std::move(config)), prefix_(std::move(prefix)) {}

RateDecision RedisRateLimiter::take(std::string_view key, const RateRule& rule) {
  auto r = redis_.command(
      {"EVAL", kTakeScript, "1", prefix_ + std::string(key), number(rule.burst), number(rule.refill_per_sec)});
  if (!r || r->type != RedisReply::Type::array || r->elements.size() != 2) {
    kLog.error("rate limit not applied: redis failed", {{"error", r ? "unexpected reply" : r.error().message}});
    return {};
  }
  const bool allowed = r->elements[0].integer == 1;
  const auto retry = std::clamp<std::int64_t>(r->elements[1].integer, 1, 86400);
  return {allowed, allowed ? std::chrono::seconds(0) : std::chrono::seconds(retry)};
}

} // namespace parley

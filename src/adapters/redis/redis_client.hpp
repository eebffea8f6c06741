#pragma once
// A small synchronous Redis client on hiredis: one connection, commands in argv form
// (binary-safe, no formatting), thread-safe, reconnecting once when the connection broke.

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

struct redisContext;

namespace parley {

struct RedisConfig {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::chrono::milliseconds timeout{2000};
};

// "redis://host:port" (the only form accepted).
Result<RedisConfig> parse_redis_url(std::string_view url);

struct RedisReply {
  enum class Type { nil, integer, string, array, status };
  Type type = Type::nil;
  std::int64_t integer = 0;
  std::string string; // bulk strings and status replies
  std::vector<RedisReply> elements;
};

class RedisClient {
 public:
  explicit RedisClient(RedisConfig config);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Runs one command. A Redis error reply is `internal`; an unreachable server is
  // `unavailable` (the next call tries to connect again).
  Result<RedisReply> command(const std::vector<std::string>& args);
  // Waits for the next pushed reply (after SUBSCRIBE); `unavailable` on timeout or loss.
  Result<RedisReply> next_push();
  const RedisConfig& config() const { return config_; }

 private:
  Result<void> ensure_connected();
  void drop();

  RedisConfig config_;
  std::mutex mutex_;
  redisContext* context_ = nullptr;
};

} // namespace parley

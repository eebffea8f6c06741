#pragma once
// Presence across nodes in Redis. Each user has a hash of connection counts per node
// (parley:presence:<user>); each node keeps a heartbeat key (parley:node:<node>) alive
// with a TTL. A user is online while some node with a live heartbeat counts a connection
// of theirs, so a node that dies stops counting within `heartbeat_ttl`. Counts change in
// scripts, atomically, so "first connection" and "last connection" are exact across nodes.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "adapters/redis/redis_client.hpp"
#include "ports/presence.hpp"

namespace parley {

class RedisPresence final : public Presence {
 public:
  RedisPresence(RedisConfig config, std::string node_id,
                std::chrono::milliseconds heartbeat_ttl = std::chrono::seconds(15));
  ~RedisPresence() override; // stops the heartbeat and withdraws this node at once

  Result<bool> connected(std::string_view user_id, std::int64_t now_ms) override;
  Result<bool> disconnected(std::string_view user_id, std::int64_t now_ms) override;
  Result<std::vector<PresenceState>> states(const std::vector<std::string>& user_ids) override;

 private:
  Result<bool> change(std::string_view user_id, int delta, std::int64_t now_ms);
  void beat();

  RedisClient redis_;
  RedisClient heart_; // its own connection: a slow command never delays the heartbeat
  std::string node_id_;
  std::chrono::milliseconds ttl_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread heartbeat_;
};

} // namespace parley

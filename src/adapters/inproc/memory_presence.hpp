#pragma once
// Presence within one process (embedded mode): connection counts per user, and when each
// user was last seen. Last-seen times are forgotten on restart.

#include <mutex>
#include <string>
#include <unordered_map>

#include "ports/presence.hpp"

namespace parley {

class MemoryPresence final : public Presence {
 public:
  Result<bool> connected(std::string_view user_id, std::int64_t now_ms) override;
  Result<bool> disconnected(std::string_view user_id, std::int64_t now_ms) override;
  Result<std::vector<PresenceState>> states(const std::vector<std::string>& user_ids) override;

 private:
  struct Entry {
    int connections = 0;
    std::int64_t last_seen_ms = 0;
  };
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> users_;
};

} // namespace parley

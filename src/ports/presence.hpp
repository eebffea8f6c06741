#pragma once
// Who is online: a user is online while any of their connections is open, on any node.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace parley {

struct PresenceState {
  bool online = false;
  std::int64_t last_seen_ms = 0; // when the last connection closed; 0: not known
};

class Presence {
 public:
  virtual ~Presence() = default;
  // A connection of the user opened / closed. True when the user's status changed: the
  // first connection opened, or the last one closed.
  virtual Result<bool> connected(std::string_view user_id, std::int64_t now_ms) = 0;
  virtual Result<bool> disconnected(std::string_view user_id, std::int64_t now_ms) = 0;
  // One state per user id, in order.
  virtual Result<std::vector<PresenceState>> states(const std::vector<std::string>& user_ids) = 0;
};

} // namespace parley

#include "adapters/inproc/memory_presence.hpp"

namespace parley {

Result<bool> MemoryPresence::connected(std::string_view user_id, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  auto& e = users_[std::string(user_id)];
  e.last_seen_ms = now_ms;
  return ++e.connections == 1;
}

Result<bool> MemoryPresence::disconnected(std::string_view user_id, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  const auto it = users_.find(std::string(user_id));
  if (it == users_.end() || it->second.connections == 0) return false;
  it->second.last_seen_ms = now_ms;
  return --it->second.connections == 0;
}

Result<std::vector<PresenceState>> MemoryPresence::states(const std::vector<std::string>& user_ids) {
  std::vector<PresenceState> out;
  out.reserve(user_ids.size());
  std::lock_guard lock(mutex_);
  for (const auto& id : user_ids) {
    const auto it = users_.find(id);
    out.push_back(it == users_.end() ? PresenceState{}
                                     : PresenceState{it->second.connections > 0, it->second.last_seen_ms});
  }
  return out;
}

} // namespace parley

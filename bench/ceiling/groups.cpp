#include "ceiling/groups.hpp"

#include <algorithm>

#include "ceiling/session.hpp"

namespace ceiling {

void Groups::join(const std::string& group, const std::shared_ptr<Session>& session) {
  std::lock_guard lock(mutex_);
  members_[group].push_back(session);
}

void Groups::leave(const std::string& group, const Session* session) {
  std::lock_guard lock(mutex_);
  const auto it = members_.find(group);
  if (it == members_.end()) return;
  std::erase_if(it->second, [session](const auto& s) { return s.get() == session; });
  if (it->second.empty()) members_.erase(it);
}

void Groups::broadcast(const std::string& group, const Frame& frame) {
  std::vector<std::shared_ptr<Session>> targets;
  {
    std::lock_guard lock(mutex_);
    const auto it = members_.find(group);
    if (it == members_.end()) return;
    targets = it->second;
  }
  for (const auto& s : targets) s->send(frame);
}

} // namespace ceiling

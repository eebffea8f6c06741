#include "services/auth/cached_verifier.hpp"

namespace parley {

Result<Principal> CachedVerifier::verify(std::string_view token) const {
  const auto now_s = clock_.now_ms() / 1000;
  {
    std::lock_guard lock(mutex_);
    if (const auto it = accepted_.find(token); it != accepted_.end()) {
      if (now_s < it->second.expires_at_s) return it->second;
      accepted_.erase(it); // expired: the inner verifier says so
    }
  }
  auto who = inner_.verify(token);
  if (!who) return who;
  std::lock_guard lock(mutex_);
  if (accepted_.size() >= capacity_) accepted_.clear();
  accepted_.emplace(token, *who);
  return who;
}

} // namespace parley

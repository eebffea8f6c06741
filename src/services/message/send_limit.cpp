#include "services/message/send_limit.hpp"

#include <string>

namespace parley {

SendLimit::SendLimit(RateLimiter& limiter, double per_min, double burst)
    : limiter_(limiter), rule_{burst, per_min / 60.0} {}

Result<void> SendLimit::take(std::string_view user_id) const {
  const auto decision = limiter_.take("send:user:" + std::string(user_id), rule_);
  if (decision.allowed) return {};
  return fail(Error::rate_limited(decision.retry_after));
}

Result<std::optional<Appended>> SendLimitedMessaging::submit(std::string_view me, const SendInput& input) {
  if (auto ok = limit_.take(me); !ok) return fail(std::move(ok.error()));
  return inner_.submit(me, input);
}

} // namespace parley

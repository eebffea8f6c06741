#include "services/gateway/edge_guard.hpp"

#include "transport/proxy/forwarding.hpp"

namespace parley::gateway {

EdgeGuard::EdgeGuard(EdgeConfig config, RateLimiter& limiter, const AccessTokenVerifier& verifier)
    : config_(config), limiter_(limiter), verifier_(verifier) {}

std::optional<http::Response> EdgeGuard::check(const http::Request& req, bool needs_token) const {
  const double per_minute = config_.ip_per_minute;
  const RateRule rule{per_minute, per_minute / 60.0};
  const auto decision = limiter_.take("ip:" + http::client_ip(req, config_.trust_forwarded), rule);
  if (!decision.allowed) return http::error_response(Error::rate_limited(decision.retry_after));
  if (!needs_token) return std::nullopt;
  return check_token(req.bearer_token());
}

std::optional<http::Response> EdgeGuard::check_upgrade(const http::Request& req) const {
  const auto from_query = req.query("access_token");
  return check_token(from_query ? std::string_view(*from_query) : req.bearer_token());
}

std::optional<http::Response> EdgeGuard::check_token(std::string_view token) const {
  if (token.empty())
    return http::error_response(Error::unauthenticated("invalid_token", "a bearer access token is required"));
  const auto who = verifier_.verify(token);
  if (!who) return http::error_response(who.error());
  return std::nullopt;
}

} // namespace parley::gateway

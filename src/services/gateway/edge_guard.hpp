#pragma once
// What the gateway checks before it forwards anything: a per-IP rate limit on every API
// request, and an access token on every route that needs one. A request that fails either
// never reaches a service (which still verifies the token itself: the gateway is a first
// line, not the only one).

#include <optional>
#include <string>

#include "ports/access_tokens.hpp"
#include "ports/rate_limiter.hpp"
#include "transport/http/request.hpp"
#include "transport/http/response.hpp"

namespace parley::gateway {

struct EdgeConfig {
  int ip_per_minute = 600;      // sustained API requests per client address (and the burst)
  bool trust_forwarded = false; // the client address is the last X-Forwarded-For entry
};

class EdgeGuard {
 public:
  // `limiter` and `verifier` must outlive the guard.
  EdgeGuard(EdgeConfig config, RateLimiter& limiter, const AccessTokenVerifier& verifier);

  // nullopt to let the request through; otherwise the answer: 429 (rate_limited, with
  // Retry-After) over the client's limit; for a route that needs a token, 401 (invalid_token or
  // token_expired) without a valid bearer token, 503 (keys_unavailable) while the keys are not
  // loaded yet.
  std::optional<http::Response> check(const http::Request& req, bool needs_token) const;

  // The same for a WebSocket upgrade, whose token may also come as ?access_token= (browsers
  // cannot set headers on a WebSocket). Not rate limited: the nodes limit frames.
  std::optional<http::Response> check_upgrade(const http::Request& req) const;

 private:
  std::optional<http::Response> check_token(std::string_view token) const;

  EdgeConfig config_;
  RateLimiter& limiter_;
  const AccessTokenVerifier& verifier_;
};

} // namespace parley::gateway

#pragma once
// Where the gateway sends each public API route, and which routes need an access token.
//
// The owner of a path follows from its prefix (service_for); the table lists every route the
// services serve to clients (what `parley --routes` prints, without /healthz, /readyz and
// /metrics, which are each process's own). A route missing here is a 404 at the gateway; the
// unit test holds the table to docs/openapi.yaml, which the integration tests hold to
// `parley --routes`.

#include <optional>
#include <span>
#include <string_view>

namespace parley::gateway {

enum class Service { auth, user, chat, message, notification };

std::string_view service_name(Service service);

// The service that owns an API path:
//   /api/v1/auth/...                                       auth
//   /api/v1/users...                                       user
//   /api/v1/chats/{id}/messages..., /read, /delivered,
//   /api/v1/chats/{id}/media/..., /api/v1/media/...        message (which also serves media)
//   other /api/v1/chats...                                 chat
//   /api/v1/notifications...                               notification
// nullopt for anything else (/internal/... included: it is never forwarded).
std::optional<Service> service_for(std::string_view path);

struct GatewayRoute {
  std::string_view method;
  std::string_view pattern; // the router's syntax: "/api/v1/chats/{chat_id}"
  bool needs_token;         // false: public (sign-up, login, JWKS, signed media URLs, ...)
};

// Every public API route, each owned by service_for(pattern).
std::span<const GatewayRoute> gateway_routes();

} // namespace parley::gateway

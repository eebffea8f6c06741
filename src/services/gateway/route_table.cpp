#include "services/gateway/route_table.hpp"

#include <array>

namespace parley::gateway {
namespace {

constexpr bool kPublic = false;
constexpr bool kToken = true;

constexpr std::array<GatewayRoute, 41> kRoutes{{
    {"POST", "/api/v1/auth/register", kPublic},
    {"POST", "/api/v1/auth/verify", kPublic},
    {"POST", "/api/v1/auth/verify/resend", kPublic},
    {"POST", "/api/v1/auth/login", kPublic},
    {"POST", "/api/v1/auth/refresh", kPublic},
    {"POST", "/api/v1/auth/logout", kToken},
    {"POST", "/api/v1/auth/logout-all", kToken},
    {"POST", "/api/v1/auth/password/forgot", kPublic},
    {"POST", "/api/v1/auth/password/reset", kPublic},
    {"POST", "/api/v1/auth/password/change", kToken},
    {"GET", "/api/v1/auth/jwks", kPublic},
    {"GET", "/api/v1/users/me", kToken},
    {"PATCH", "/api/v1/users/me", kToken},
    {"DELETE", "/api/v1/users/me", kToken},
    {"GET", "/api/v1/users/{id}", kToken},
    {"GET", "/api/v1/users", kToken},
    {"POST", "/api/v1/chats/direct", kToken},
    {"POST", "/api/v1/chats/groups", kToken},
    {"GET", "/api/v1/chats", kToken},
    {"GET", "/api/v1/chats/{chat_id}", kToken},
    {"PATCH", "/api/v1/chats/{chat_id}", kToken},
    {"POST", "/api/v1/chats/{chat_id}/members", kToken},
    {"DELETE", "/api/v1/chats/{chat_id}/members/{user_id}", kToken},
    {"PATCH", "/api/v1/chats/{chat_id}/members/{user_id}", kToken},
    {"POST", "/api/v1/chats/{chat_id}/owner", kToken},
    {"POST", "/api/v1/chats/{chat_id}/messages", kToken},
    {"GET", "/api/v1/chats/{chat_id}/messages", kToken},
    {"PATCH", "/api/v1/chats/{chat_id}/messages/{message_id}", kToken},
    {"DELETE", "/api/v1/chats/{chat_id}/messages/{message_id}", kToken},
    {"PUT", "/api/v1/chats/{chat_id}/messages/{message_id}/reaction", kToken},
    {"DELETE", "/api/v1/chats/{chat_id}/messages/{message_id}/reaction", kToken},
    {"POST", "/api/v1/chats/{chat_id}/read", kToken},
    {"POST", "/api/v1/chats/{chat_id}/delivered", kToken},
    {"GET", "/api/v1/notifications", kToken},
    {"GET", "/api/v1/notifications/unread_count", kToken},
    {"POST", "/api/v1/notifications/{notification_id}/read", kToken},
    {"POST", "/api/v1/notifications/read_all", kToken},
    {"POST", "/api/v1/media/uploads", kToken},
    {"GET", "/api/v1/chats/{chat_id}/media/{key}", kToken},
    {"PUT", "/api/v1/media/blob/{key}", kPublic}, // signed URLs: the signature is the credential
    {"GET", "/api/v1/media/blob/{key}", kPublic},
}};

// `path` is `prefix` or continues it with a new segment.
bool under(std::string_view path, std::string_view prefix) {
  return path.starts_with(prefix) && (path.size() == prefix.size() || path[prefix.size()] == '/');
}

} // namespace

std::string_view service_name(Service service) {
  switch (service) {
    case Service::auth:
      return "auth";
    case Service::user:
      return "user";
    case Service::chat:
      return "chat";
    case Service::message:
      return "message";
    case Service::notification:
      return "notification";
  }
  return "unknown";
}

std::optional<Service> service_for(std::string_view path) {
  if (under(path, "/api/v1/auth")) return Service::auth;
  if (under(path, "/api/v1/users")) return Service::user;
  if (under(path, "/api/v1/media")) return Service::message;
  if (under(path, "/api/v1/notifications")) return Service::notification;
  if (!under(path, "/api/v1/chats")) return std::nullopt;
  // /api/v1/chats/{id}/<part>...: the message service owns a chat's messages, cursors and media.
  std::string_view rest = path.substr(std::string_view("/api/v1/chats").size());
  if (rest.starts_with('/')) rest.remove_prefix(1);
  const auto slash = rest.find('/');
  if (slash != std::string_view::npos && slash > 0) {
    std::string_view part = rest.substr(slash + 1);
    part = part.substr(0, part.find('/'));
    if (part == "messages" || part == "read" || part == "delivered" || part == "media") return Service::message;
  }
  return Service::chat;
}

std::span<const GatewayRoute> gateway_routes() { return kRoutes; }

} // namespace parley::gateway

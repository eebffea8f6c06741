#pragma once
// The chat service's internal API, for the message, WebSocket and media services
// (docs/internal-api.md):
//   GET  /internal/v1/chats/{chat_id}/members/{user_id} → {"role": "owner"|"admin"|"member"|null}
//   GET  /internal/v1/chats/{chat_id}/members           → {"user_ids": [...]}
//   GET  /internal/v1/users/{user_id}/contacts          → {"user_ids": [...]}
//   POST /internal/v1/chats/{chat_id}/touch {"at_ms"}   → 204 | 404 chat_not_found
// Every route needs the service token.

#include <string>

#include "ports/membership.hpp"
#include "transport/http/router.hpp"

namespace parley {
void mount_chat_internal_routes(http::Router& router, Membership& membership, std::string service_token);
} // namespace parley

#pragma once
// The message service's internal API for the chat and notification services
// (docs/internal-api.md):
//   GET /internal/v1/chats/{chat_id}/digest?user_id=...
//     → {"last_message": <message_wire>|null, "last_seq", "unread_count", "read_seq"}
// (the user in the query: it may be any string, even empty, and gets the service's answer).
// It needs the service token. The WebSocket nodes' routes are mount_messaging_routes.

#include <string>

#include "ports/message_digest.hpp"
#include "transport/http/router.hpp"

namespace parley {
void mount_message_internal_routes(http::Router& router, MessageDigest& digests, std::string service_token);
} // namespace parley

#pragma once
// HTTP mapping of the message service: /api/v1/chats/{chat_id}/messages..., read and
// delivered cursors, reactions.

#include "ports/access_tokens.hpp"
#include "services/message/service.hpp"
#include "transport/http/router.hpp"

namespace parley {
void mount_message_routes(http::Router& router, MessageService& messages, const AccessTokenVerifier& verifier);
} // namespace parley

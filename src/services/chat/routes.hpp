#pragma once
// HTTP mapping of the chat service: /api/v1/chats...

#include "ports/access_tokens.hpp"
#include "services/chat/service.hpp"
#include "transport/http/router.hpp"

namespace parley {
void mount_chat_routes(http::Router& router, ChatService& chats, const AccessTokenVerifier& verifier);
} // namespace parley

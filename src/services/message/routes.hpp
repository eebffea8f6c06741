#pragma once
// HTTP mapping of the message service: /api/v1/chats/{chat_id}/messages..., read and
// delivered cursors, reactions.

#include <functional>

#include "ports/access_tokens.hpp"
#include "services/message/service.hpp"
#include "transport/http/router.hpp"

namespace parley {

// How POST .../messages stores a message: MessageService::send unless told otherwise (a
// distributed deployment queues it, see QueuedSends).
using SendFunction = std::function<Result<Appended>(std::string_view me, const SendInput& input)>;

void mount_message_routes(http::Router& router, MessageService& messages, const AccessTokenVerifier& verifier,
                          SendFunction send = {});

} // namespace parley

#pragma once
// The internal API behind Messaging, for WebSocket nodes acting for their connected users
// (docs/internal-api.md): POST /internal/v1/messaging/{edit,remove,history,read,delivered,
// react,unreact}, each with the acting `user_id` in the body. Sends do not come this way:
// they are commands on the event log (services/message/commands.hpp).

#include <string>

#include "ports/messaging.hpp"
#include "transport/http/router.hpp"

namespace parley {
void mount_messaging_routes(http::Router& router, Messaging& messages, std::string service_token);
} // namespace parley

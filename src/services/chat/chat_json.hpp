#pragma once
// The JSON shapes of chats, shared by the REST routes and the live chat.updated events.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "ports/presence.hpp"
#include "services/chat/service.hpp"

namespace parley {

boost::json::object chat_json(const Chat& chat);
// The chat with its members, each with role and presence.
boost::json::object view_json(const ChatView& view);
// {"online": bool, "last_seen": RFC 3339 or null}
boost::json::object presence_json(const PresenceState& state);

} // namespace parley

#pragma once
// The JSON shape of a message, shared by the REST routes and the WebSocket frames.

#include <vector>

#include <boost/json/object.hpp>

#include "ports/message_store.hpp"

namespace parley {
boost::json::object message_json(const Message& m);
// `reactions` may hold reactions of other messages too; only this message's are taken.
boost::json::object message_json(const Message& m, const std::vector<Reaction>& reactions);
} // namespace parley

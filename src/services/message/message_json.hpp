#pragma once
// The JSON shape of a message, shared by the REST routes and the WebSocket frames.

#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "core/error.hpp"
#include "domain/message.hpp"
#include "ports/message_store.hpp"

namespace parley {
boost::json::object message_json(const Message& m);
// `reactions` may hold reactions of other messages too; only this message's are taken.
boost::json::object message_json(const Message& m, const std::vector<Reaction>& reactions);

boost::json::array attachments_json(const std::vector<domain::Attachment>& attachments);
// A client's "attachments" field (absent: none): an array of objects with key, name,
// content_type, size and optional width/height (400 "invalid_field" otherwise).
Result<std::vector<domain::Attachment>> attachments_from_json(const boost::json::value* value);
} // namespace parley

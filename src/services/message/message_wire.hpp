#pragma once
// A message exactly as stored, for the internal API between services (the public JSON shape
// is message_json). Round-trips every field.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "core/error.hpp"
#include "domain/message.hpp"

namespace parley {
boost::json::object message_wire(const domain::Message& m);
// Fails with internal "malformed_message" on anything message_wire() does not produce.
Result<domain::Message> message_from_wire(const boost::json::value& value);
} // namespace parley

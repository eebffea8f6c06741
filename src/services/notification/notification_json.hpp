#pragma once
// The JSON shape of a notification, shared by the REST routes and live events.

#include <boost/json/object.hpp>

#include "ports/notification_store.hpp"

namespace parley {

boost::json::object notification_json(const Notification& n);

} // namespace parley

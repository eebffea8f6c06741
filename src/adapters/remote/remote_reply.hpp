#pragma once
// What every remote adapter does around ServiceClient::call: ids into path segments, the
// callee's errors as the caller's caller should see them, and strict reading of replies
// (a reply of the wrong shape is an internal error, never an exception).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "core/error.hpp"
#include "transport/client/service_client.hpp"

namespace parley::remote {

// `id` as a path segment or query value: every byte but A-Z a-z 0-9 - _ ~ percent-encoded,
// so an id can neither leave its place nor change the route.
std::string escape(std::string_view id);

// The callee's error, except that a refused service token (a deployment fault: the two
// services disagree on the token) becomes internal, so that no end user is ever told 401.
Error upstream(Error error);

// Internal "malformed_reply": `service` answered with a shape the adapter does not know.
Error malformed(const ServiceClient& service, std::string_view what);

// The member `key` of `reply` when `reply` is an object that has it; nullptr otherwise.
const boost::json::value* member(const boost::json::value& reply, std::string_view key);

// The strings of a JSON array of strings; nullopt for anything else (absent included).
std::optional<std::vector<std::string>> string_list(const boost::json::value* value);

} // namespace parley::remote

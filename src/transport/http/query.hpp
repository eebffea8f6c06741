#pragma once
// Query parameters that list routes share: integers, and opaque keyset cursors.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "transport/http/request.hpp"

namespace parley::http {

// A non-negative integer parameter, `fallback` when absent; 400 "invalid_query" otherwise.
Result<std::int64_t> query_int(const Request& req, std::string_view name, std::int64_t fallback);

// A position in a list ordered by (number, id), as an opaque string for clients.
struct Keyset {
  std::int64_t number = 0;
  std::string id;
};
std::string encode_keyset(const Keyset& k);
// The "cursor" parameter: nullopt when absent or empty; 400 "invalid_cursor" when malformed.
Result<std::optional<Keyset>> cursor_param(const Request& req);

} // namespace parley::http

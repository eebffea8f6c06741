#pragma once
// The internal API (/internal/v1/...) is for other services only: a request must carry the
// deployment's shared service token in X-Parley-Service-Token.

#include <string>
#include <string_view>

#include "core/error.hpp"
#include "transport/http/request.hpp"
#include "transport/http/router.hpp"

namespace parley::http {
// Fails with unauthenticated "invalid_service_token" unless the header equals `token`
// (compared in constant time). An empty `token` refuses every request.
Result<void> authenticate_service(const Request& req, std::string_view token);

// `handler` behind authenticate_service: without the token the request gets the 401 error
// envelope and `handler` never runs. Every internal route is mounted through this.
Handler service_only(std::string token, Handler handler);

// A `{name}` segment of an internal route, percent-decoded (callers encode every id they put
// in a path); invalid_argument "invalid_path" on a malformed escape.
Result<std::string> internal_path_param(const Request& req, std::string_view name);
} // namespace parley::http

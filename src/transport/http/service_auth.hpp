#pragma once
// The internal API (/internal/v1/...) is for other services only: a request must carry the
// deployment's shared service token in X-Parley-Service-Token.

#include <string_view>

#include "core/error.hpp"
#include "transport/http/request.hpp"

namespace parley::http {
// Fails with unauthenticated "invalid_service_token" unless the header equals `token`
// (compared in constant time). An empty `token` refuses every request.
Result<void> authenticate_service(const Request& req, std::string_view token);
} // namespace parley::http

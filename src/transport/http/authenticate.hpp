#pragma once
#include "core/error.hpp"
#include "ports/access_tokens.hpp"
#include "transport/http/request.hpp"

namespace parley::http {
// The principal of the request's bearer token (401 "invalid_token" when absent or bad).
Result<Principal> authenticate(const Request& req, const AccessTokenVerifier& verifier);
} // namespace parley::http

#pragma once
// HTTP mapping of the auth service: /api/v1/auth/...

#include "ports/access_tokens.hpp"
#include "services/auth/service.hpp"
#include "transport/http/router.hpp"

namespace parley {
void mount_auth_routes(http::Router& router, AuthService& auth, const AccessTokenVerifier& verifier);
} // namespace parley

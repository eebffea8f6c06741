#pragma once
// HTTP mapping of the user service: /api/v1/users/...

#include "ports/access_tokens.hpp"
#include "services/user/service.hpp"
#include "transport/http/router.hpp"

namespace parley {
void mount_user_routes(http::Router& router, UserService& users, const AccessTokenVerifier& verifier);
} // namespace parley

#pragma once
// The user service's internal API, for the auth service (docs/internal-api.md):
//   POST   /internal/v1/profiles            {id, username, email, display_name} → 204
//   GET    /internal/v1/profiles/{user_id}  → 200 {"id"} | 404 user_not_found
//   DELETE /internal/v1/profiles/{user_id}  → 204 (also when there is no such profile)
// Every route needs the service token.

#include <string>

#include "ports/user_directory.hpp"
#include "transport/http/router.hpp"

namespace parley {
void mount_user_internal_routes(http::Router& router, UserDirectory& users, std::string service_token);
} // namespace parley

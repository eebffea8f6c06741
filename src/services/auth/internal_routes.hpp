#pragma once
// The auth service's internal API (docs/internal-api.md):
//   POST /internal/v1/accounts/{user_id}/close {password} → 204 | 401 invalid_credentials
//     (the user service, deleting an account)
//   GET  /internal/v1/accounts/{user_id}/email → 200 {"email": string|null}
//     (the notification service; null unless verified)
// Every route needs the service token.

#include <string>

#include "ports/account_admin.hpp"
#include "ports/email_directory.hpp"
#include "transport/http/router.hpp"

namespace parley {
// The auth service implements both ports: mount_auth_internal_routes(router, auth, auth, token).
void mount_auth_internal_routes(http::Router& router, AccountAdmin& accounts, EmailDirectory& emails,
                                std::string service_token);
} // namespace parley

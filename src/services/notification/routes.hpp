#pragma once
// HTTP mapping of the notification service: /api/v1/notifications...

#include "ports/access_tokens.hpp"
#include "services/notification/service.hpp"
#include "transport/http/router.hpp"

namespace parley {
void mount_notification_routes(http::Router& router, NotificationService& notifications,
                               const AccessTokenVerifier& verifier);
} // namespace parley

#pragma once
// HTTP mapping of the media service: POST /api/v1/media/uploads and
// GET /api/v1/chats/{chat_id}/media/{key}.

#include "ports/access_tokens.hpp"
#include "services/media/service.hpp"
#include "transport/http/router.hpp"

namespace parley {
void mount_media_routes(http::Router& router, MediaService& media, const AccessTokenVerifier& verifier);
} // namespace parley

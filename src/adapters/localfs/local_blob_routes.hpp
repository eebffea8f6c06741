#pragma once
// The HTTP side of the local media storage: PUT and GET /api/v1/media/blob/{key}, the
// targets of its pre-signed URLs. Authorised by the URL's signature alone (no token).

#include "adapters/localfs/local_media_storage.hpp"
#include "transport/http/router.hpp"

namespace parley {
void mount_blob_routes(http::Router& router, LocalMediaStorage& storage);
} // namespace parley

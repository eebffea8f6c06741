#pragma once
// The gateway's HTTP surface: every public API route (route_table.hpp), checked by the edge
// guard and forwarded to its service; the web client for other GET requests; 404 for
// /internal/... whatever the method. /healthz, /readyz and /metrics are mounted by the app,
// /ws is the tunnel's.

#include <functional>

#include "services/gateway/edge_guard.hpp"
#include "services/gateway/route_table.hpp"
#include "transport/http/router.hpp"
#include "transport/http/static_files.hpp"

namespace parley::gateway {

// Sends a request to an instance of `service` and answers with its answer (blocking).
using Forward = std::function<http::Response(Service service, const http::Request& req)>;

// `edge` must outlive the router.
void mount_gateway_routes(http::Router& router, const EdgeGuard& edge, Forward forward);

// Serves `web` (which must outlive the router) for GET and HEAD requests no route matched,
// except under /internal/ and /api/ (404).
void mount_web_client(http::Router& router, const http::StaticFiles& web);

} // namespace parley::gateway

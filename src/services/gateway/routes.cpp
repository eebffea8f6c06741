#include "services/gateway/routes.hpp"

#include <stdexcept>
#include <string>

namespace parley::gateway {

void mount_gateway_routes(http::Router& router, const EdgeGuard& edge, Forward forward) {
  for (const auto& route : gateway_routes()) {
    const auto service = service_for(route.pattern);
    if (!service) throw std::logic_error("no service owns " + std::string(route.pattern));
    router.add(std::string(route.method), std::string(route.pattern),
               [&edge, forward, service = *service, needs_token = route.needs_token](http::Request& req) {
                 if (auto refusal = edge.check(req, needs_token)) return std::move(*refusal);
                 return forward(service, req);
               });
  }
}

void mount_web_client(http::Router& router, const http::StaticFiles& web) {
  router.set_fallback([&web](http::Request& req) {
    const auto path = req.path();
    if (path == "/internal" || path.starts_with("/internal/"))
      return http::error_response(Error::not_found("not_found", "no such route"));
    return web.serve(req); // 404 under /api/ too
  });
}

} // namespace parley::gateway

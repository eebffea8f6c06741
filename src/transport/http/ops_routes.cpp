#include "transport/http/ops_routes.hpp"

namespace parley::http {

void mount_ops_routes(Router& router, const HttpMetrics& metrics, std::function<bool()> ready) {
  router.add("GET", "/healthz", [](Request&) { return json_response(200, {{"status", "ok"}}); });
  router.add("GET", "/readyz", [ready = std::move(ready)](Request&) {
    return ready() ? json_response(200, {{"status", "ready"}}) : json_response(503, {{"status", "unavailable"}});
  });
  router.add("GET", "/metrics", [&metrics](Request&) {
    return Response{200, metrics.render(), "text/plain; version=0.0.4; charset=utf-8"};
  });
}

} // namespace parley::http

#pragma once
// /healthz (the process answers), /readyz (it serves: 503 while starting or stopping),
// /metrics (Prometheus text).

#include <functional>

#include "transport/http/metrics.hpp"
#include "transport/http/router.hpp"

namespace parley::http {
void mount_ops_routes(Router& router, const HttpMetrics& metrics, std::function<bool()> ready);
} // namespace parley::http

#include "transport/http/metrics.hpp"

#include <cstdio>

namespace parley::http {
namespace {

std::string format_double(double v) {
  char buf[32];
  const int n = std::snprintf(buf, sizeof buf, "%g", v);
  return std::string(buf, static_cast<std::size_t>(n));
}

} // namespace

void HttpMetrics::observe(std::string_view route, std::string_view method, unsigned status, double seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[std::make_tuple(std::string(route), std::string(method), status)];
  auto it = latency_.find(route);
  if (it == latency_.end()) it = latency_.emplace(std::string(route), Histogram{}).first;
  Histogram& h = it->second;
  for (std::size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) ++h.buckets[i];
  ++h.count;
  h.sum += seconds;
}

std::string HttpMetrics::render() const {
  std::string out;
  out += "# HELP parley_http_connections_open Open HTTP connections.\n";
  out += "# TYPE parley_http_connections_open gauge\n";
  out += "parley_http_connections_open " + std::to_string(open_connections_.load()) + "\n";
  std::lock_guard lock(mutex_);
  out += "# HELP parley_http_requests_total HTTP requests by route, method and status.\n";
  out += "# TYPE parley_http_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    const auto& [route, method, status] = key;
    out += "parley_http_requests_total{route=\"" + route + "\",method=\"" + method + "\",status=\"" +
           std::to_string(status) + "\"} " + std::to_string(count) + "\n";
  }
  out += "# HELP parley_http_request_duration_seconds HTTP request latency by route.\n";
  out += "# TYPE parley_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    const std::string label = "route=\"" + route + "\"";
    for (std::size_t i = 0; i < kBuckets.size(); ++i)
      out += "parley_http_request_duration_seconds_bucket{" + label + ",le=\"" + format_double(kBuckets[i]) + "\"} " +
             std::to_string(h.buckets[i]) + "\n";
    out += "parley_http_request_duration_seconds_bucket{" + label + ",le=\"+Inf\"} " + std::to_string(h.count) + "\n";
    out += "parley_http_request_duration_seconds_sum{" + label + "} " + format_double(h.sum) + "\n";
    out += "parley_http_request_duration_seconds_count{" + label + "} " + std::to_string(h.count) + "\n";
  }
  return out;
}

} // namespace parley::http

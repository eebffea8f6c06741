#include "transport/http/pipeline.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <random>

#include "core/log.hpp"

namespace parley::http {
namespace {

const Logger kLog{"http"};

bool plain_id(std::string_view id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += sep;
    out += item;
  }
  return out;
}

} // namespace

std::string request_id_for(const Request& req) {
  if (const auto given = req.header("X-Request-Id"); given && plain_id(*given)) return std::string(*given);
  // A random per-process prefix and a counter: unique, cheap, not guessable across restarts.
  static const std::uint64_t prefix = std::random_device{}() & 0xffffff;
  static std::atomic<std::uint64_t> counter{0};
  char buf[32];
  const int n = std::snprintf(buf, sizeof buf, "%06llx%010llx", static_cast<unsigned long long>(prefix),
                              static_cast<unsigned long long>(++counter));
  return std::string(buf, static_cast<std::size_t>(n));
}

Pipeline::Pipeline(const Router& router, HttpMetrics& metrics, std::vector<std::string> cors_origins)
    : router_(router), metrics_(metrics), cors_origins_(std::move(cors_origins)) {}

Response Pipeline::handle(Request& req) const {
  const auto start = std::chrono::steady_clock::now();
  if (req.request_id.empty()) req.request_id = request_id_for(req);
  std::string route_name = "unmatched";
  Response res = dispatch(req, route_name);
  add_safety_headers(res);
  add_cors(req, res);
  res.headers.emplace_back("X-Request-Id", req.request_id);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  metrics_.observe(route_name, req.method(), res.status, seconds);
  kLog.info("request", {{"req", req.request_id},
                        {"method", req.method()},
                        {"path", req.path()},
                        {"route", route_name},
                        {"status", res.status},
                        {"ms", seconds * 1000.0},
                        {"ip", req.remote_ip}});
  return res;
}

Response Pipeline::dispatch(Request& req, std::string& route_name) const {
  const bool preflight = req.message.method() == beast_http::verb::options;
  const auto match = router_.match(preflight ? std::string_view("*") : req.method(), req.path(), req.path_params);
  if (preflight) {
    if (!match.path_matched) return error_response(Error::not_found("not_found", "no such route"));
    Response res = no_content();
    res.headers.emplace_back("Access-Control-Allow-Methods", join(match.allowed, ", ") + ", OPTIONS");
    res.headers.emplace_back("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Request-Id");
    res.headers.emplace_back("Access-Control-Max-Age", "600");
    return res;
  }
  const Handler* handler = match.route ? &match.route->handler : nullptr;
  const auto verb = req.message.method();
  if (!handler && !match.path_matched && router_.fallback() &&
      (verb == beast_http::verb::get || verb == beast_http::verb::head)) {
    handler = &router_.fallback();
    route_name = "static";
  }
  if (!handler) {
    if (!match.path_matched) return error_response(Error::not_found("not_found", "no such route"));
    Response res = error_response({ErrorKind::method_not_allowed, "method_not_allowed", "method not allowed here"});
    res.headers.emplace_back("Allow", join(match.allowed, ", "));
    return res;
  }
  if (match.route) route_name = match.route->pattern;
  try {
    return (*handler)(req);
  } catch (const std::exception& e) {
    kLog.error("handler failed", {{"req", req.request_id}, {"route", route_name}, {"what", e.what()}});
  } catch (...) {
    kLog.error("handler failed", {{"req", req.request_id}, {"route", route_name}});
  }
  return error_response(Error::internal("handler failed"));
}

// Unless the handler chose otherwise: browsers must not guess a type for JSON that carries
// users' text, and answers (tokens, profiles, messages) are not to be stored by any cache.
void Pipeline::add_safety_headers(Response& res) {
  const auto has = [&](std::string_view name) {
    return std::any_of(res.headers.begin(), res.headers.end(), [&](const auto& h) {
      return std::equal(h.first.begin(), h.first.end(), name.begin(), name.end(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
      });
    });
  };
  if (!has("X-Content-Type-Options")) res.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (!has("Cache-Control")) res.headers.emplace_back("Cache-Control", "no-store");
}

void Pipeline::add_cors(const Request& req, Response& res) const {
  const auto origin = req.header("Origin");
  if (!origin) return;
  if (std::find(cors_origins_.begin(), cors_origins_.end(), *origin) == cors_origins_.end()) return;
  res.headers.emplace_back("Access-Control-Allow-Origin", std::string(*origin));
  res.headers.emplace_back("Access-Control-Expose-Headers", "X-Request-Id, Retry-After");
  res.headers.emplace_back("Vary", "Origin");
}

} // namespace parley::http

#include "transport/http/router.hpp"

#include <algorithm>
#include <stdexcept>

namespace parley::http {
namespace {

// Splits "/a/b/c" into {"a","b","c"}; "" and "/" give {}.
std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    const auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash);
  }
  return out;
}

bool is_param(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

bool path_matches(std::string_view pattern, std::string_view path,
                  std::vector<std::pair<std::string, std::string>>* params) {
  const auto want = segments(pattern);
  const auto have = segments(path);
  if (want.size() != have.size()) return false;
  // A trailing slash is a different resource: "/users/" does not match "/users".
  if (path.size() > 1 && path.back() == '/') return false;
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (is_param(want[i])) {
      if (params) params->emplace_back(std::string(want[i].substr(1, want[i].size() - 2)), std::string(have[i]));
    } else if (want[i] != have[i]) {
      return false;
    }
  }
  return true;
}

} // namespace

void Router::add(std::string method, std::string pattern, Handler handler) {
  if (pattern.empty() || pattern.front() != '/')
    throw std::invalid_argument("route pattern must start with /: " + pattern);
  for (const auto& r : routes_)
    if (r.method == method && r.pattern == pattern)
      throw std::invalid_argument("duplicate route " + method + " " + pattern);
  routes_.push_back(Route{std::move(method), std::move(pattern), std::move(handler)});
}

RouteMatch Router::match(std::string_view method, std::string_view path,
                         std::vector<std::pair<std::string, std::string>>& params) const {
  RouteMatch m;
  std::size_t best_literals = 0;
  for (const auto& r : routes_) {
    if (!path_matches(r.pattern, path, nullptr)) continue;
    m.path_matched = true;
    if (std::find(m.allowed.begin(), m.allowed.end(), r.method) == m.allowed.end()) m.allowed.push_back(r.method);
    if (r.method != method) continue;
    // The most specific route wins: "/users/me" over "/users/{id}".
    const auto pattern_segments = segments(r.pattern);
    const auto literals = static_cast<std::size_t>(
        std::count_if(pattern_segments.begin(), pattern_segments.end(), [](auto s) { return !is_param(s); }));
    if (!m.route || literals > best_literals) {
      m.route = &r;
      best_literals = literals;
    }
  }
  params.clear();
  if (m.route) path_matches(m.route->pattern, path, &params);
  return m;
}

} // namespace parley::http

#pragma once
// Routes by method and path pattern. Patterns are literal segments and `{name}`
// parameters ("/api/v1/users/{id}"); a parameter matches one non-empty segment.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "transport/http/request.hpp"
#include "transport/http/response.hpp"

namespace parley::http {

// Handlers run on the blocking pool: they may call stores and hash passwords.
using Handler = std::function<Response(Request&)>;

struct Route {
  std::string method;
  std::string pattern;
  Handler handler;
};

struct RouteMatch {
  const Route* route = nullptr;     // null when nothing matched
  bool path_matched = false;        // some route has this path (→ 405, not 404)
  std::vector<std::string> allowed; // methods of the routes with this path
};

class Router {
 public:
  // Throws std::invalid_argument on a duplicate (method, pattern) or a malformed pattern.
  void add(std::string method, std::string pattern, Handler handler);
  // Finds the route; fills `params` with the route's parameters.
  RouteMatch match(std::string_view method, std::string_view path,
                   std::vector<std::pair<std::string, std::string>>& params) const;
  const std::vector<Route>& routes() const { return routes_; }
  // Answers GET and HEAD requests whose path no route has (a static web client).
  void set_fallback(Handler handler) { fallback_ = std::move(handler); }
  const Handler& fallback() const { return fallback_; }

 private:
  std::vector<Route> routes_;
  Handler fallback_;
};

} // namespace parley::http

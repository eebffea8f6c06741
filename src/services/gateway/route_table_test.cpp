#include "services/gateway/route_table.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <string>

namespace parley::gateway {
namespace {

// (method, pattern) -> needs a token, read from docs/openapi.yaml's layout: paths at two
// spaces, operations at four, an operation's `security:` at six ("security: []" is public).
std::map<std::pair<std::string, std::string>, bool> documented_routes() {
  std::ifstream in(std::string(PARLEY_SOURCE_DIR) + "/docs/openapi.yaml");
  EXPECT_TRUE(in) << "cannot read docs/openapi.yaml";
  const std::set<std::string> methods{"get", "put", "post", "delete", "patch", "head", "options"};
  std::map<std::pair<std::string, std::string>, bool> out;
  std::string line;
  std::string path;
  std::pair<std::string, std::string> operation;
  bool in_paths = false;
  while (std::getline(in, line)) {
    if (line == "paths:") {
      in_paths = true;
      continue;
    }
    if (!in_paths) continue;
    if (!line.empty() && line[0] != ' ') break; // the next top-level key
    if (line.starts_with("  /") && line.ends_with(":") && !line.starts_with("   ")) {
      path = line.substr(2, line.size() - 3);
      operation = {};
    } else if (line.starts_with("    ") && !line.starts_with("     ") && line.ends_with(":")) {
      std::string word = line.substr(4, line.size() - 5);
      operation = {};
      if (methods.contains(word)) {
        for (auto& c : word) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        operation = {word, path};
        out[operation] = false; // the document's default: security: []
      }
    } else if (!operation.first.empty() && line.starts_with("      security:") && !line.starts_with("       ")) {
      out[operation] = line.find("[]") == std::string::npos;
    }
  }
  return out;
}

bool is_ops(const std::string& path) { return path == "/healthz" || path == "/readyz" || path == "/metrics"; }

TEST(RouteTable, PrefixesPickTheService) {
  const std::vector<std::pair<std::string, Service>> cases{
      {"/api/v1/auth/login", Service::auth},
      {"/api/v1/auth/jwks", Service::auth},
      {"/api/v1/auth", Service::auth},
      {"/api/v1/users", Service::user},
      {"/api/v1/users/me", Service::user},
      {"/api/v1/users/123", Service::user},
      {"/api/v1/chats", Service::chat},
      {"/api/v1/chats/direct", Service::chat},
      {"/api/v1/chats/42", Service::chat},
      {"/api/v1/chats/42/members/7", Service::chat},
      {"/api/v1/chats/42/owner", Service::chat},
      {"/api/v1/chats/42/messages", Service::message},
      {"/api/v1/chats/42/messages/9", Service::message},
      {"/api/v1/chats/42/messages/9/reaction", Service::message},
      {"/api/v1/chats/42/read", Service::message},
      {"/api/v1/chats/42/delivered", Service::message},
      {"/api/v1/chats/42/media/abc", Service::message},
      {"/api/v1/media/uploads", Service::message},
      {"/api/v1/media/blob/abc", Service::message},
      {"/api/v1/notifications", Service::notification},
      {"/api/v1/notifications/5/read", Service::notification},
  };
  for (const auto& [path, service] : cases) {
    const auto got = service_for(path);
    ASSERT_TRUE(got) << path;
    EXPECT_EQ(service_name(*got), service_name(service)) << path;
  }
  for (const char* path : {"/internal/v1/users/1", "/internal", "/api/v2/users", "/api/v1/usersx", "/api/v1", "/ws",
                           "/", "/healthz", "/api/v1/authority"})
    EXPECT_FALSE(service_for(path)) << path;
}

TEST(RouteTable, EveryRouteHasAnOwnerAndAppearsOnce) {
  std::set<std::pair<std::string_view, std::string_view>> seen;
  for (const auto& r : gateway_routes()) {
    EXPECT_TRUE(service_for(r.pattern)) << r.method << " " << r.pattern;
    EXPECT_TRUE(seen.insert({r.method, r.pattern}).second) << "twice: " << r.method << " " << r.pattern;
    EXPECT_TRUE(r.pattern.starts_with("/api/v1/")) << r.pattern;
  }
}

// The documented routes are exactly the routes the parley binary serves (tests/integration/
// test_openapi.py), so this holds the gateway to every public route of every service.
TEST(RouteTable, MatchesTheDocumentedApi) {
  const auto documented = documented_routes();
  ASSERT_GT(documented.size(), 30u);
  std::map<std::pair<std::string, std::string>, bool> table;
  for (const auto& r : gateway_routes()) table[{std::string(r.method), std::string(r.pattern)}] = r.needs_token;
  for (const auto& [route, secured] : documented) {
    if (is_ops(route.second)) continue; // each process's own
    const auto it = table.find(route);
    ASSERT_NE(it, table.end()) << "documented but not routed by the gateway: " << route.first << " " << route.second;
    EXPECT_EQ(it->second, secured) << route.first << " " << route.second << ": token requirement differs";
  }
  for (const auto& [route, needs_token] : table)
    EXPECT_TRUE(documented.contains(route)) << "routed but not documented: " << route.first << " " << route.second;
}

TEST(RouteTable, PublicRoutesAreTheSignInAndSignedUrlOnes) {
  std::set<std::string> open;
  for (const auto& r : gateway_routes())
    if (!r.needs_token) open.insert(std::string(r.method) + " " + std::string(r.pattern));
  const std::set<std::string> expected{"POST /api/v1/auth/register",       "POST /api/v1/auth/verify",
                                       "POST /api/v1/auth/verify/resend",  "POST /api/v1/auth/login",
                                       "POST /api/v1/auth/refresh",        "POST /api/v1/auth/password/forgot",
                                       "POST /api/v1/auth/password/reset", "GET /api/v1/auth/jwks",
                                       "PUT /api/v1/media/blob/{key}",     "GET /api/v1/media/blob/{key}"};
  EXPECT_EQ(open, expected);
}

} // namespace
} // namespace parley::gateway

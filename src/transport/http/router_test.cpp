#include "transport/http/router.hpp"

#include <gtest/gtest.h>

namespace parley::http {
namespace {

Handler named(std::string name) {
  return [name](Request&) { return Response{200, name}; };
}

Response call(const Router& router, std::string_view method, std::string_view path) {
  Request req;
  const auto m = router.match(method, path, req.path_params);
  if (!m.route) return Response{m.path_matched ? 405u : 404u, ""};
  return m.route->handler(req);
}

} // namespace

TEST(Router, MatchesLiteralAndParameterRoutes) {
  Router r;
  r.add("GET", "/api/v1/users/{id}", named("by-id"));
  r.add("GET", "/api/v1/users/me", named("me"));
  EXPECT_EQ(call(r, "GET", "/api/v1/users/me").body, "me"); // the literal wins whatever the order
  EXPECT_EQ(call(r, "GET", "/api/v1/users/42").body, "by-id");
}

TEST(Router, ExtractsParameters) {
  Router r;
  r.add("GET", "/chats/{chat}/messages/{msg}", named("x"));
  std::vector<std::pair<std::string, std::string>> params;
  const auto m = r.match("GET", "/chats/7/messages/9", params);
  ASSERT_NE(m.route, nullptr);
  ASSERT_EQ(params.size(), 2u);
  EXPECT_EQ(params[0], (std::pair<std::string, std::string>{"chat", "7"}));
  EXPECT_EQ(params[1], (std::pair<std::string, std::string>{"msg", "9"}));
}

TEST(Router, DistinguishesNotFoundFromMethodNotAllowed) {
  Router r;
  r.add("GET", "/a", named("get"));
  r.add("POST", "/a", named("post"));
  EXPECT_EQ(call(r, "DELETE", "/a").status, 405u);
  EXPECT_EQ(call(r, "GET", "/b").status, 404u);
  std::vector<std::pair<std::string, std::string>> params;
  EXPECT_EQ(r.match("PUT", "/a", params).allowed, (std::vector<std::string>{"GET", "POST"}));
}

TEST(Router, SegmentCountAndTrailingSlashMatter) {
  Router r;
  r.add("GET", "/users/{id}", named("x"));
  EXPECT_EQ(call(r, "GET", "/users").status, 404u);
  EXPECT_EQ(call(r, "GET", "/users/1/2").status, 404u);
  EXPECT_EQ(call(r, "GET", "/users/1/").status, 404u);
}

TEST(Router, RejectsDuplicatesAndBadPatterns) {
  Router r;
  r.add("GET", "/a", named("x"));
  EXPECT_THROW(r.add("GET", "/a", named("y")), std::invalid_argument);
  EXPECT_THROW(r.add("GET", "a", named("y")), std::invalid_argument);
}

} // namespace parley::http

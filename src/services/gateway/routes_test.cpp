// The gateway's routes through the request pipeline, with a recording stand-in for the proxy.
#include "services/gateway/routes.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <mutex>

#include "adapters/inproc/memory_rate_limiter.hpp"
#include "services/auth/jwt.hpp"
#include "transport/http/pipeline.hpp"

namespace parley::gateway {
namespace {

namespace fs = std::filesystem;

class GatewayRoutesTest : public ::testing::Test {
 protected:
  GatewayRoutesTest()
      : signer_(generate_signing_key(), "parley", clock_, std::chrono::seconds(900)),
        limiter_(clock_),
        guard_({1000, false}, limiter_, signer_),
        web_dir_(fs::path(::testing::TempDir()) / ("parley-gateway-web-" + std::to_string(::getpid()))),
        web_(web_dir_),
        pipeline_(router_, metrics_, {"https://app.example"}) {
    fs::create_directories(web_dir_);
    std::ofstream(web_dir_ / "index.html") << "<html>parley</html>";
    mount_gateway_routes(router_, guard_, [this](Service service, const http::Request& req) {
      forwarded_.emplace_back(std::string(service_name(service)), std::string(req.message.target()));
      return http::json_response(200, {{"from", service_name(service)}});
    });
    mount_web_client(router_, web_);
  }
  ~GatewayRoutesTest() override { fs::remove_all(web_dir_); }

  http::Response send(std::string method, std::string target, bool with_token = false) {
    http::Request req;
    req.message.method_string(method);
    req.message.target(target);
    req.remote_ip = "203.0.113.1";
    if (with_token) req.message.set(boost::beast::http::field::authorization, "Bearer " + signer_.sign("u1", "s1"));
    return pipeline_.handle(req);
  }

  ManualClock clock_;
  JwtSigner signer_;
  MemoryRateLimiter limiter_;
  EdgeGuard guard_;
  fs::path web_dir_;
  http::StaticFiles web_;
  http::Router router_;
  http::HttpMetrics metrics_;
  http::Pipeline pipeline_;
  std::vector<std::pair<std::string, std::string>> forwarded_;
};

TEST_F(GatewayRoutesTest, ForwardsEachRouteToItsService) {
  const std::vector<std::tuple<std::string, std::string, std::string>> cases{
      {"POST", "/api/v1/auth/login", "auth"},
      {"GET", "/api/v1/users/me", "user"},
      {"GET", "/api/v1/users?q=ann&limit=5", "user"},
      {"GET", "/api/v1/chats", "chat"},
      {"PATCH", "/api/v1/chats/42/members/7", "chat"},
      {"GET", "/api/v1/chats/42/messages?before=9", "message"},
      {"PUT", "/api/v1/chats/42/messages/9/reaction", "message"},
      {"POST", "/api/v1/chats/42/read", "message"},
      {"GET", "/api/v1/chats/42/media/k1", "message"},
      {"POST", "/api/v1/media/uploads", "message"},
      {"GET", "/api/v1/notifications/unread_count", "notification"},
  };
  for (const auto& [method, target, service] : cases) {
    forwarded_.clear();
    const auto res = send(method, target, true);
    EXPECT_EQ(res.status, 200u) << method << " " << target << ": " << res.body;
    ASSERT_EQ(forwarded_.size(), 1u) << method << " " << target;
    EXPECT_EQ(forwarded_[0].first, service) << method << " " << target;
    EXPECT_EQ(forwarded_[0].second, target); // the query string goes along
  }
}

TEST_F(GatewayRoutesTest, RoutesThatNeedATokenStopAtTheGatewayWithoutOne) {
  const auto res = send("GET", "/api/v1/chats");
  EXPECT_EQ(res.status, 401u);
  EXPECT_NE(res.body.find("invalid_token"), std::string::npos);
  EXPECT_TRUE(forwarded_.empty());
  for (const auto& route : gateway_routes()) {
    std::string target(route.pattern);
    for (std::size_t open; (open = target.find('{')) != std::string::npos;)
      target.replace(open, target.find('}', open) - open + 1, "x1");
    forwarded_.clear();
    const auto answer = send(std::string(route.method), target);
    if (route.needs_token) {
      EXPECT_EQ(answer.status, 401u) << route.method << " " << target;
      EXPECT_TRUE(forwarded_.empty()) << route.method << " " << target;
    } else {
      EXPECT_EQ(answer.status, 200u) << route.method << " " << target;
      EXPECT_EQ(forwarded_.size(), 1u) << route.method << " " << target;
    }
  }
}

TEST_F(GatewayRoutesTest, InternalRoutesAreNeverForwarded) {
  for (const char* method : {"GET", "POST", "PUT", "DELETE"}) {
    const auto res = send(method, "/internal/v1/chats/1/members", true);
    EXPECT_EQ(res.status, 404u) << method;
    EXPECT_NE(res.body.find("not_found"), std::string::npos);
  }
  EXPECT_EQ(send("GET", "/internal").status, 404u);
  EXPECT_TRUE(forwarded_.empty());
}

TEST_F(GatewayRoutesTest, OtherGetRequestsGetTheWebClient) {
  for (const char* target : {"/", "/chats/42", "/login"}) {
    const auto res = send("GET", target);
    EXPECT_EQ(res.status, 200u) << target;
    EXPECT_EQ(res.body, "<html>parley</html>") << target;
  }
  EXPECT_EQ(send("GET", "/api/v1/nothing", true).status, 404u);
  EXPECT_EQ(send("POST", "/somewhere").status, 404u);
  EXPECT_EQ(send("POST", "/api/v1/users/me", true).status, 405u); // the route exists, not the method
  EXPECT_TRUE(forwarded_.empty());
}

TEST_F(GatewayRoutesTest, CorsPreflightIsAnsweredAtTheGateway) {
  http::Request req;
  req.message.method(boost::beast::http::verb::options);
  req.message.target("/api/v1/chats/42/messages");
  req.message.set(boost::beast::http::field::origin, "https://app.example");
  const auto res = pipeline_.handle(req);
  EXPECT_EQ(res.status, 204u);
  bool allow_origin = false;
  for (const auto& [name, value] : res.headers) {
    if (name == "Access-Control-Allow-Methods") {
      EXPECT_NE(value.find("POST"), std::string::npos);
    }
    allow_origin = allow_origin || (name == "Access-Control-Allow-Origin" && value == "https://app.example");
  }
  EXPECT_TRUE(allow_origin);
  EXPECT_TRUE(forwarded_.empty());
}

} // namespace
} // namespace parley::gateway

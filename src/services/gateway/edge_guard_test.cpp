#include "services/gateway/edge_guard.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "adapters/inproc/memory_rate_limiter.hpp"
#include "services/auth/jwt.hpp"

namespace parley::gateway {
namespace {

class EdgeGuardTest : public ::testing::Test {
 protected:
  EdgeGuardTest()
      : signer_(generate_signing_key(), "parley", clock_, std::chrono::seconds(900)),
        limiter_(clock_),
        guard_({100, false}, limiter_, signer_) {}

  static http::Request request(std::string target, std::string ip = "203.0.113.1") {
    http::Request req;
    req.message.method(boost::beast::http::verb::get);
    req.message.target(target);
    req.remote_ip = std::move(ip);
    return req;
  }
  static std::string code(const std::optional<http::Response>& res) {
    if (!res) return "<passed>";
    return std::string(boost::json::parse(res->body).at("error").at("code").as_string());
  }

  ManualClock clock_;
  JwtSigner signer_;
  MemoryRateLimiter limiter_;
  EdgeGuard guard_;
};

TEST_F(EdgeGuardTest, RoutesThatNeedATokenRefuseRequestsWithoutAValidOne) {
  auto req = request("/api/v1/users/me");
  auto res = guard_.check(req, true);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401u);
  EXPECT_EQ(code(res), "invalid_token");

  req.message.set(boost::beast::http::field::authorization, "Bearer not-a-jwt");
  EXPECT_EQ(code(guard_.check(req, true)), "invalid_token");

  const JwtSigner stranger(generate_signing_key(), "parley", clock_, std::chrono::seconds(900));
  req.message.set(boost::beast::http::field::authorization, "Bearer " + stranger.sign("u1", "s1"));
  EXPECT_EQ(code(guard_.check(req, true)), "invalid_token");

  req.message.set(boost::beast::http::field::authorization, "Bearer " + signer_.sign("u1", "s1"));
  EXPECT_FALSE(guard_.check(req, true));
}

TEST_F(EdgeGuardTest, ExpiredTokensAreReportedAsExpired) {
  auto req = request("/api/v1/chats");
  req.message.set(boost::beast::http::field::authorization, "Bearer " + signer_.sign("u1", "s1"));
  clock_.advance_ms(901'000);
  const auto res = guard_.check(req, true);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401u);
  EXPECT_EQ(code(res), "token_expired");
}

TEST_F(EdgeGuardTest, PublicRoutesNeedNoToken) { EXPECT_FALSE(guard_.check(request("/api/v1/auth/login"), false)); }

TEST_F(EdgeGuardTest, EachAddressHasItsOwnLimit) {
  const EdgeGuard guard({3, false}, limiter_, signer_);
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(guard.check(request("/api/v1/auth/login"), false));
  const auto refused = guard.check(request("/api/v1/auth/login"), false);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 429u);
  EXPECT_EQ(code(refused), "rate_limited");
  bool retry_after = false;
  for (const auto& [name, value] : refused->headers) retry_after = retry_after || name == "Retry-After";
  EXPECT_TRUE(retry_after);
  EXPECT_FALSE(guard.check(request("/api/v1/auth/login", "203.0.113.2"), false)); // another client
  // The limit comes before the token: a flood of bad tokens is limited too.
  EXPECT_EQ(code(guard.check(request("/api/v1/users/me"), true)), "rate_limited");
  clock_.advance_ms(20'000); // 3 per minute: one token back every 20 s
  EXPECT_FALSE(guard.check(request("/api/v1/auth/login"), false));
}

TEST_F(EdgeGuardTest, BehindALoadBalancerTheClientIsTheForwardedAddress) {
  const EdgeGuard trusting({1, true}, limiter_, signer_);
  auto a = request("/api/v1/auth/login", "10.0.0.2");
  a.message.set("X-Forwarded-For", "198.51.100.1");
  auto b = request("/api/v1/auth/login", "10.0.0.2");
  b.message.set("X-Forwarded-For", "198.51.100.2");
  EXPECT_FALSE(trusting.check(a, false));
  EXPECT_FALSE(trusting.check(b, false)); // same peer, different clients
  EXPECT_TRUE(trusting.check(a, false));
}

TEST_F(EdgeGuardTest, UpgradesTakeTheTokenFromTheQueryOrTheHeader) {
  EXPECT_EQ(code(guard_.check_upgrade(request("/ws"))), "invalid_token");
  EXPECT_EQ(code(guard_.check_upgrade(request("/ws?access_token=nope"))), "invalid_token");
  EXPECT_FALSE(guard_.check_upgrade(request("/ws?access_token=" + signer_.sign("u1", "s1"))));
  auto req = request("/ws");
  req.message.set(boost::beast::http::field::authorization, "Bearer " + signer_.sign("u1", "s1"));
  EXPECT_FALSE(guard_.check_upgrade(req));
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(guard_.check_upgrade(req)); // not rate limited here
}

} // namespace
} // namespace parley::gateway

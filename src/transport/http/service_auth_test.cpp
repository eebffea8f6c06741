#include "transport/http/service_auth.hpp"

#include <gtest/gtest.h>

namespace parley::http {
namespace {

Request with_token(std::optional<std::string> token) {
  Request req;
  if (token) req.message.set("X-Parley-Service-Token", *token);
  return req;
}

TEST(ServiceAuth, OnlyTheExactTokenPasses) {
  EXPECT_TRUE(authenticate_service(with_token("s3cret"), "s3cret"));
  for (const auto& given :
       {std::optional<std::string>{}, std::optional<std::string>{""}, std::optional<std::string>{"s3cre"},
        std::optional<std::string>{"s3crett"}, std::optional<std::string>{"S3cret"}}) {
    const auto ok = authenticate_service(with_token(given), "s3cret");
    ASSERT_FALSE(ok) << given.value_or("(none)");
    EXPECT_EQ(ok.error().kind, ErrorKind::unauthenticated);
    EXPECT_EQ(ok.error().code, "invalid_service_token");
  }
}

TEST(ServiceAuth, AnEmptyConfiguredTokenRefusesEverything) {
  EXPECT_FALSE(authenticate_service(with_token(""), ""));
  EXPECT_FALSE(authenticate_service(with_token(std::nullopt), ""));
  EXPECT_FALSE(authenticate_service(with_token("x"), ""));
}

TEST(ServiceAuth, ServiceOnlyRunsTheHandlerOnlyWithTheToken) {
  int runs = 0;
  const auto handler = service_only("t", [&runs](Request&) {
    ++runs;
    return no_content();
  });
  auto bad = with_token("u");
  const auto refused = handler(bad);
  EXPECT_EQ(refused.status, 401u);
  EXPECT_NE(refused.body.find("invalid_service_token"), std::string::npos);
  EXPECT_EQ(runs, 0);
  auto good = with_token("t");
  EXPECT_EQ(handler(good).status, 204u);
  EXPECT_EQ(runs, 1);
}

} // namespace
} // namespace parley::http

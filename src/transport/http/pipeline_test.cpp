#include "transport/http/pipeline.hpp"

#include <gtest/gtest.h>

namespace parley::http {
namespace {

std::optional<std::string> header(const Response& res, std::string_view name) {
  for (const auto& [k, v] : res.headers)
    if (k == name) return v;
  return std::nullopt;
}

struct PipelineTest : ::testing::Test {
  PipelineTest() {
    router.add("GET", "/ok", [](Request&) { return json_response(200, {{"ok", true}}); });
    router.add("POST", "/ok", [](Request&) { return no_content(); });
    router.add("GET", "/boom", [](Request&) -> Response { throw std::runtime_error("secret detail"); });
  }
  Response run(beast_http::verb verb, std::string target, std::string origin = {}) {
    Request req;
    req.message.method(verb);
    req.message.target(target);
    if (!origin.empty()) req.message.set("Origin", origin);
    return pipeline.handle(req);
  }
  Router router;
  HttpMetrics metrics;
  Pipeline pipeline{router, metrics, {"http://localhost:5173"}};
};

} // namespace

TEST_F(PipelineTest, AnswersWithARequestIdAndCountsTheRequest) {
  const auto res = run(beast_http::verb::get, "/ok");
  EXPECT_EQ(res.status, 200u);
  EXPECT_TRUE(header(res, "X-Request-Id").has_value());
  EXPECT_NE(metrics.render().find(R"(parley_http_requests_total{route="/ok",method="GET",status="200"} 1)"),
            std::string::npos);
}

TEST_F(PipelineTest, AnswersAreNotSniffedOrStoredUnlessTheHandlerSaysSo) {
  const auto res = run(beast_http::verb::get, "/ok");
  EXPECT_EQ(header(res, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(header(res, "Cache-Control"), "no-store");
  EXPECT_EQ(header(run(beast_http::verb::get, "/nope"), "Cache-Control"), "no-store");
  router.add("GET", "/cached", [](Request&) {
    Response r = json_response(200, {{"ok", true}});
    r.headers.emplace_back("cache-control", "public, max-age=60");
    return r;
  });
  const auto cached = run(beast_http::verb::get, "/cached");
  EXPECT_EQ(header(cached, "Cache-Control"), std::nullopt);
  EXPECT_EQ(header(cached, "cache-control"), "public, max-age=60");
}

TEST_F(PipelineTest, UnknownRoutesAndMethodsGetTheErrorEnvelope) {
  const auto missing = run(beast_http::verb::get, "/nope");
  EXPECT_EQ(missing.status, 404u);
  EXPECT_NE(missing.body.find(R"("code":"not_found")"), std::string::npos);
  const auto wrong = run(beast_http::verb::delete_, "/ok");
  EXPECT_EQ(wrong.status, 405u);
  EXPECT_EQ(header(wrong, "Allow"), "GET, POST");
}

TEST_F(PipelineTest, HandlerExceptionsBecomeGeneric500s) {
  const auto res = run(beast_http::verb::get, "/boom");
  EXPECT_EQ(res.status, 500u);
  EXPECT_EQ(res.body.find("secret detail"), std::string::npos);
}

TEST_F(PipelineTest, CorsOnlyForConfiguredOrigins) {
  EXPECT_EQ(header(run(beast_http::verb::get, "/ok", "http://localhost:5173"), "Access-Control-Allow-Origin"),
            "http://localhost:5173");
  EXPECT_EQ(header(run(beast_http::verb::get, "/ok", "http://evil.example"), "Access-Control-Allow-Origin"),
            std::nullopt);
  const auto preflight = run(beast_http::verb::options, "/ok", "http://localhost:5173");
  EXPECT_EQ(preflight.status, 204u);
  EXPECT_EQ(header(preflight, "Access-Control-Allow-Methods"), "GET, POST, OPTIONS");
}

} // namespace parley::http

namespace parley::http {

TEST_F(PipelineTest, TheFallbackAnswersOnlyUnroutedReads) {
  router.set_fallback([](Request&) {
    Response res;
    res.body = "page";
    res.content_type = "text/html";
    return res;
  });
  EXPECT_EQ(run(beast_http::verb::get, "/chats/123").body, "page");
  EXPECT_EQ(run(beast_http::verb::head, "/").body, "page");
  EXPECT_EQ(run(beast_http::verb::post, "/chats/123").status, 404u);   // only reads
  EXPECT_EQ(run(beast_http::verb::delete_, "/ok").status, 405u);       // a routed path keeps its 405
  EXPECT_EQ(run(beast_http::verb::get, "/ok").body, R"({"ok":true})"); // routes win
  EXPECT_NE(metrics.render().find(R"(route="static")"), std::string::npos);
}

} // namespace parley::http

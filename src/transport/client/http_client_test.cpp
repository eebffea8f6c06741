// The client and the service client against a real server on port 0.
#include "transport/client/http_client.hpp"

#include <gtest/gtest.h>

#include <thread>

#include <boost/json/serialize.hpp>

#include "transport/client/service_client.hpp"
#include "transport/http/response.hpp"
#include "transport/http/server.hpp"

namespace parley {
namespace {

namespace json = boost::json;

class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.add("POST", "/echo", [](http::Request& req) {
      http::Response res{201, std::string(req.body())};
      res.headers.emplace_back("X-Seen-Token", std::string(req.header("X-Parley-Service-Token").value_or("")));
      return res;
    });
    router_.add("GET", "/big", [](http::Request&) { return http::Response{200, std::string(4096, 'x')}; });
    router_.add("GET", "/empty", [](http::Request&) { return http::no_content(); });
    router_.add("POST", "/slow", [](http::Request&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      return http::no_content();
    });
    router_.add("GET", "/missing", [](http::Request&) {
      return http::error_response(Error::not_found("chat_not_found", "no such chat"));
    });
    router_.add("GET", "/busy",
                [](http::Request&) { return http::error_response(Error::rate_limited(std::chrono::seconds(7))); });
    http::ServerConfig config;
    config.port = 0;
    config.io_threads = 1;
    config.handler_threads = 2;
    server_ = std::make_unique<http::Server>(config, router_, metrics_);
    runner_ = std::thread([this] { server_->run(); });
    while (!server_->ready()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  void TearDown() override {
    server_->stop();
    runner_.join();
  }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  // Port 1: nothing listens there on a test machine.
  static std::string dead_base() { return "http://127.0.0.1:1"; }

  http::Router router_;
  http::HttpMetrics metrics_;
  std::unique_ptr<http::Server> server_;
  std::thread runner_;
};

TEST_F(HttpClientTest, SendsTheBodyAndHeadersAndReadsTheReply) {
  HttpClient client;
  auto reply = client.call({"POST", base() + "/echo", {{"X-Parley-Service-Token", "t"}}, "hello"});
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ(reply->status, 201u);
  EXPECT_EQ(reply->body, "hello");
  EXPECT_EQ(reply->header("x-seen-token"), "t");
  EXPECT_EQ(reply->header("content-type"), "application/json");
}

TEST_F(HttpClientTest, RefusesAReplyOverTheLimit) {
  HttpClient client({std::chrono::milliseconds(1000), std::chrono::milliseconds(2000), 1024});
  auto reply = client.call({"GET", base() + "/big", {}, {}});
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().kind, ErrorKind::unavailable);
}

TEST_F(HttpClientTest, AnUnreachableServerIsUnavailable) {
  HttpClient client;
  auto reply = client.call({"GET", dead_base() + "/x", {}, {}});
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().kind, ErrorKind::unavailable);
  EXPECT_EQ(reply.error().code, "upstream_unavailable");
}

// Retryable means "cannot have reached the server": only then may a POST go elsewhere.
TEST_F(HttpClientTest, OnlyARequestThatCannotHaveArrivedIsRetryable) {
  HttpClient client({std::chrono::milliseconds(1000), std::chrono::milliseconds(150)});
  auto refused = client.call({"POST", dead_base() + "/slow", {}, "x"});
  ASSERT_FALSE(refused);
  EXPECT_TRUE(refused.error().retryable);
  auto timed_out = client.call({"POST", base() + "/slow", {}, "x"});
  ASSERT_FALSE(timed_out);
  EXPECT_EQ(timed_out.error().code, "upstream_unavailable");
  EXPECT_FALSE(timed_out.error().retryable);
}

TEST_F(HttpClientTest, ServiceClientSendsJsonWithTheTokenAndParsesTheReply) {
  HttpClient http;
  ServiceClient chat("chat", {base()}, "secret", http);
  auto reply = chat.call("POST", "/echo", json::object{{"a", 1}});
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ(json::serialize(*reply), R"({"a":1})");
  auto empty = chat.call("GET", "/empty");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->is_null());
}

TEST_F(HttpClientTest, ServiceClientReturnsTheCalleesError) {
  HttpClient http;
  ServiceClient chat("chat", {base()}, "secret", http);
  auto missing = chat.call("GET", "/missing");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::not_found);
  EXPECT_EQ(missing.error().code, "chat_not_found");
  EXPECT_EQ(missing.error().message, "no such chat");
  auto busy = chat.call("GET", "/busy");
  ASSERT_FALSE(busy);
  EXPECT_EQ(busy.error().kind, ErrorKind::rate_limited);
  EXPECT_EQ(busy.error().retry_after, std::chrono::seconds(7));
}

TEST_F(HttpClientTest, ServiceClientTriesTheNextInstanceWhenOneIsDown) {
  HttpClient http;
  ServiceClient chat("chat", {dead_base(), base()}, "secret", http);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(chat.call("GET", "/empty")) << i;
  ServiceClient down("chat", {dead_base()}, "secret", http);
  auto reply = down.call("GET", "/empty");
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().kind, ErrorKind::unavailable);
}

TEST(KindForStatus, InvertsStatusFor) {
  for (auto kind : {ErrorKind::invalid_argument, ErrorKind::unauthenticated, ErrorKind::forbidden, ErrorKind::not_found,
                    ErrorKind::method_not_allowed, ErrorKind::conflict, ErrorKind::payload_too_large,
                    ErrorKind::unprocessable, ErrorKind::rate_limited, ErrorKind::internal, ErrorKind::unavailable})
    EXPECT_EQ(kind_for_status(http::status_for(kind)), kind);
}

} // namespace
} // namespace parley

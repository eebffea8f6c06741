// The reverse proxy between a real gateway server and real upstream servers, on port 0.
#include "transport/proxy/reverse_proxy.hpp"

#include <gtest/gtest.h>

#include <atomic>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "transport/proxy/test_server.hpp"

namespace parley::proxy {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using testing::dead_url;
using testing::RunningServer;

using ClientResponse = beast::http::response<beast::http::string_body>;

// An upstream that describes what it received.
class Upstream {
 public:
  explicit Upstream(std::string name) : name_(std::move(name)) {
    server_.router().add("POST", "/echo", [this](http::Request& req) {
      ++hits;
      json::object headers;
      for (const auto& field : req.message) headers[std::string(field.name_string())] = std::string(field.value());
      http::Response res{200, json::serialize(json::object{{"upstream", name_},
                                                           {"method", req.method()},
                                                           {"target", req.message.target()},
                                                           {"body", req.body()},
                                                           {"headers", headers}})};
      return res;
    });
    server_.router().add("PUT", "/blob", [this](http::Request& req) {
      ++hits;
      http::Response res{200, std::string(req.body()), "application/octet-stream"};
      res.headers.emplace_back("X-Body-Bytes", std::to_string(req.body().size()));
      return res;
    });
    server_.router().add("GET", "/shaped", [this](http::Request&) {
      ++hits;
      http::Response res{201, "<p>hi</p>", "text/html; charset=utf-8"};
      res.headers.emplace_back("Set-Cookie", "a=1");
      res.headers.emplace_back("Set-Cookie", "b=2");
      res.headers.emplace_back("Cache-Control", "no-store");
      res.headers.emplace_back("Access-Control-Allow-Origin", "*");
      return res;
    });
    server_.router().add("GET", "/missing", [this](http::Request&) {
      ++hits;
      return http::error_response(Error::not_found("chat_not_found", "no such chat"));
    });
    server_.router().add("DELETE", "/gone", [this](http::Request&) {
      ++hits;
      return http::no_content();
    });
    server_.router().add("POST", "/slow", [this](http::Request&) {
      ++hits;
      std::this_thread::sleep_for(std::chrono::milliseconds(600));
      return http::Response{200, "{}"};
    });
    http::ServerConfig config;
    config.max_body_bytes = 64 << 20;
    server_.start(config);
  }
  std::string url() const { return server_.url(); }
  void stop() { server_.stop(); }

  std::atomic<int> hits{0};

 private:
  std::string name_;
  RunningServer server_;
};

class ReverseProxyTest : public ::testing::Test {
 protected:
  // A gateway whose every route forwards to `upstreams`.
  void start_gateway(std::vector<std::string> upstreams, HttpClientConfig client = {}, ForwardingPolicy policy = {}) {
    std::string list;
    for (const auto& u : upstreams) list += (list.empty() ? "" : ",") + u;
    client_ = std::make_unique<HttpClient>(client);
    proxy_ = std::make_unique<ReverseProxy>("chat", *parse_upstream_list(list), *client_, std::move(policy));
    const auto forward = [this](http::Request& req) { return proxy_->forward(req); };
    for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{{"POST", "/echo"},
                                                                                       {"PUT", "/blob"},
                                                                                       {"GET", "/shaped"},
                                                                                       {"GET", "/missing"},
                                                                                       {"DELETE", "/gone"},
                                                                                       {"POST", "/slow"}})
      gateway_.router().add(method, path, forward);
    http::ServerConfig config;
    config.max_body_bytes = 64 << 20;
    gateway_.start(config);
  }

  ClientResponse exchange(beast::http::request<beast::http::string_body> req) {
    tcp::socket s(ioc_);
    s.connect({asio::ip::make_address("127.0.0.1"), gateway_.port()});
    req.version(11);
    req.set(beast::http::field::host, "gateway.example");
    req.prepare_payload();
    beast::http::write(s, req);
    beast::flat_buffer buffer;
    beast::http::response_parser<beast::http::string_body> parser;
    parser.body_limit(128 << 20);
    beast::http::read(s, buffer, parser);
    return parser.release();
  }
  ClientResponse post_echo(std::string target, std::string body = "{}") {
    beast::http::request<beast::http::string_body> req{beast::http::verb::post, target, 11};
    req.set(beast::http::field::content_type, "application/json");
    req.body() = std::move(body);
    return exchange(std::move(req));
  }
  static json::object parsed(const ClientResponse& res) { return json::parse(res.body()).as_object(); }

  asio::io_context ioc_;
  std::unique_ptr<HttpClient> client_;
  std::unique_ptr<ReverseProxy> proxy_;
  RunningServer gateway_; // declared last: stops first
};

TEST_F(ReverseProxyTest, ForwardsMethodTargetBodyAndHeaders) {
  Upstream up("a");
  start_gateway({up.url()});
  beast::http::request<beast::http::string_body> req{beast::http::verb::post, "/echo?q=a%20b&x=1&x=2", 11};
  req.set(beast::http::field::authorization, "Bearer t0ken");
  req.set(beast::http::field::content_type, "application/json");
  req.set("X-Custom", "yes");
  req.set(beast::http::field::accept, "application/json");
  req.set(beast::http::field::user_agent, "parley-test/1");
  req.set(beast::http::field::cookie, "a=1; b=2");
  req.set("X-Request-Id", "trace-123");
  req.set("Keep-Alive", "timeout=5");
  req.set("Proxy-Authorization", "Basic eA==");
  req.body() = R"({"hello":"world"})";
  const auto res = exchange(std::move(req));
  ASSERT_EQ(res.result_int(), 200u) << res.body();
  const auto seen = parsed(res);
  EXPECT_EQ(seen.at("method"), "POST");
  EXPECT_EQ(seen.at("target"), "/echo?q=a%20b&x=1&x=2");
  EXPECT_EQ(seen.at("body"), R"({"hello":"world"})");
  const auto& headers = seen.at("headers").as_object();
  EXPECT_EQ(headers.at("Authorization"), "Bearer t0ken");
  EXPECT_EQ(headers.at("Content-Type"), "application/json");
  EXPECT_EQ(headers.at("X-Custom"), "yes");
  EXPECT_EQ(headers.at("Accept"), "application/json");
  EXPECT_EQ(headers.at("User-Agent"), "parley-test/1");
  EXPECT_EQ(headers.at("Cookie"), "a=1; b=2");
  EXPECT_EQ(headers.at("X-Request-Id"), "trace-123"); // the same id in the gateway's and upstream's logs
  EXPECT_EQ(headers.at("X-Forwarded-For"), "127.0.0.1");
  EXPECT_EQ(headers.at("X-Forwarded-Proto"), "http");
  EXPECT_EQ(headers.at("X-Forwarded-Host"), "gateway.example");
  EXPECT_FALSE(headers.contains("Keep-Alive"));
  EXPECT_FALSE(headers.contains("Proxy-Authorization"));
  EXPECT_EQ(res["X-Request-Id"], "trace-123");
}

TEST_F(ReverseProxyTest, GivesTheUpstreamRequestAnIdWhenTheClientSentNone) {
  Upstream up("a");
  start_gateway({up.url()});
  const auto res = post_echo("/echo");
  ASSERT_EQ(res.result_int(), 200u);
  const std::string id(res["X-Request-Id"]);
  EXPECT_FALSE(id.empty());
  EXPECT_EQ(parsed(res).at("headers").as_object().at("X-Request-Id"), json::value(id));
}

TEST_F(ReverseProxyTest, RelaysStatusHeadersAndBody) {
  Upstream up("a");
  start_gateway({up.url()});
  beast::http::request<beast::http::string_body> req{beast::http::verb::get, "/shaped", 11};
  const auto res = exchange(std::move(req));
  EXPECT_EQ(res.result_int(), 201u);
  EXPECT_EQ(res.body(), "<p>hi</p>");
  EXPECT_EQ(res[beast::http::field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ(res[beast::http::field::cache_control], "no-store");
  EXPECT_EQ(res.count(beast::http::field::set_cookie), 2u);
  EXPECT_EQ(res.count(beast::http::field::access_control_allow_origin), 0u); // CORS is the gateway's
  EXPECT_EQ(res.count(beast::http::field::server), 1u);

  beast::http::request<beast::http::string_body> missing{beast::http::verb::get, "/missing", 11};
  const auto not_found = exchange(std::move(missing));
  EXPECT_EQ(not_found.result_int(), 404u);
  EXPECT_EQ(parsed(not_found).at("error").at("code"), "chat_not_found");

  beast::http::request<beast::http::string_body> gone{beast::http::verb::delete_, "/gone", 11};
  const auto no_content = exchange(std::move(gone));
  EXPECT_EQ(no_content.result_int(), 204u);
  EXPECT_TRUE(no_content.body().empty());
  EXPECT_EQ(no_content.count(beast::http::field::content_type), 0u);
}

TEST_F(ReverseProxyTest, CarriesLargeBodiesBothWays) {
  Upstream up("a");
  start_gateway({up.url()});
  std::string body(8 << 20, '\0');
  for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>((i * 7919) % 251);
  beast::http::request<beast::http::string_body> req{beast::http::verb::put, "/blob", 11};
  req.set(beast::http::field::content_type, "application/octet-stream");
  req.body() = body;
  const auto res = exchange(std::move(req));
  ASSERT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res["X-Body-Bytes"], std::to_string(body.size()));
  EXPECT_EQ(res[beast::http::field::content_type], "application/octet-stream");
  EXPECT_TRUE(res.body() == body);
}

TEST_F(ReverseProxyTest, ADeadUpstreamIs502WithTheErrorEnvelope) {
  start_gateway({dead_url()});
  const auto res = post_echo("/echo");
  EXPECT_EQ(res.result_int(), 502u);
  EXPECT_EQ(res[beast::http::field::content_type], "application/json");
  EXPECT_EQ(parsed(res).at("error").at("code"), "upstream_unavailable");
}

TEST_F(ReverseProxyTest, AnUpstreamThatWentAwayIs502) {
  Upstream up("a");
  start_gateway({up.url()});
  EXPECT_EQ(post_echo("/echo").result_int(), 200u);
  up.stop();
  EXPECT_EQ(post_echo("/echo").result_int(), 502u);
}

TEST_F(ReverseProxyTest, TakesInstancesRoundRobin) {
  Upstream a("a");
  Upstream b("b");
  start_gateway({a.url(), b.url()});
  for (int i = 0; i < 10; ++i) EXPECT_EQ(post_echo("/echo").result_int(), 200u);
  EXPECT_EQ(a.hits, 5);
  EXPECT_EQ(b.hits, 5);
}

TEST_F(ReverseProxyTest, FailsOverWhenAnInstanceCannotBeConnectedTo) {
  Upstream live("live");
  start_gateway({dead_url(), live.url(), dead_url()});
  for (int i = 0; i < 6; ++i) { // POST, not idempotent: safe because the dead ones never saw it
    const auto res = post_echo("/echo");
    ASSERT_EQ(res.result_int(), 200u) << res.body();
    EXPECT_EQ(parsed(res).at("upstream"), "live");
  }
  EXPECT_EQ(live.hits, 6);
}

TEST_F(ReverseProxyTest, NeverRetriesARequestThatMayHaveReachedAnUpstream) {
  Upstream a("a");
  Upstream b("b");
  start_gateway({a.url(), b.url()}, {std::chrono::milliseconds(1000), std::chrono::milliseconds(200)});
  for (int i = 0; i < 2; ++i) EXPECT_EQ(post_echo("/slow").result_int(), 502u); // each times out once
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  EXPECT_EQ(a.hits, 1);
  EXPECT_EQ(b.hits, 1);
}

TEST_F(ReverseProxyTest, TrustedForwardedHeadersAreExtended) {
  Upstream up("a");
  start_gateway({up.url()}, {}, {true, {}});
  beast::http::request<beast::http::string_body> req{beast::http::verb::post, "/echo", 11};
  req.set("X-Forwarded-For", "198.51.100.9");
  req.set("X-Forwarded-Proto", "https");
  const auto res = exchange(std::move(req));
  const auto seen = parsed(res);
  const auto& headers = seen.at("headers").as_object();
  EXPECT_EQ(headers.at("X-Forwarded-For"), "198.51.100.9, 127.0.0.1");
  EXPECT_EQ(headers.at("X-Forwarded-Proto"), "https");
}

} // namespace
} // namespace parley::proxy

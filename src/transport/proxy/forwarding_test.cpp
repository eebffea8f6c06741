#include "transport/proxy/forwarding.hpp"

#include <gtest/gtest.h>

namespace parley::proxy {
namespace {

http::Request request(std::vector<std::pair<std::string, std::string>> headers) {
  http::Request req;
  req.message.method(boost::beast::http::verb::post);
  req.message.target("/api/v1/chats?limit=5");
  for (auto& [name, value] : headers) req.message.insert(name, value);
  req.remote_ip = "203.0.113.7";
  req.request_id = "req-1";
  return req;
}

std::string find(const HttpHeaders& headers, std::string_view name) {
  for (const auto& [k, v] : headers)
    if (boost::beast::iequals(k, name)) return v;
  return "<absent>";
}

int count(const HttpHeaders& headers, std::string_view name) {
  int n = 0;
  for (const auto& [k, v] : headers) n += boost::beast::iequals(k, name) ? 1 : 0;
  return n;
}

TEST(Forwarding, HopByHopHeaders) {
  for (const char* name : {"Connection", "keep-alive", "Transfer-Encoding", "TE", "Trailer", "upgrade",
                           "Proxy-Authorization", "proxy-connection"})
    EXPECT_TRUE(is_hop_by_hop(name)) << name;
  for (const char* name : {"Authorization", "Content-Type", "X-Request-Id", "Cookie", "Proxy"})
    EXPECT_FALSE(is_hop_by_hop(name)) << name;
}

TEST(Forwarding, PassesEndToEndHeadersAndDropsTheRest) {
  const auto req = request({{"Host", "chat.example"},
                            {"Authorization", "Bearer abc"},
                            {"Content-Type", "application/json"},
                            {"Content-Length", "2"},
                            {"Connection", "keep-alive, X-Secret-Hop"},
                            {"Keep-Alive", "timeout=5"},
                            {"X-Secret-Hop", "1"},
                            {"TE", "trailers"},
                            {"Upgrade", "h2c"},
                            {"Proxy-Authorization", "Basic x"},
                            {"Expect", "100-continue"},
                            {"X-Parley-Service-Token", "stolen"},
                            {"X-Custom", "kept"},
                            {"X-Request-Id", "client-chosen"}});
  const auto out = upstream_headers(req, {false, {"X-Parley-Service-Token"}});
  EXPECT_EQ(find(out, "Authorization"), "Bearer abc");
  EXPECT_EQ(find(out, "Content-Type"), "application/json");
  EXPECT_EQ(find(out, "X-Custom"), "kept");
  for (const char* gone : {"Host", "Content-Length", "Connection", "Keep-Alive", "X-Secret-Hop", "TE", "Upgrade",
                           "Proxy-Authorization", "Expect", "X-Parley-Service-Token"})
    EXPECT_EQ(find(out, gone), "<absent>") << gone;
  EXPECT_EQ(find(out, "X-Request-Id"), "req-1");
  EXPECT_EQ(count(out, "X-Request-Id"), 1);
  EXPECT_EQ(find(out, "X-Forwarded-For"), "203.0.113.7");
  EXPECT_EQ(find(out, "X-Forwarded-Proto"), "http");
  EXPECT_EQ(find(out, "X-Forwarded-Host"), "chat.example");
}

TEST(Forwarding, UntrustedForwardedHeadersAreReplaced) {
  const auto req = request({{"X-Forwarded-For", "10.0.0.1"}, {"X-Forwarded-Proto", "https"}});
  const auto out = upstream_headers(req, {});
  EXPECT_EQ(find(out, "X-Forwarded-For"), "203.0.113.7");
  EXPECT_EQ(count(out, "X-Forwarded-For"), 1);
  EXPECT_EQ(find(out, "X-Forwarded-Proto"), "http");
  EXPECT_EQ(http::client_ip(req, false), "203.0.113.7");
}

TEST(Forwarding, TrustedForwardedHeadersAreExtended) {
  const auto req = request({{"X-Forwarded-For", "198.51.100.1, 10.0.0.1"}, {"X-Forwarded-Proto", "https"}});
  const auto out = upstream_headers(req, {true, {}});
  EXPECT_EQ(find(out, "X-Forwarded-For"), "198.51.100.1, 10.0.0.1, 203.0.113.7");
  EXPECT_EQ(find(out, "X-Forwarded-Proto"), "https");
  EXPECT_EQ(http::client_ip(req, true), "10.0.0.1"); // the address our load balancer saw
  EXPECT_EQ(http::client_ip(request({}), true), "203.0.113.7");
  EXPECT_EQ(forwarded_proto(request({{"X-Forwarded-Proto", "gopher"}}), true), "http");
}

TEST(Forwarding, ClientResponseKeepsEndToEndHeaders) {
  HttpReply reply{201,
                  {{"content-type", "application/json"},
                   {"content-length", "7"},
                   {"connection", "keep-alive, x-hop"},
                   {"x-hop", "1"},
                   {"keep-alive", "timeout=5"},
                   {"transfer-encoding", "chunked"},
                   {"server", "parley"},
                   {"x-request-id", "abc"},
                   {"access-control-allow-origin", "*"},
                   {"set-cookie", "a=1"},
                   {"set-cookie", "b=2"},
                   {"retry-after", "3"},
                   {"location", "/api/v1/chats/1"}},
                  "{\"a\":1}"};
  const auto res = client_response(std::move(reply));
  EXPECT_EQ(res.status, 201u);
  EXPECT_EQ(res.body, "{\"a\":1}");
  EXPECT_EQ(res.content_type, "application/json");
  HttpHeaders headers(res.headers.begin(), res.headers.end());
  EXPECT_EQ(count(headers, "set-cookie"), 2);
  EXPECT_EQ(find(headers, "retry-after"), "3");
  EXPECT_EQ(find(headers, "location"), "/api/v1/chats/1");
  for (const char* gone : {"content-type", "content-length", "connection", "x-hop", "keep-alive", "transfer-encoding",
                           "server", "x-request-id", "access-control-allow-origin"})
    EXPECT_EQ(find(headers, gone), "<absent>") << gone;
}

TEST(Forwarding, ClientResponseWithoutContentType) {
  const auto res = client_response(HttpReply{204, {}, ""});
  EXPECT_EQ(res.status, 204u);
  EXPECT_TRUE(res.content_type.empty());
}

} // namespace
} // namespace parley::proxy

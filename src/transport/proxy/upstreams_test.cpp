#include "transport/proxy/upstreams.hpp"

#include <gtest/gtest.h>

#include <set>

namespace parley::proxy {
namespace {

TEST(Upstreams, ParsesHostAndPort) {
  const auto a = parse_upstream("http://127.0.0.1:8081");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, "8081");
  EXPECT_EQ(a->base_url, "http://127.0.0.1:8081");
  const auto b = parse_upstream("http://chat-1:80/");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->host, "chat-1");
  EXPECT_EQ(b->base_url, "http://chat-1:80");
  const auto c = parse_upstream("http://[::1]:9000");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(c->port, "9000");
  EXPECT_EQ(c->base_url, "http://[::1]:9000");
}

TEST(Upstreams, RefusesWhatIsNotHttpHostPort) {
  for (const char* bad : {"", "127.0.0.1:8081", "https://a:1", "http://a", "http://a:", "http://:80", "http://a:0",
                          "http://a:65536", "http://a:80/api", "http://a:80?x", "http://u@a:80", "http://a:8x",
                          "http://::1:80", "http://[::1]80", "http://a b:80"}) {
    const auto r = parse_upstream(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, "invalid_upstream") << bad;
  }
}

TEST(Upstreams, ParsesAList) {
  const auto list = parse_upstream_list(" http://a:1, http://b:2 ,,http://c:3");
  ASSERT_TRUE(list) << list.error().message;
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[1].base_url, "http://b:2");
  EXPECT_FALSE(parse_upstream_list(""));
  EXPECT_FALSE(parse_upstream_list(" , "));
  EXPECT_FALSE(parse_upstream_list("http://a:1,nope"));
}

TEST(Upstreams, GoesRoundTheInstances) {
  Upstreams up("chat", *parse_upstream_list("http://a:1,http://b:2,http://c:3"));
  std::multiset<std::string> firsts;
  for (int i = 0; i < 6; ++i) firsts.insert(up.at(up.first(), 0).host);
  EXPECT_EQ(firsts.count("a"), 2u);
  EXPECT_EQ(firsts.count("b"), 2u);
  EXPECT_EQ(firsts.count("c"), 2u);
  const auto start = up.first();
  std::set<std::string> tried;
  for (std::size_t attempt = 0; attempt < up.size(); ++attempt) tried.insert(up.at(start, attempt).host);
  EXPECT_EQ(tried.size(), 3u); // a request's attempts cover every instance once
  EXPECT_EQ(up.service(), "chat");
  EXPECT_THROW(Upstreams("chat", {}), std::invalid_argument);
}

} // namespace
} // namespace parley::proxy

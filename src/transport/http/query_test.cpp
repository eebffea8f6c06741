#include "transport/http/query.hpp"

#include <gtest/gtest.h>

#include "core/base64url.hpp"

namespace parley::http {
namespace {

Request get(std::string target) {
  Request req;
  req.message.method(boost::beast::http::verb::get);
  req.message.target(target);
  return req;
}

TEST(QueryInt, ParsesNonNegativeIntegersOrFallsBack) {
  EXPECT_EQ(*query_int(get("/x?limit=7"), "limit", 20), 7);
  EXPECT_EQ(*query_int(get("/x"), "limit", 20), 20);
  EXPECT_EQ(*query_int(get("/x?limit=0"), "limit", 20), 0);
  for (const char* bad : {"/x?limit=-1", "/x?limit=abc", "/x?limit=7x", "/x?limit=", "/x?limit=99999999999999999999"})
    EXPECT_EQ(query_int(get(bad), "limit", 20).error().code, "invalid_query") << bad;
}

TEST(CursorParam, RoundTripsAndRefusesGarbage) {
  const auto text = encode_keyset({1700000000123, "chat:with:colons"});
  auto parsed = cursor_param(get("/x?cursor=" + text));
  ASSERT_TRUE(parsed && *parsed);
  EXPECT_EQ((*parsed)->number, 1700000000123);
  EXPECT_EQ((*parsed)->id, "chat:with:colons");
  EXPECT_FALSE(cursor_param(get("/x"))->has_value());
  EXPECT_FALSE(cursor_param(get("/x?cursor="))->has_value());
  for (const std::string& bad : {std::string("!!"), base64url_encode("no-colon"), base64url_encode("12:"),
                                 base64url_encode("x1:id"), base64url_encode(":id")})
    EXPECT_EQ(cursor_param(get("/x?cursor=" + bad)).error().code, "invalid_cursor") << bad;
}

} // namespace
} // namespace parley::http

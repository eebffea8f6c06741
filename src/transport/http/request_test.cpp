#include "transport/http/request.hpp"

#include <gtest/gtest.h>

namespace parley::http {
namespace {

Request with_target(std::string target) {
  Request req;
  req.message.target(target);
  return req;
}

} // namespace

TEST(Request, PathStripsTheQuery) { EXPECT_EQ(with_target("/a/b?x=1").path(), "/a/b"); }

TEST(Request, QueryParametersAreDecoded) {
  const auto req = with_target("/s?q=ann%20b&limit=5&empty=&plus=a+b");
  EXPECT_EQ(req.query("q"), "ann b");
  EXPECT_EQ(req.query("limit"), "5");
  EXPECT_EQ(req.query("empty"), "");
  EXPECT_EQ(req.query("plus"), "a b");
  EXPECT_EQ(req.query("missing"), std::nullopt);
}

TEST(Request, MalformedEscapesAreRejected) {
  EXPECT_EQ(percent_decode("%"), std::nullopt);
  EXPECT_EQ(percent_decode("%4"), std::nullopt);
  EXPECT_EQ(percent_decode("%zz"), std::nullopt);
  EXPECT_EQ(percent_decode("%41%42"), "AB");
  EXPECT_EQ(with_target("/s?q=%E").query("q"), std::nullopt);
}

TEST(Request, PathParametersDecodeWithPlusKept) {
  Request req;
  req.path_params = {{"id", "a%2Fb+c%25"}, {"bad", "x%4"}};
  EXPECT_EQ(req.path_param("id"), "a%2Fb+c%25");
  EXPECT_EQ(req.decoded_path_param("id"), "a/b+c%");
  EXPECT_EQ(req.decoded_path_param("bad"), std::nullopt);
}

TEST(Request, BearerTokenIsTakenFromAuthorization) {
  Request req;
  req.message.set("Authorization", "Bearer abc.def");
  EXPECT_EQ(req.bearer_token(), "abc.def");
  req.message.set("Authorization", "bearer xyz");
  EXPECT_EQ(req.bearer_token(), "xyz");
  req.message.set("Authorization", "Basic Zm9v");
  EXPECT_EQ(req.bearer_token(), "");
  req.message.set("Authorization", "Bear");
  EXPECT_EQ(req.bearer_token(), "");
}

} // namespace parley::http

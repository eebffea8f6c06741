#include "transport/http/json_body.hpp"

#include <gtest/gtest.h>

namespace parley::http {

TEST(BodyReader, ReadsRequiredAndOptionalFields) {
  auto body = BodyReader::parse(R"({"email":"a@b.c","flag":true})", {"email", "name", "flag"});
  ASSERT_TRUE(body);
  EXPECT_EQ(body->required("email"), "a@b.c");
  EXPECT_EQ(body->optional("name"), std::nullopt);
  EXPECT_EQ(body->optional_bool("flag"), true);
  EXPECT_TRUE(body->finish());
}

TEST(BodyReader, MalformedJsonIsInvalidJson) {
  for (const char* text : {"", "{", "{\"a\":}", "[1,2]", "\"str\"", "nul", "{\"a\":1}x"}) {
    const auto body = BodyReader::parse(text, {"a"});
    ASSERT_FALSE(body) << text;
    EXPECT_EQ(body.error().code, "invalid_json") << text;
  }
}

TEST(BodyReader, UnknownFieldsAreRefused) {
  const auto body = BodyReader::parse(R"({"email":"x","admin":true})", {"email"});
  ASSERT_FALSE(body);
  EXPECT_EQ(body.error().code, "unknown_field");
}

TEST(BodyReader, WrongTypesAndMissingFieldsAreInvalidField) {
  auto body = BodyReader::parse(R"({"email":5})", {"email", "password"});
  ASSERT_TRUE(body);
  body->required("email");
  body->required("password");
  const auto done = body->finish();
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code, "invalid_field");
  EXPECT_NE(done.error().message.find("email"), std::string::npos); // the first problem wins
}

TEST(BodyReader, NullIsAWrongTypeNotAnAbsentField) {
  auto body = BodyReader::parse(R"({"name":null})", {"name"});
  ASSERT_TRUE(body);
  EXPECT_EQ(body->optional("name"), std::nullopt);
  EXPECT_EQ(body->finish().error().code, "invalid_field");
}

TEST(BodyReader, IntegersAndStringArraysAreTypeAndRangeChecked) {
  auto body = BodyReader::parse(R"({"seq":5,"ids":["a","b"]})", {"seq", "ids", "big"});
  ASSERT_TRUE(body);
  EXPECT_EQ(body->required_int("seq", 0, 10), 5);
  EXPECT_EQ(body->string_array("ids", 5), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(body->finish());
  for (const char* text : {R"({"seq":11})", R"({"seq":-1})", R"({"seq":"5"})", R"({"seq":1.5})", R"({})",
                           R"({"seq":18446744073709551615})"}) {
    auto b = BodyReader::parse(text, {"seq"});
    ASSERT_TRUE(b);
    b->required_int("seq", 0, 10);
    EXPECT_EQ(b->finish().error().code, "invalid_field") << text;
  }
  for (const char* text : {R"({"ids":"a"})", R"({"ids":[1]})", R"({"ids":["a","b","c"]})"}) {
    auto b = BodyReader::parse(text, {"ids"});
    ASSERT_TRUE(b);
    b->string_array("ids", 2);
    EXPECT_EQ(b->finish().error().code, "invalid_field") << text;
  }
}

TEST(BodyReader, DeepNestingIsRefused) {
  const std::string deep = "{\"a\":" + std::string(100, '[') + std::string(100, ']') + "}";
  const auto body = BodyReader::parse(deep, {"a"});
  ASSERT_FALSE(body);
  EXPECT_EQ(body.error().code, "invalid_json");
}

} // namespace parley::http

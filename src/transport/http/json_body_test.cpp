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

TEST(BodyReader, DeepNestingIsRefused) {
  const std::string deep = "{\"a\":" + std::string(100, '[') + std::string(100, ']') + "}";
  const auto body = BodyReader::parse(deep, {"a"});
  ASSERT_FALSE(body);
  EXPECT_EQ(body.error().code, "invalid_json");
}

} // namespace parley::http

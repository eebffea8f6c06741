#include "core/base64url.hpp"

#include <gtest/gtest.h>

namespace parley {
namespace {

// RFC 4648 §10 vectors, with padding removed (the base64url alphabet agrees on these).
TEST(Base64Url, EncodesRfc4648Vectors) {
  EXPECT_EQ(base64url_encode(""), "");
  EXPECT_EQ(base64url_encode("f"), "Zg");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
  EXPECT_EQ(base64url_encode("foo"), "Zm9v");
  EXPECT_EQ(base64url_encode("foob"), "Zm9vYg");
  EXPECT_EQ(base64url_encode("fooba"), "Zm9vYmE");
  EXPECT_EQ(base64url_encode("foobar"), "Zm9vYmFy");
}

TEST(Base64Url, DecodesRfc4648Vectors) {
  EXPECT_EQ(base64url_decode(""), std::string());
  EXPECT_EQ(base64url_decode("Zg"), std::string("f"));
  EXPECT_EQ(base64url_decode("Zm8"), std::string("fo"));
  EXPECT_EQ(base64url_decode("Zm9v"), std::string("foo"));
  EXPECT_EQ(base64url_decode("Zm9vYg"), std::string("foob"));
  EXPECT_EQ(base64url_decode("Zm9vYmE"), std::string("fooba"));
  EXPECT_EQ(base64url_decode("Zm9vYmFy"), std::string("foobar"));
}

TEST(Base64Url, UsesUrlSafeAlphabet) {
  const std::string bytes("\xfb\xff\xbf", 3);
  EXPECT_EQ(base64url_encode(bytes), "-_-_");
  EXPECT_EQ(base64url_decode("-_-_"), bytes);
}

TEST(Base64Url, RoundTripsAllByteValues) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
  for (std::size_t len = 0; len <= bytes.size(); len += 7) {
    const auto part = bytes.substr(0, len);
    EXPECT_EQ(base64url_decode(base64url_encode(part)), part);
  }
}

TEST(Base64Url, RejectsPadding) {
  EXPECT_FALSE(base64url_decode("Zg=="));
  EXPECT_FALSE(base64url_decode("Zm8="));
}

TEST(Base64Url, RejectsInvalidCharacters) {
  EXPECT_FALSE(base64url_decode("Zm9v+g"));
  EXPECT_FALSE(base64url_decode("Zm9v/g"));
  EXPECT_FALSE(base64url_decode("Zm 9v"));
  EXPECT_FALSE(base64url_decode(std::string_view("Zm\0v", 4)));
  EXPECT_FALSE(base64url_decode("Zm9v\xc3\xa9"));
}

TEST(Base64Url, RejectsImpossibleLengths) {
  EXPECT_FALSE(base64url_decode("Z"));
  EXPECT_FALSE(base64url_decode("Zm9vY"));
}

TEST(Base64Url, RejectsNonZeroTrailingBits) {
  EXPECT_FALSE(base64url_decode("Zh"));  // "Zg" with a stray low bit
  EXPECT_FALSE(base64url_decode("Zm9")); // "Zm8" with a stray low bit
}

} // namespace
} // namespace parley

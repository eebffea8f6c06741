#include "services/auth/secrets.hpp"

#include <gtest/gtest.h>

#include <set>

#include "core/base64url.hpp"

namespace parley {
namespace {

TEST(Secrets, OtpIsSixDigits) {
  for (int i = 0; i < 1000; ++i) {
    const auto code = random_otp_code();
    ASSERT_EQ(code.size(), 6u) << code;
    for (const char c : code) ASSERT_TRUE(c >= '0' && c <= '9') << code;
  }
}

TEST(Secrets, OtpUsesEveryDigit) {
  std::set<char> seen;
  for (int i = 0; i < 1000; ++i) {
    for (const char c : random_otp_code()) seen.insert(c);
  }
  EXPECT_EQ(seen.size(), 10u);
}

TEST(Secrets, TokensDifferAndDecodeToRequestedLength) {
  const auto a = random_token(32);
  const auto b = random_token(32);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.size(), 43u);
  const auto raw = base64url_decode(a);
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->size(), 32u);
}

TEST(Secrets, Sha256HexMatchesKnownDigests) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Secrets, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
  EXPECT_FALSE(constant_time_equal("", "a"));
}

} // namespace
} // namespace parley

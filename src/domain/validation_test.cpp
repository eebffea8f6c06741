#include "domain/validation.hpp"

#include <gtest/gtest.h>

namespace parley::domain {

TEST(Email, IsTrimmedAndLowerCased) { EXPECT_EQ(normalize_email("  Ann.Lee@Example.COM "), "ann.lee@example.com"); }

TEST(Email, MalformedAddressesAreRefused) {
  for (const char* e : {"", "ann", "@example.com", "ann@", "ann@example", "ann@@example.com", "a b@example.com",
                        "ann@example..com", "ann@.com", "ann@example.", "ann\n@example.com"}) {
    const auto r = normalize_email(e);
    ASSERT_FALSE(r) << e;
    EXPECT_EQ(r.error().code, "invalid_email");
    EXPECT_EQ(r.error().kind, ErrorKind::unprocessable);
  }
  EXPECT_FALSE(normalize_email(std::string(250, 'a') + "@example.com"));
}

TEST(Username, IsLowerCasedAndRestricted) {
  EXPECT_EQ(normalize_username("Ann_Lee9"), "ann_lee9");
  for (const char* u : {"", "ab", "9ann", "_ann", "ann-lee", "ann lee", "ännа"})
    EXPECT_FALSE(normalize_username(u)) << u;
  EXPECT_TRUE(normalize_username(std::string(32, 'a')));
  EXPECT_FALSE(normalize_username(std::string(33, 'a')));
}

TEST(Password, PolicyRefusesShortLongAndCommonPasswords) {
  EXPECT_TRUE(check_password("correct horse battery"));
  EXPECT_TRUE(check_password("ünïcødé!")); // 8 characters, more bytes
  EXPECT_EQ(check_password("short").error().code, "weak_password");
  EXPECT_FALSE(check_password("1234567"));
  EXPECT_FALSE(check_password("Password"));
  EXPECT_FALSE(check_password("12345678"));
  EXPECT_FALSE(check_password("iloveyou"));
  EXPECT_FALSE(check_password(std::string(129, 'x')));
  EXPECT_FALSE(check_password("abcdefg\xff"));
}

TEST(Profile, DisplayNameBioAndAvatarRules) {
  EXPECT_EQ(normalize_display_name("  Ann Lee "), "Ann Lee");
  EXPECT_FALSE(normalize_display_name("   "));
  EXPECT_FALSE(normalize_display_name("a\x01"));
  EXPECT_TRUE(normalize_display_name(std::string(64, 'x')));
  EXPECT_FALSE(normalize_display_name(std::string(65, 'x')));
  EXPECT_TRUE(check_bio(""));
  EXPECT_FALSE(check_bio(std::string(281, 'b')));
  EXPECT_TRUE(check_avatar_url(""));
  EXPECT_TRUE(check_avatar_url("https://cdn.example.com/a.png"));
  for (const char* u : {"http://[::1]/a.png", "https://cdn.example.com:8443/a?b#c", "https://u@cdn.example.com/",
                        "http://127.0.0.1:80", "https://cdn.example.com?x=[1]"})
    EXPECT_TRUE(check_avatar_url(u)) << u;
  for (const char* u : {"javascript:alert(1)", "ftp://x", "https://", "https://a b", "data:image/png;base64,xx",
                        "http://[", "http://[x]/", "http://[]/", "http://[::1", "http://a]b/", "https:///a.png",
                        "https://?q", "https://host:port/", "https://host:123456/", "http://[::1]x/", "https://u@/"})
    EXPECT_FALSE(check_avatar_url(u)) << u;
}

TEST(Utf8, StrictDecoding) {
  EXPECT_TRUE(is_valid_utf8("héllo €𝄞"));
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));         // overlong
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));     // surrogate
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80")); // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xe2\x82"));         // truncated
  EXPECT_EQ(utf8_length("h€𝄞"), 3u);
}

} // namespace parley::domain

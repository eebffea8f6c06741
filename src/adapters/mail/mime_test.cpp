#include "adapters/mail/mime.hpp"

#include <gtest/gtest.h>

namespace parley {

TEST(Mime, RendersHeadersAndCrlfBody) {
  const auto m = render_mime({"ann@example.com", "Your code", "Line 1\nLine 2", "123456"}, "no-reply@parley.local", 0);
  ASSERT_TRUE(m);
  EXPECT_NE(m->find("To: <ann@example.com>\r\n"), std::string::npos);
  EXPECT_NE(m->find("Subject: Your code\r\n"), std::string::npos);
  EXPECT_NE(m->find("\r\n\r\nLine 1\r\nLine 2\r\n"), std::string::npos);
  EXPECT_NE(m->find("Date: Thu, 01 Jan 1970 00:00:00 +0000"), std::string::npos);
}

TEST(Mime, RefusesHeaderInjection) {
  EXPECT_FALSE(render_mime({"ann@example.com\r\nBcc: eve@example.com", "s", "b", ""}, "a@b.c", 0));
  EXPECT_FALSE(render_mime({"ann@example.com", "s\nBcc: eve@example.com", "b", ""}, "a@b.c", 0));
}

TEST(Mime, EncodesNonAsciiSubjects) {
  const auto m = render_mime({"a@b.co", "Café", "x", ""}, "a@b.c", 0);
  ASSERT_TRUE(m);
  EXPECT_NE(m->find("Subject: =?UTF-8?B?Q2Fmw6k=?=\r\n"), std::string::npos);
}

} // namespace parley

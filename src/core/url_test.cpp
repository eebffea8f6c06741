#include "core/url.hpp"

#include <gtest/gtest.h>

namespace parley {
namespace {

TEST(PercentEncode, KeepsOnlyUnreservedCharacters) {
  EXPECT_EQ(percent_encode("AZaz09-_.~"), "AZaz09-_.~");
  EXPECT_EQ(percent_encode("a b+c/d?e=f&g%"), "a%20b%2Bc%2Fd%3Fe%3Df%26g%25");
  EXPECT_EQ(percent_encode("é日"), "%C3%A9%E6%97%A5");
  EXPECT_EQ(percent_encode(std::string_view("\0\xff", 2)), "%00%FF");
  EXPECT_EQ(percent_encode(""), "");
}

TEST(HexEncode, IsLowerCaseTwoDigitsPerByte) {
  EXPECT_EQ(hex_encode(std::string_view("\x00\x0f\xa0\xff", 4)), "000fa0ff");
  EXPECT_EQ(hex_encode(""), "");
}

} // namespace
} // namespace parley

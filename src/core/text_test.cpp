#include "core/text.hpp"

#include <gtest/gtest.h>

namespace parley {

TEST(FoldCase, LowersCommonScripts) {
  EXPECT_EQ(fold_case("Ann LEE"), "ann lee");
  EXPECT_EQ(fold_case("ÉMILE Zoë"), "émile zoë");
  EXPECT_EQ(fold_case("ŁÓDŹ ŒUVRE"), "łódź œuvre");
  EXPECT_EQ(fold_case("ΑΘΗΝΑ"), "αθηνα");
  EXPECT_EQ(fold_case("МОСКВА ЁЖ"), "москва ёж");
  EXPECT_EQ(fold_case("Ÿ×"), "ÿ×");
}

TEST(FoldCase, LeavesEverythingElseAlone) {
  EXPECT_EQ(fold_case("日本語 😀 123 _%"), "日本語 😀 123 _%");
  EXPECT_EQ(fold_case("\xff\xc3"), "\xff\xc3"); // invalid bytes are copied
  EXPECT_EQ(fold_case(""), "");
}

TEST(Utf8Prefix, NeverSplitsASequence) {
  EXPECT_EQ(utf8_prefix("hello", 10), "hello");
  EXPECT_EQ(utf8_prefix("hello", 3), "hel");
  EXPECT_EQ(utf8_prefix("héllo", 2), "h"); // é is two bytes
  EXPECT_EQ(utf8_prefix("héllo", 3), "hé");
  EXPECT_EQ(utf8_prefix("😀x", 3), "");
  EXPECT_EQ(utf8_prefix("😀x", 4), "😀");
  EXPECT_EQ(utf8_prefix("", 0), "");
}

} // namespace parley

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

} // namespace parley

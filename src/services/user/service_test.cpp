// The user service's rules on a real SQLite profile store (in memory).
#include "services/user/service.hpp"

#include <gtest/gtest.h>

#include <set>

#include "adapters/sqlite/database.hpp"
#include "adapters/sqlite/sqlite_profile_store.hpp"

namespace parley {
namespace {

// Account closing is the auth service's; here it only needs to say yes or no.
class PasswordIsOpenSesame final : public AccountAdmin {
 public:
  Result<void> close_account(std::string_view, std::string_view password) override {
    if (password != "open sesame") return fail(Error::unauthenticated("invalid_credentials", "wrong password"));
    return {};
  }
};

class UserServiceTest : public ::testing::Test {
 protected:
  UserServiceTest()
      : db_(":memory:"), profiles_(db_), directory_(profiles_, clock_), users_(profiles_, admin_, clock_) {}

  void add(std::string id, std::string username, std::string display_name) {
    ASSERT_TRUE(directory_.create_profile({id, username, username + "@example.com", display_name}));
  }

  ManualClock clock_;
  SqliteDatabase db_;
  SqliteProfileStore profiles_;
  PasswordIsOpenSesame admin_;
  ProfileDirectory directory_;
  UserService users_;
};

} // namespace

TEST_F(UserServiceTest, UpdateValidatesAndStampsTheProfile) {
  add("1", "ann", "Ann");
  clock_.advance_ms(5000);
  const auto updated = users_.update("1", {"  Ann Lee ", "hi there", "https://cdn.example.com/a.png"});
  ASSERT_TRUE(updated);
  EXPECT_EQ(updated->display_name, "Ann Lee");
  EXPECT_EQ(users_.get("1")->bio, "hi there");
  EXPECT_GT(updated->updated_at_ms, updated->created_at_ms);
  EXPECT_EQ(users_.update("1", {std::nullopt, std::nullopt, "javascript:alert(1)"}).error().code, "invalid_avatar_url");
  EXPECT_EQ(users_.update("1", {std::string(65, 'x'), std::nullopt, std::nullopt}).error().code,
            "invalid_display_name");
  EXPECT_EQ(users_.get("1")->avatar_url, "https://cdn.example.com/a.png"); // a refused patch changes nothing
  EXPECT_EQ(users_.update("404", {}).error().code, "user_not_found");
}

TEST_F(UserServiceTest, SearchPagesThroughEveryMatchOnce) {
  for (int i = 0; i < 7; ++i) add(std::to_string(i), "zed" + std::to_string(i), "Zed " + std::to_string(i));
  add("99", "amy", "Zedora"); // matches by display name
  std::set<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    const auto page = users_.search("ZED", cursor, 3);
    ASSERT_TRUE(page);
    ++pages;
    for (const auto& p : page->items) EXPECT_TRUE(seen.insert(p.id).second) << "seen twice: " << p.id;
    cursor = page->next_cursor.value_or("");
  } while (!cursor.empty() && pages < 10);
  EXPECT_EQ(seen.size(), 8u);
  EXPECT_EQ(pages, 3);
}

TEST_F(UserServiceTest, SearchRefusesBadQueriesAndCursors) {
  EXPECT_EQ(users_.search("", "", 10).error().code, "invalid_query");
  EXPECT_EQ(users_.search(std::string(65, 'a'), "", 10).error().code, "invalid_query");
  std::string accents; // 64 characters, 128 bytes: the limit counts characters
  for (int i = 0; i < 64; ++i) accents += "\xc3\xa9";
  EXPECT_TRUE(users_.search(accents, "", 10));
  EXPECT_EQ(users_.search(accents + "\xc3\xa9", "", 10).error().code, "invalid_query");
  EXPECT_EQ(users_.search("a", "", 0).error().code, "invalid_query");
  EXPECT_EQ(users_.search("a", "", 51).error().code, "invalid_query");
  EXPECT_EQ(users_.search("a", "!!not base64!!", 10).error().code, "invalid_cursor");
}

TEST_F(UserServiceTest, DeletionNeedsThePasswordAndRemovesTheProfile) {
  add("1", "ann", "Ann");
  EXPECT_EQ(users_.delete_account("1", "guess").error().code, "invalid_credentials");
  EXPECT_TRUE(users_.get("1"));
  ASSERT_TRUE(users_.delete_account("1", "open sesame"));
  EXPECT_EQ(users_.get("1").error().code, "user_not_found");
  add("2", "ann", "Ann again"); // the username is free again
}

} // namespace parley

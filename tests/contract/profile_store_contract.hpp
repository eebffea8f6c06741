#pragma once
// The ProfileStore contract, run against every adapter.

#include <vector>

#include "store_backend.hpp"

namespace parley::contract {

class ProfileStoreContract : public StoreContract {
 protected:
  ProfileStore& store() { return backend().profiles(); }

  static Profile profile(std::string id, std::string username, std::string display_name = "") {
    Profile p;
    p.id = std::move(id);
    p.username = std::move(username);
    p.email = p.username + "@example.com";
    p.display_name = display_name.empty() ? "Someone" : std::move(display_name);
    p.bio = "bio of " + p.id;
    p.avatar_url = "/media/" + p.id + ".png";
    p.created_at_ms = 1111;
    p.updated_at_ms = 2222;
    return p;
  }

  void add(std::string id, std::string username, std::string display_name = "") {
    auto r = store().insert(profile(std::move(id), std::move(username), std::move(display_name)));
    ASSERT_TRUE(r) << r.error().message;
  }

  // Usernames of one search page.
  std::vector<std::string> search(std::string_view prefix, std::string_view after = "", int limit = 50) {
    auto r = store().search(prefix, after, limit);
    EXPECT_TRUE(r) << r.error().message;
    std::vector<std::string> names;
    if (r) {
      for (const auto& p : *r) names.push_back(p.username);
    }
    return names;
  }

  using Names = std::vector<std::string>;
};

inline void expect_same_profile(const Profile& want, const Profile& got) {
  EXPECT_EQ(want.id, got.id);
  EXPECT_EQ(want.username, got.username);
  EXPECT_EQ(want.email, got.email);
  EXPECT_EQ(want.display_name, got.display_name);
  EXPECT_EQ(want.bio, got.bio);
  EXPECT_EQ(want.avatar_url, got.avatar_url);
  EXPECT_EQ(want.created_at_ms, got.created_at_ms);
  EXPECT_EQ(want.updated_at_ms, got.updated_at_ms);
}

TEST_P(ProfileStoreContract, InsertThenFindByIdAndUsernameReturnsEveryField) {
  const auto p = profile("u1", "alice", "Alice Liddell");
  ASSERT_TRUE(store().insert(p));
  auto by_id = store().find_by_id("u1");
  ASSERT_TRUE(by_id);
  ASSERT_TRUE(by_id->has_value());
  expect_same_profile(p, **by_id);
  auto by_name = store().find_by_username("alice");
  ASSERT_TRUE(by_name);
  ASSERT_TRUE(by_name->has_value());
  expect_same_profile(p, **by_name);
}

TEST_P(ProfileStoreContract, EmptyOptionalFieldsRoundTripAsEmpty) {
  auto p = profile("u1", "alice", "Alice");
  p.bio = ""; // empty must come back empty, not as NULL or a missing field
  p.avatar_url = "";
  ASSERT_TRUE(store().insert(p));
  auto got = store().find_by_id("u1");
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((*got)->bio, "");
  EXPECT_EQ((*got)->avatar_url, "");
}

TEST_P(ProfileStoreContract, FindMissingReturnsNullopt) {
  add("u1", "alice");
  auto by_id = store().find_by_id("u2");
  ASSERT_TRUE(by_id);
  EXPECT_FALSE(by_id->has_value());
  auto by_name = store().find_by_username("bob");
  ASSERT_TRUE(by_name);
  EXPECT_FALSE(by_name->has_value());
}

TEST_P(ProfileStoreContract, DuplicateUsernameIsConflictUsernameTaken) {
  add("u1", "alice");
  auto r = store().insert(profile("u2", "alice"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::conflict);
  EXPECT_EQ(r.error().code, "username_taken");
  auto second = store().find_by_id("u2");
  ASSERT_TRUE(second);
  EXPECT_FALSE(second->has_value());
}

TEST_P(ProfileStoreContract, UpdateReplacesTheEditableFieldsOnly) {
  const auto original = profile("u1", "alice", "Alice");
  ASSERT_TRUE(store().insert(original));
  add("u2", "bob", "Bob");
  auto changed = original;
  changed.username = "mallory";       // not editable
  changed.email = "evil@example.com"; // not editable
  changed.created_at_ms = 9;          // not editable
  changed.display_name = "Queen Alice";
  changed.bio = "new bio";
  changed.avatar_url = "/media/new.png";
  changed.updated_at_ms = 3333;
  ASSERT_TRUE(store().update(changed));
  auto got = store().find_by_id("u1");
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((*got)->username, "alice");
  EXPECT_EQ((*got)->email, original.email);
  EXPECT_EQ((*got)->created_at_ms, original.created_at_ms);
  EXPECT_EQ((*got)->display_name, "Queen Alice");
  EXPECT_EQ((*got)->bio, "new bio");
  EXPECT_EQ((*got)->avatar_url, "/media/new.png");
  EXPECT_EQ((*got)->updated_at_ms, 3333);
  auto other = store().find_by_id("u2");
  ASSERT_TRUE(other && other->has_value());
  EXPECT_EQ((*other)->display_name, "Bob");
  // Search follows the new display name, not the old one.
  EXPECT_EQ(search("queen"), Names{"alice"});
}

TEST_P(ProfileStoreContract, UpdateMissingIsNotFound) {
  auto r = store().update(profile("nobody", "nobody"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::not_found);
  EXPECT_EQ(r.error().code, "profile_not_found");
}

TEST_P(ProfileStoreContract, RemoveDeletesAndFreesTheUsername) {
  add("u1", "alice");
  add("u2", "bob");
  ASSERT_TRUE(store().remove("u1"));
  auto gone = store().find_by_id("u1");
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone->has_value());
  auto other = store().find_by_id("u2");
  ASSERT_TRUE(other);
  EXPECT_TRUE(other->has_value());
  EXPECT_TRUE(store().insert(profile("u3", "alice")));
  EXPECT_TRUE(store().remove("nobody")); // missing: not an error
}

TEST_P(ProfileStoreContract, SearchMatchesUsernamePrefixOrderedByUsername) {
  add("u1", "carol", "Zed");
  add("u2", "alice", "Zed");
  add("u3", "alfred", "Zed");
  add("u4", "bob", "Zed");
  EXPECT_EQ(search("al"), (Names{"alfred", "alice"}));
  EXPECT_EQ(search("alice"), Names{"alice"});
  EXPECT_EQ(search("alicex"), Names{});
  EXPECT_EQ(search("lice"), Names{}); // prefix, not substring
}

TEST_P(ProfileStoreContract, SearchMatchesDisplayNamePrefix) {
  add("u1", "xavier", "Bobby Tables");
  add("u2", "yann", "Robert");
  add("u3", "bob", "Zed");
  add("u4", "zoe", "Tables Bobby");
  EXPECT_EQ(search("bob"), (Names{"bob", "xavier"}));
  EXPECT_EQ(search("bobby t"), Names{"xavier"});
}

TEST_P(ProfileStoreContract, SearchIsCaseInsensitive) {
  add("u1", "alice", "Zed");
  add("u2", "xavier", "ALICE Cooper");
  add("u3", "bob", "Zed");
  EXPECT_EQ(search("ALI"), (Names{"alice", "xavier"}));
  EXPECT_EQ(search("aLiCe c"), Names{"xavier"});
}

TEST_P(ProfileStoreContract, SearchTreatsWildcardsLiterally) {
  add("u1", "a_b", "Zed");
  add("u2", "axb", "Zed");
  add("u3", "percent", "100% real");
  add("u4", "thousand", "1000 things");
  add("u5", "slash", "back\\slash");
  add("u6", "slosh", "backxslash");
  EXPECT_EQ(search("a_"), Names{"a_b"});
  EXPECT_EQ(search("%"), Names{});
  EXPECT_EQ(search("_"), Names{});
  EXPECT_EQ(search("100%"), Names{"percent"});
  EXPECT_EQ(search("back\\"), Names{"slash"});
  EXPECT_EQ(search("back\\s"), Names{"slash"});
}

TEST_P(ProfileStoreContract, EmptyPrefixListsEveryone) {
  add("u1", "carol");
  add("u2", "alice");
  add("u3", "bob");
  EXPECT_EQ(search(""), (Names{"alice", "bob", "carol"}));
}

TEST_P(ProfileStoreContract, SearchHonoursTheLimit) {
  add("u1", "ann");
  add("u2", "anna");
  add("u3", "anne");
  add("u4", "annie");
  EXPECT_EQ(search("ann", "", 2), (Names{"ann", "anna"}));
  EXPECT_EQ(search("ann", "", 1), Names{"ann"});
  EXPECT_EQ(search("ann", "", 10).size(), 4u);
}

TEST_P(ProfileStoreContract, PaginationWithAfterReturnsTheNextPageWithoutOverlap) {
  const Names all{"dan", "dana", "daniel", "danielle", "danny", "dante", "danuta"};
  int n = 0;
  for (auto it = all.rbegin(); it != all.rend(); ++it) add("u" + std::to_string(++n), *it, "Zed");
  add("other", "eve", "Dan the display name");
  Names seen;
  std::string after;
  for (int page = 0; page < 10; ++page) {
    auto names = search("DAN", after, 3);
    if (names.empty()) break;
    EXPECT_LE(names.size(), 3u);
    for (const auto& name : names) {
      if (!seen.empty()) {
        EXPECT_LT(seen.back(), name);
      }
      seen.push_back(name);
    }
    after = names.back();
  }
  Names want = all;
  want.push_back("eve");
  EXPECT_EQ(seen, want);
  EXPECT_EQ(search("dan", "danielle", 3), (Names{"danny", "dante", "danuta"}));
}

} // namespace parley::contract

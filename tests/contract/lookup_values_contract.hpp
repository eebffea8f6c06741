#pragma once
// Lookups by client-controlled strings, run against every adapter: values that a query
// language would read as operators, wildcards, paths or SQL ({"$gt": ""}, "$where", "a.b",
// "%", "' OR '1'='1", ...) are plain values. They find what equals them and nothing more,
// and writes keyed by them change nothing else. (MessageStore has its own such test.)

#include <string>
#include <vector>

#include "store_backend.hpp"

namespace parley::contract {

class LookupValuesContract : public StoreContract {
 protected:
  static std::vector<std::string> odd_values() {
    return {R"({"$gt": ""})",
            R"({"$ne": null})",
            R"({"$regex": ".*"})",
            "$gt",
            "$ne",
            "$where",
            "$exists",
            "$",
            "u1.id",
            "a.b.c",
            ".",
            "..",
            ".*",
            "^u",
            "u1|u2",
            "[u]",
            "%",
            "_",
            "*",
            "u%",
            "u_",
            "' OR '1'='1",
            R"(" OR ""=")",
            "u1' --",
            "u1'; DROP TABLE x; --",
            "\\",
            std::string("u1\0x", 4),
            "[object Object]"};
  }

  void seed() {
    Account a;
    a.id = "u1";
    a.email = "ann@example.com";
    a.password_hash = "$argon2id$seed";
    a.verified = true;
    ASSERT_TRUE(backend().accounts().insert(a));
    Profile p;
    p.id = "u1";
    p.username = "ann";
    p.display_name = "Ann";
    ASSERT_TRUE(backend().profiles().insert(p));
    ASSERT_TRUE(backend().sessions().create_session(RefreshToken{"h1", "s1", "u1", 1000, 1'000'000'000, false, false}));
    Otp otp;
    otp.user_id = "u1";
    otp.code_hash = "c0de";
    otp.expires_at_ms = 1'000'000'000;
    ASSERT_TRUE(backend().otps().put(otp));
    Chat c;
    c.id = "c1";
    c.name = "Club";
    c.created_by = "u1";
    c.created_at_ms = c.updated_at_ms = c.last_activity_ms = 1000;
    ASSERT_TRUE(backend().chats().create_group(
        c, {Member{"c1", "u1", domain::Role::owner, 1000}, Member{"c1", "u2", domain::Role::member, 1000}}));
    Notification n;
    n.id = "n1";
    n.user_id = "u1";
    n.kind = "mention";
    n.chat_id = "c1";
    n.actor_id = "u2";
    n.created_at_ms = n.updated_at_ms = 1000;
    auto added = backend().notifications().add(n, "dedupe-n1");
    ASSERT_TRUE(added) << added.error().message;
  }

  // What seed() stored is all still there, unchanged.
  void expect_seed_intact() {
    auto account = backend().accounts().find_by_email("ann@example.com");
    ASSERT_TRUE(account && account->has_value());
    EXPECT_EQ((*account)->password_hash, "$argon2id$seed");
    auto profile = backend().profiles().find_by_username("ann");
    ASSERT_TRUE(profile && profile->has_value());
    auto active = backend().sessions().session_active("s1");
    ASSERT_TRUE(active);
    EXPECT_TRUE(*active);
    auto otp = backend().otps().get("u1", OtpPurpose::verify_email);
    ASSERT_TRUE(otp && otp->has_value());
    EXPECT_EQ((*otp)->attempts, 0);
    auto members = backend().chats().members("c1");
    ASSERT_TRUE(members);
    EXPECT_EQ(members->size(), 2u);
    auto unread = backend().notifications().unread_count("u1");
    ASSERT_TRUE(unread);
    EXPECT_EQ(*unread, 1);
  }
};

TEST_P(LookupValuesContract, OperatorAndWildcardStringsFindNothingExtra) {
  seed();
  for (const auto& v : odd_values()) {
    SCOPED_TRACE(v);
    auto& accounts = backend().accounts();
    auto by_email = accounts.find_by_email(v);
    ASSERT_TRUE(by_email) << by_email.error().message;
    EXPECT_FALSE(by_email->has_value());
    auto by_id = accounts.find_by_id(v);
    ASSERT_TRUE(by_id);
    EXPECT_FALSE(by_id->has_value());

    auto& profiles = backend().profiles();
    auto profile = profiles.find_by_id(v);
    ASSERT_TRUE(profile);
    EXPECT_FALSE(profile->has_value());
    auto by_name = profiles.find_by_username(v);
    ASSERT_TRUE(by_name);
    EXPECT_FALSE(by_name->has_value());
    auto found = profiles.search(v, "", 10);
    ASSERT_TRUE(found) << found.error().message;
    EXPECT_TRUE(found->empty());

    auto& sessions = backend().sessions();
    auto token = sessions.find_token(v);
    ASSERT_TRUE(token);
    EXPECT_FALSE(token->has_value());
    auto active = sessions.session_active(v);
    ASSERT_TRUE(active);
    EXPECT_FALSE(*active);

    auto otp = backend().otps().get(v, OtpPurpose::verify_email);
    ASSERT_TRUE(otp);
    EXPECT_FALSE(otp->has_value());

    auto& chats = backend().chats();
    auto chat = chats.find(v);
    ASSERT_TRUE(chat);
    EXPECT_FALSE(chat->has_value());
    auto member = chats.member("c1", v);
    ASSERT_TRUE(member);
    EXPECT_FALSE(member->has_value());
    auto in_other = chats.member(v, "u1");
    ASSERT_TRUE(in_other);
    EXPECT_FALSE(in_other->has_value());
    auto members = chats.members(v);
    ASSERT_TRUE(members);
    EXPECT_TRUE(members->empty());
    auto count = chats.member_count(v);
    ASSERT_TRUE(count);
    EXPECT_EQ(*count, 0);
    auto contacts = chats.contacts_of(v);
    ASSERT_TRUE(contacts);
    EXPECT_TRUE(contacts->empty());
    auto mine = chats.chats_of(v, std::nullopt, 10);
    ASSERT_TRUE(mine);
    EXPECT_TRUE(mine->empty());

    auto& notifications = backend().notifications();
    auto listed = notifications.list(v, std::nullopt, 10);
    ASSERT_TRUE(listed);
    EXPECT_TRUE(listed->empty());
    auto unread = notifications.unread_count(v);
    ASSERT_TRUE(unread);
    EXPECT_EQ(*unread, 0);
  }
  expect_seed_intact();
}

TEST_P(LookupValuesContract, WritesKeyedByOperatorStringsChangeNothingElse) {
  seed();
  for (const auto& v : odd_values()) {
    SCOPED_TRACE(v);
    (void)backend().accounts().set_verified(v);
    (void)backend().accounts().set_password_hash(v, "$argon2id$pwned");
    ASSERT_TRUE(backend().accounts().remove(v));
    ASSERT_TRUE(backend().sessions().revoke_session(v));
    ASSERT_TRUE(backend().sessions().revoke_all(v));
    (void)backend().otps().add_attempt(v, OtpPurpose::verify_email);
    ASSERT_TRUE(backend().otps().remove(v, OtpPurpose::verify_email));
    ASSERT_TRUE(backend().profiles().remove(v));
    ASSERT_TRUE(backend().chats().remove_member("c1", v));
    ASSERT_TRUE(backend().chats().remove_member(v, "u2"));
    (void)backend().chats().set_role("c1", v, domain::Role::owner);
    (void)backend().chats().set_role(v, "u2", domain::Role::owner);
    auto marked = backend().notifications().mark_read("u1", v, 2000);
    ASSERT_TRUE(marked);
    EXPECT_FALSE(*marked);
    auto other = backend().notifications().mark_read(v, "n1", 2000);
    ASSERT_TRUE(other);
    EXPECT_FALSE(*other);
    auto all = backend().notifications().mark_all_read(v, 2000);
    ASSERT_TRUE(all);
    EXPECT_EQ(*all, 0);
  }
  expect_seed_intact();
  auto u2 = backend().chats().member("c1", "u2");
  ASSERT_TRUE(u2 && u2->has_value());
  EXPECT_EQ((*u2)->role, domain::Role::member);
}

} // namespace parley::contract

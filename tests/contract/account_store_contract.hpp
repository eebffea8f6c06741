#pragma once
// The AccountStore contract, run against every adapter.

#include "store_backend.hpp"

namespace parley::contract {

class AccountStoreContract : public StoreContract {
 protected:
  AccountStore& store() { return backend().accounts(); }

  static Account account(std::string id, std::string email) {
    Account a;
    a.id = std::move(id);
    a.email = std::move(email);
    a.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$" + a.id;
    a.verified = false;
    a.created_at_ms = 1'767'225'600'123;
    return a;
  }
};

inline void expect_same_account(const Account& want, const Account& got) {
  EXPECT_EQ(want.id, got.id);
  EXPECT_EQ(want.email, got.email);
  EXPECT_EQ(want.password_hash, got.password_hash);
  EXPECT_EQ(want.verified, got.verified);
  EXPECT_EQ(want.created_at_ms, got.created_at_ms);
}

TEST_P(AccountStoreContract, InsertThenFindByIdAndEmailReturnsEveryField) {
  auto a = account("u1", "ann@example.com");
  a.verified = true;
  ASSERT_TRUE(store().insert(a));
  auto by_id = store().find_by_id("u1");
  ASSERT_TRUE(by_id);
  ASSERT_TRUE(by_id->has_value());
  expect_same_account(a, **by_id);
  auto by_email = store().find_by_email("ann@example.com");
  ASSERT_TRUE(by_email);
  ASSERT_TRUE(by_email->has_value());
  expect_same_account(a, **by_email);
}

TEST_P(AccountStoreContract, FindMissingReturnsNullopt) {
  ASSERT_TRUE(store().insert(account("u1", "ann@example.com")));
  auto by_id = store().find_by_id("u2");
  ASSERT_TRUE(by_id);
  EXPECT_FALSE(by_id->has_value());
  auto by_email = store().find_by_email("bob@example.com");
  ASSERT_TRUE(by_email);
  EXPECT_FALSE(by_email->has_value());
}

TEST_P(AccountStoreContract, DuplicateEmailIsConflictEmailTaken) {
  ASSERT_TRUE(store().insert(account("u1", "ann@example.com")));
  auto r = store().insert(account("u2", "ann@example.com"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::conflict);
  EXPECT_EQ(r.error().code, "email_taken");
  // The first account is untouched and the second was not stored.
  auto first = store().find_by_email("ann@example.com");
  ASSERT_TRUE(first && first->has_value());
  EXPECT_EQ((*first)->id, "u1");
  auto second = store().find_by_id("u2");
  ASSERT_TRUE(second);
  EXPECT_FALSE(second->has_value());
}

TEST_P(AccountStoreContract, SetVerifiedChangesOnlyThatAccount) {
  ASSERT_TRUE(store().insert(account("u1", "ann@example.com")));
  ASSERT_TRUE(store().insert(account("u2", "bob@example.com")));
  ASSERT_TRUE(store().set_verified("u1"));
  auto u1 = store().find_by_id("u1");
  auto u2 = store().find_by_id("u2");
  ASSERT_TRUE(u1 && u1->has_value() && u2 && u2->has_value());
  EXPECT_TRUE((*u1)->verified);
  EXPECT_FALSE((*u2)->verified);
}

TEST_P(AccountStoreContract, SetPasswordHashReplacesTheHash) {
  ASSERT_TRUE(store().insert(account("u1", "ann@example.com")));
  ASSERT_TRUE(store().insert(account("u2", "bob@example.com")));
  ASSERT_TRUE(store().set_password_hash("u1", "$argon2id$new"));
  auto u1 = store().find_by_id("u1");
  auto u2 = store().find_by_id("u2");
  ASSERT_TRUE(u1 && u1->has_value() && u2 && u2->has_value());
  EXPECT_EQ((*u1)->password_hash, "$argon2id$new");
  EXPECT_EQ((*u2)->password_hash, account("u2", "").password_hash);
}

TEST_P(AccountStoreContract, UpdatingMissingAccountIsNotFound) {
  auto verified = store().set_verified("nobody");
  ASSERT_FALSE(verified);
  EXPECT_EQ(verified.error().kind, ErrorKind::not_found);
  EXPECT_EQ(verified.error().code, "account_not_found");
  auto hash = store().set_password_hash("nobody", "h");
  ASSERT_FALSE(hash);
  EXPECT_EQ(hash.error().kind, ErrorKind::not_found);
  EXPECT_EQ(hash.error().code, "account_not_found");
}

TEST_P(AccountStoreContract, RemoveDeletesAndFreesTheEmail) {
  ASSERT_TRUE(store().insert(account("u1", "ann@example.com")));
  ASSERT_TRUE(store().insert(account("u2", "bob@example.com")));
  ASSERT_TRUE(store().remove("u1"));
  auto gone = store().find_by_id("u1");
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone->has_value());
  auto by_email = store().find_by_email("ann@example.com");
  ASSERT_TRUE(by_email);
  EXPECT_FALSE(by_email->has_value());
  auto other = store().find_by_id("u2");
  ASSERT_TRUE(other);
  EXPECT_TRUE(other->has_value());
  EXPECT_TRUE(store().insert(account("u3", "ann@example.com")));
}

TEST_P(AccountStoreContract, RemoveMissingIsNotAnError) { EXPECT_TRUE(store().remove("nobody")); }

} // namespace parley::contract

#pragma once
// The OtpStore contract, run against every adapter.

#include "store_backend.hpp"

namespace parley::contract {

class OtpStoreContract : public StoreContract {
 protected:
  OtpStore& store() { return backend().otps(); }

  static Otp otp(std::string user, OtpPurpose purpose, std::string hash) {
    Otp o;
    o.user_id = std::move(user);
    o.purpose = purpose;
    o.code_hash = std::move(hash);
    o.expires_at_ms = 2'000'000;
    o.sent_at_ms = 1'000'000;
    o.attempts = 0;
    return o;
  }
};

TEST_P(OtpStoreContract, PutThenGetReturnsEveryField) {
  auto o = otp("u1", OtpPurpose::reset_password, "hash-a");
  o.attempts = 2;
  ASSERT_TRUE(store().put(o));
  auto got = store().get("u1", OtpPurpose::reset_password);
  ASSERT_TRUE(got);
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->user_id, "u1");
  EXPECT_EQ((*got)->purpose, OtpPurpose::reset_password);
  EXPECT_EQ((*got)->code_hash, "hash-a");
  EXPECT_EQ((*got)->expires_at_ms, 2'000'000);
  EXPECT_EQ((*got)->sent_at_ms, 1'000'000);
  EXPECT_EQ((*got)->attempts, 2);
}

TEST_P(OtpStoreContract, GetMissingReturnsNullopt) {
  ASSERT_TRUE(store().put(otp("u1", OtpPurpose::verify_email, "h")));
  auto other_purpose = store().get("u1", OtpPurpose::reset_password);
  ASSERT_TRUE(other_purpose);
  EXPECT_FALSE(other_purpose->has_value());
  auto other_user = store().get("u2", OtpPurpose::verify_email);
  ASSERT_TRUE(other_user);
  EXPECT_FALSE(other_user->has_value());
}

TEST_P(OtpStoreContract, PutReplacesTheCodeOfTheSameUserAndPurpose) {
  auto first = otp("u1", OtpPurpose::verify_email, "old");
  first.attempts = 3;
  ASSERT_TRUE(store().put(first));
  ASSERT_TRUE(store().put(otp("u1", OtpPurpose::reset_password, "reset")));
  auto second = otp("u1", OtpPurpose::verify_email, "new");
  second.expires_at_ms = 5'000'000;
  second.sent_at_ms = 4'000'000;
  ASSERT_TRUE(store().put(second));
  auto got = store().get("u1", OtpPurpose::verify_email);
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((*got)->code_hash, "new");
  EXPECT_EQ((*got)->expires_at_ms, 5'000'000);
  EXPECT_EQ((*got)->sent_at_ms, 4'000'000);
  EXPECT_EQ((*got)->attempts, 0);
  // The other purpose keeps its own code.
  auto reset = store().get("u1", OtpPurpose::reset_password);
  ASSERT_TRUE(reset && reset->has_value());
  EXPECT_EQ((*reset)->code_hash, "reset");
}

TEST_P(OtpStoreContract, AddAttemptIncrementsAndReturnsTheCount) {
  ASSERT_TRUE(store().put(otp("u1", OtpPurpose::verify_email, "h")));
  ASSERT_TRUE(store().put(otp("u2", OtpPurpose::verify_email, "h")));
  auto one = store().add_attempt("u1", OtpPurpose::verify_email);
  ASSERT_TRUE(one);
  EXPECT_EQ(*one, 1);
  auto two = store().add_attempt("u1", OtpPurpose::verify_email);
  ASSERT_TRUE(two);
  EXPECT_EQ(*two, 2);
  auto got = store().get("u1", OtpPurpose::verify_email);
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((*got)->attempts, 2);
  auto other = store().get("u2", OtpPurpose::verify_email);
  ASSERT_TRUE(other && other->has_value());
  EXPECT_EQ((*other)->attempts, 0);
}

TEST_P(OtpStoreContract, AddAttemptWithoutCodeIsNotFound) {
  auto r = store().add_attempt("u1", OtpPurpose::verify_email);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::not_found);
  EXPECT_EQ(r.error().code, "otp_not_found");
}

TEST_P(OtpStoreContract, RemoveDeletesOnlyThatCode) {
  ASSERT_TRUE(store().put(otp("u1", OtpPurpose::verify_email, "h1")));
  ASSERT_TRUE(store().put(otp("u1", OtpPurpose::reset_password, "h2")));
  ASSERT_TRUE(store().remove("u1", OtpPurpose::verify_email));
  auto gone = store().get("u1", OtpPurpose::verify_email);
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone->has_value());
  auto kept = store().get("u1", OtpPurpose::reset_password);
  ASSERT_TRUE(kept);
  EXPECT_TRUE(kept->has_value());
  EXPECT_TRUE(store().remove("u1", OtpPurpose::verify_email)); // missing: not an error
}

} // namespace parley::contract

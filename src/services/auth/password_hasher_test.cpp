#include "services/auth/password_hasher.hpp"

#include <sodium.h>

#include <gtest/gtest.h>

#include <stdexcept>

namespace parley {
namespace {

PasswordHasher fast_hasher() { return PasswordHasher(crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN); }

TEST(PasswordHasher, VerifiesTheRightPassword) {
  const auto hasher = fast_hasher();
  const auto hash = hasher.hash("correct horse battery staple");
  ASSERT_TRUE(hash) << hash.error().message;
  EXPECT_TRUE(hash->starts_with("$argon2id$")) << *hash;
  EXPECT_TRUE(hasher.verify(*hash, "correct horse battery staple"));
}

TEST(PasswordHasher, RejectsAWrongPassword) {
  const auto hasher = fast_hasher();
  const auto hash = hasher.hash("correct horse battery staple");
  ASSERT_TRUE(hash);
  EXPECT_FALSE(hasher.verify(*hash, "correct horse battery stapler"));
  EXPECT_FALSE(hasher.verify(*hash, ""));
}

TEST(PasswordHasher, SaltsEveryHash) {
  const auto hasher = fast_hasher();
  const auto a = hasher.hash("same password");
  const auto b = hasher.hash("same password");
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  EXPECT_NE(*a, *b);
  EXPECT_TRUE(hasher.verify(*a, "same password"));
  EXPECT_TRUE(hasher.verify(*b, "same password"));
}

TEST(PasswordHasher, MalformedHashIsFalse) {
  const auto hasher = fast_hasher();
  const auto hash = hasher.hash("pw");
  ASSERT_TRUE(hash);
  EXPECT_FALSE(hasher.verify("", "pw"));
  EXPECT_FALSE(hasher.verify("not a hash", "pw"));
  EXPECT_FALSE(hasher.verify(hash->substr(0, hash->size() / 2), "pw"));
  EXPECT_FALSE(hasher.verify(*hash + std::string(1, '\0') + "x", "pw"));
  EXPECT_FALSE(hasher.verify(std::string(1000, '$'), "pw"));
}

TEST(PasswordHasher, EmptyPasswordHashesAndVerifies) {
  const auto hasher = fast_hasher();
  const auto hash = hasher.hash("");
  ASSERT_TRUE(hash);
  EXPECT_TRUE(hasher.verify(*hash, ""));
}

TEST(PasswordHasher, BurnTimeIsHarmlessAndRepeatable) {
  const auto hasher = fast_hasher();
  hasher.burn_time("anything");
  hasher.burn_time("anything else");
}

TEST(PasswordHasher, DefaultsToTheInteractivePreset) {
  const PasswordHasher hasher;
  const auto hash = hasher.hash("pw");
  ASSERT_TRUE(hash);
  EXPECT_NE(hash->find("$m=65536,t=2,p=1$"), std::string::npos) << *hash; // 64 MiB, 2 passes
  EXPECT_TRUE(hasher.verify(*hash, "pw"));
}

TEST(PasswordHasher, RejectsOutOfRangeParameters) {
  EXPECT_THROW(PasswordHasher(0, crypto_pwhash_MEMLIMIT_MIN), std::invalid_argument);
  EXPECT_THROW(PasswordHasher(crypto_pwhash_OPSLIMIT_MIN, 1024), std::invalid_argument);
}

} // namespace
} // namespace parley

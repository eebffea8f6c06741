#include "services/auth/account_checked_verifier.hpp"

#include <gtest/gtest.h>

#include "adapters/sqlite/database.hpp"
#include "adapters/sqlite/sqlite_account_store.hpp"
#include "core/clock.hpp"
#include "services/auth/jwt.hpp"

namespace parley {
namespace {

TEST(AccountCheckedVerifier, RefusesTheTokensOfADeletedAccountAndPassesOtherErrorsOn) {
  ManualClock clock(1'700'000'000'000);
  SqliteDatabase db(":memory:");
  SqliteAccountStore accounts(db);
  const JwtSigner signer(generate_signing_key(), "parley", clock, std::chrono::seconds(900));
  const AccountCheckedVerifier verifier(signer, accounts);
  ASSERT_TRUE(accounts.insert(Account{"u1", "ann@example.com", "hash", true, 0}));
  const auto token = signer.sign("u1", "s1");

  auto who = verifier.verify(token);
  ASSERT_TRUE(who) << who.error().message;
  EXPECT_EQ(who->user_id, "u1");
  auto bad = verifier.verify("not.a.token");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "invalid_token");

  ASSERT_TRUE(accounts.remove("u1"));
  auto gone = verifier.verify(token);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, "invalid_token");
  EXPECT_TRUE(signer.verify(token)) << "the signature alone is still valid";
}

} // namespace
} // namespace parley

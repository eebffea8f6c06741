#include "services/auth/cached_verifier.hpp"

#include <gtest/gtest.h>

#include "core/clock.hpp"
#include "services/auth/jwt.hpp"

namespace parley {
namespace {

// Counts what reaches the real verifier.
class CountingVerifier final : public AccessTokenVerifier {
 public:
  explicit CountingVerifier(const AccessTokenVerifier& inner) : inner_(inner) {}
  Result<Principal> verify(std::string_view token) const override {
    ++calls;
    return inner_.verify(token);
  }
  mutable int calls = 0;

 private:
  const AccessTokenVerifier& inner_;
};

TEST(CachedVerifier, AnswersAnAcceptedTokenFromMemoryUntilItExpires) {
  ManualClock clock(1'700'000'000'000);
  const JwtSigner signer(generate_signing_key(), "parley", clock, std::chrono::seconds(900));
  const CountingVerifier counting(signer);
  const CachedVerifier cached(counting, clock);
  const auto token = signer.sign("u1", "s1");

  for (int i = 0; i < 3; ++i) {
    auto who = cached.verify(token);
    ASSERT_TRUE(who) << who.error().message;
    EXPECT_EQ(who->user_id, "u1");
    EXPECT_EQ(who->session_id, "s1");
  }
  EXPECT_EQ(counting.calls, 1);

  clock.advance_ms(900'000); // expired: asked again, and refused
  auto late = cached.verify(token);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, "token_expired");
  EXPECT_EQ(counting.calls, 2);
}

TEST(CachedVerifier, RefusalsAreNeverRemembered) {
  ManualClock clock(1'700'000'000'000);
  const JwtSigner signer(generate_signing_key(), "parley", clock, std::chrono::seconds(900));
  const JwtSigner other(generate_signing_key(), "parley", clock, std::chrono::seconds(900));
  const CountingVerifier counting(signer);
  const CachedVerifier cached(counting, clock);
  const auto forged = other.sign("u1", "s1"); // another key
  auto tampered = signer.sign("u1", "s1");
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  for (const auto& token : {forged, tampered, std::string("not.a.token")}) {
    for (int i = 0; i < 2; ++i) EXPECT_FALSE(cached.verify(token));
  }
  EXPECT_EQ(counting.calls, 6);
}

TEST(CachedVerifier, ForgetsEverythingWhenFull) {
  ManualClock clock(1'700'000'000'000);
  const JwtSigner signer(generate_signing_key(), "parley", clock, std::chrono::seconds(900));
  const CountingVerifier counting(signer);
  const CachedVerifier cached(counting, clock, 2);
  const auto a = signer.sign("a", "s"), b = signer.sign("b", "s"), c = signer.sign("c", "s");
  for (const auto* token : {&a, &b, &a, &b}) ASSERT_TRUE(cached.verify(*token));
  EXPECT_EQ(counting.calls, 2);
  ASSERT_TRUE(cached.verify(c)); // full: a and b are forgotten
  ASSERT_TRUE(cached.verify(a));
  EXPECT_EQ(counting.calls, 4);
  EXPECT_EQ(cached.verify(c)->user_id, "c");
  EXPECT_EQ(counting.calls, 4);
}

} // namespace
} // namespace parley

#include "services/auth/jwks_keys.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace parley {
namespace {

using namespace std::chrono_literals;

// A JWKS endpoint that is down until told otherwise and serves whichever signer is current.
class FakeAuth {
 public:
  explicit FakeAuth(const Clock& clock) : clock_(clock) {}
  JwksKeys::Fetch fetch() {
    return [this]() -> Result<std::string> {
      ++fetches;
      std::lock_guard lock(mutex_);
      if (!signer_) return fail(Error::unavailable("upstream_unavailable", "auth is down"));
      return signer_->jwks_json();
    };
  }
  const JwtSigner& rotate() {
    std::lock_guard lock(mutex_);
    signer_ = std::make_unique<JwtSigner>(generate_signing_key(), "parley", clock_, std::chrono::seconds(900));
    return *signer_;
  }
  std::atomic<int> fetches{0};

 private:
  const Clock& clock_;
  std::mutex mutex_;
  std::unique_ptr<JwtSigner> signer_;
};

bool eventually(const std::function<bool()>& condition) {
  for (int i = 0; i < 300; ++i) {
    if (condition()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

TEST(JwksKeys, RefusesEveryTokenUntilAKeyIsLoaded) {
  ManualClock clock;
  FakeAuth auth(clock);
  JwksKeys keys(auth.fetch(), "parley", clock);
  EXPECT_FALSE(keys.ready());
  EXPECT_FALSE(keys.refresh());
  const auto who = keys.verify("a.b.c");
  ASSERT_FALSE(who);
  EXPECT_EQ(who.error().code, "keys_unavailable");
  EXPECT_EQ(who.error().kind, ErrorKind::unavailable);

  const auto& signer = auth.rotate();
  ASSERT_TRUE(keys.refresh());
  EXPECT_TRUE(keys.ready());
  EXPECT_EQ(keys.kid(), signer.verifier().kid());
  const auto ok = keys.verify(signer.sign("u1", "s1"));
  ASSERT_TRUE(ok) << ok.error().code;
  EXPECT_EQ(ok->user_id, "u1");
  EXPECT_EQ(keys.verify("a.b.c").error().code, "invalid_token");
}

TEST(JwksKeys, AnUnusableDocumentKeepsTheCurrentKey) {
  ManualClock clock;
  FakeAuth auth(clock);
  const auto& signer = auth.rotate();
  bool broken = false;
  JwksKeys keys(
      [&]() -> Result<std::string> {
        if (broken) return std::string(R"({"keys":[]})");
        return auth.fetch()();
      },
      "parley", clock);
  ASSERT_TRUE(keys.refresh());
  broken = true;
  const auto failed = keys.refresh();
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, "invalid_jwks");
  EXPECT_TRUE(keys.verify(signer.sign("u1", "s1")));
}

TEST(JwksKeys, TheRefresherRetriesUntilTheAuthServiceAnswers) {
  ManualClock clock;
  FakeAuth auth(clock);
  JwksKeys keys(auth.fetch(), "parley", clock, {60s, 20ms, 10s});
  keys.start();
  ASSERT_TRUE(eventually([&] { return auth.fetches >= 3; }));
  EXPECT_FALSE(keys.ready());
  auth.rotate();
  EXPECT_TRUE(eventually([&] { return keys.ready(); }));
}

TEST(JwksKeys, ARotatedKeyIsPickedUpEarlyWhenATokenNeedsIt) {
  ManualClock clock;
  FakeAuth auth(clock);
  auth.rotate();
  JwksKeys keys(auth.fetch(), "parley", clock, {3600s, 20ms, 50ms});
  keys.start();
  ASSERT_TRUE(eventually([&] { return keys.ready(); }));
  const auto& rotated = auth.rotate();
  const auto token = rotated.sign("u1", "s1");
  EXPECT_EQ(keys.verify(token).error().code, "invalid_token"); // asks for a refresh
  EXPECT_TRUE(eventually([&] { return static_cast<bool>(keys.verify(token)); }));
}

TEST(JwksKeys, EarlyRefreshesAreSpacedOut) {
  ManualClock clock;
  FakeAuth auth(clock);
  auth.rotate();
  JwksKeys keys(auth.fetch(), "parley", clock, {3600s, 20ms, 3600s});
  keys.start();
  ASSERT_TRUE(eventually([&] { return keys.ready(); }));
  const int after_start = auth.fetches;
  for (int i = 0; i < 100; ++i) (void)keys.verify("garbage.token.here");
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(auth.fetches, after_start);
}

} // namespace
} // namespace parley

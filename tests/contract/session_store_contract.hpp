#pragma once
// The SessionStore contract, run against every adapter. The concurrency tests pin the
// port's guarantee: of concurrent rotations of one token exactly one succeeds.

#include <atomic>
#include <thread>
#include <vector>

#include "store_backend.hpp"

namespace parley::contract {

class SessionStoreContract : public StoreContract {
 protected:
  SessionStore& store() { return backend().sessions(); }

  static RefreshToken token(std::string hash, std::string session, std::string user, std::int64_t issued = 1000) {
    RefreshToken t;
    t.token_hash = std::move(hash);
    t.session_id = std::move(session);
    t.user_id = std::move(user);
    t.issued_at_ms = issued;
    t.expires_at_ms = issued + 30LL * 24 * 3600 * 1000;
    return t;
  }

  std::optional<RefreshToken> find(std::string_view hash) {
    auto r = store().find_token(hash);
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : std::nullopt;
  }

  bool active(std::string_view session) {
    auto r = store().session_active(session);
    EXPECT_TRUE(r) << r.error().message;
    return r && *r;
  }

  // Races `threads` rotations of token "t0" (each to its own next token) through
  // `store_for(i)`; returns how many succeeded, after checking none failed.
  template <class StoreFor>
  int race_rotations(int threads, StoreFor store_for) {
    std::atomic<int> wins{0};
    std::atomic<int> errors{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> pool;
    for (int i = 0; i < threads; ++i) {
      pool.emplace_back([&, i] {
        SessionStore& s = store_for(i);
        while (!go.load()) std::this_thread::yield();
        auto r = s.rotate("t0", token("next-" + std::to_string(i), "s1", "u1", 2000));
        if (!r)
          ++errors;
        else if (*r)
          ++wins;
      });
    }
    go = true;
    for (auto& t : pool) t.join();
    EXPECT_EQ(errors.load(), 0);
    return wins.load();
  }

  // After a race, exactly one next token must exist.
  void expect_one_successor(int threads) {
    int stored = 0;
    for (int i = 0; i < threads; ++i) stored += find("next-" + std::to_string(i)).has_value() ? 1 : 0;
    EXPECT_EQ(stored, 1);
  }
};

TEST_P(SessionStoreContract, CreateSessionThenFindTokenReturnsEveryField) {
  const auto first = token("t0", "s1", "u1");
  ASSERT_TRUE(store().create_session(first));
  auto got = find("t0");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->token_hash, "t0");
  EXPECT_EQ(got->session_id, "s1");
  EXPECT_EQ(got->user_id, "u1");
  EXPECT_EQ(got->issued_at_ms, first.issued_at_ms);
  EXPECT_EQ(got->expires_at_ms, first.expires_at_ms);
  EXPECT_FALSE(got->rotated);
  EXPECT_FALSE(got->session_revoked);
  EXPECT_TRUE(active("s1"));
}

TEST_P(SessionStoreContract, FindMissingTokenReturnsNullopt) {
  ASSERT_TRUE(store().create_session(token("t0", "s1", "u1")));
  EXPECT_FALSE(find("nope").has_value());
}

TEST_P(SessionStoreContract, UnknownSessionIsNotActive) { EXPECT_FALSE(active("nope")); }

TEST_P(SessionStoreContract, RotateOnceMarksOldAndStoresNext) {
  ASSERT_TRUE(store().create_session(token("t0", "s1", "u1")));
  const auto next = token("t1", "s1", "u1", 5000);
  auto r = store().rotate("t0", next);
  ASSERT_TRUE(r);
  EXPECT_TRUE(*r);
  auto old = find("t0");
  ASSERT_TRUE(old.has_value());
  EXPECT_TRUE(old->rotated);
  auto fresh = find("t1");
  ASSERT_TRUE(fresh.has_value());
  EXPECT_FALSE(fresh->rotated);
  EXPECT_FALSE(fresh->session_revoked);
  EXPECT_EQ(fresh->session_id, "s1");
  EXPECT_EQ(fresh->user_id, "u1");
  EXPECT_EQ(fresh->issued_at_ms, 5000);
  EXPECT_EQ(fresh->expires_at_ms, next.expires_at_ms);
  EXPECT_TRUE(active("s1"));
}

TEST_P(SessionStoreContract, RotatingARotatedTokenReturnsFalseAndStoresNothing) {
  ASSERT_TRUE(store().create_session(token("t0", "s1", "u1")));
  ASSERT_TRUE(store().rotate("t0", token("t1", "s1", "u1")).value_or(false));
  auto again = store().rotate("t0", token("t2", "s1", "u1"));
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
  EXPECT_FALSE(find("t2").has_value());
  // The successor is untouched and can itself be rotated.
  auto t1 = find("t1");
  ASSERT_TRUE(t1.has_value());
  EXPECT_FALSE(t1->rotated);
  auto chain = store().rotate("t1", token("t3", "s1", "u1"));
  ASSERT_TRUE(chain);
  EXPECT_TRUE(*chain);
}

TEST_P(SessionStoreContract, RotatingAnUnknownTokenReturnsFalseAndStoresNothing) {
  ASSERT_TRUE(store().create_session(token("t0", "s1", "u1")));
  auto r = store().rotate("nope", token("t1", "s1", "u1"));
  ASSERT_TRUE(r);
  EXPECT_FALSE(*r);
  EXPECT_FALSE(find("t1").has_value());
}

// Atomicity: when `next` cannot be stored, the old token must not be left marked rotated
// (the next use of it would look like reuse and revoke the family). Not `false` either:
// false means "already rotated".
TEST_P(SessionStoreContract, RotateThatCannotStoreTheNextTokenFailsAndLeavesTheOldOneUnrotated) {
  ASSERT_TRUE(store().create_session(token("t0", "s1", "u1")));
  ASSERT_TRUE(store().create_session(token("x0", "s2", "u2")));
  auto r = store().rotate("t0", token("x0", "s1", "u1", 5000)); // "x0" is taken
  EXPECT_FALSE(r);
  auto t0 = find("t0");
  ASSERT_TRUE(t0.has_value());
  EXPECT_FALSE(t0->rotated);
  auto x0 = find("x0");
  ASSERT_TRUE(x0.has_value());
  EXPECT_EQ(x0->session_id, "s2");
  EXPECT_EQ(x0->user_id, "u2");
  auto retry = store().rotate("t0", token("t1", "s1", "u1", 5000));
  ASSERT_TRUE(retry);
  EXPECT_TRUE(*retry);
}

TEST_P(SessionStoreContract, CreateSessionWithATakenTokenFailsAndStartsNothing) {
  ASSERT_TRUE(store().create_session(token("t0", "s1", "u1")));
  EXPECT_FALSE(store().create_session(token("t0", "s2", "u2")));
  EXPECT_FALSE(active("s2"));
  auto t0 = find("t0");
  ASSERT_TRUE(t0.has_value());
  EXPECT_EQ(t0->session_id, "s1");
  EXPECT_EQ(t0->user_id, "u1");
  EXPECT_TRUE(active("s1"));
}

TEST_P(SessionStoreContract, RevokeSessionRevokesOnlyThatFamily) {
  ASSERT_TRUE(store().create_session(token("a0", "s1", "u1")));
  ASSERT_TRUE(store().rotate("a0", token("a1", "s1", "u1")).value_or(false));
  ASSERT_TRUE(store().create_session(token("b0", "s2", "u1")));
  ASSERT_TRUE(store().revoke_session("s1"));
  EXPECT_FALSE(active("s1"));
  EXPECT_TRUE(active("s2"));
  // Every token of the family reports the revocation, old and new.
  auto a0 = find("a0");
  auto a1 = find("a1");
  auto b0 = find("b0");
  ASSERT_TRUE(a0 && a1 && b0);
  EXPECT_TRUE(a0->session_revoked);
  EXPECT_TRUE(a1->session_revoked);
  EXPECT_FALSE(b0->session_revoked);
  EXPECT_TRUE(store().revoke_session("s1")); // again: not an error
  EXPECT_TRUE(store().revoke_session("nope"));
}

TEST_P(SessionStoreContract, RevokeAllKeepsTheGivenSessionAndOtherUsers) {
  ASSERT_TRUE(store().create_session(token("a", "s1", "u1")));
  ASSERT_TRUE(store().create_session(token("b", "s2", "u1")));
  ASSERT_TRUE(store().create_session(token("c", "s3", "u1")));
  ASSERT_TRUE(store().create_session(token("d", "s4", "u2")));
  ASSERT_TRUE(store().revoke_all("u1", "s2"));
  EXPECT_FALSE(active("s1"));
  EXPECT_TRUE(active("s2"));
  EXPECT_FALSE(active("s3"));
  EXPECT_TRUE(active("s4"));
  auto b = find("b");
  auto c = find("c");
  ASSERT_TRUE(b && c);
  EXPECT_FALSE(b->session_revoked);
  EXPECT_TRUE(c->session_revoked);
}

TEST_P(SessionStoreContract, RevokeAllWithoutKeepRevokesEverySessionOfTheUser) {
  ASSERT_TRUE(store().create_session(token("a", "s1", "u1")));
  ASSERT_TRUE(store().create_session(token("b", "s2", "u1")));
  ASSERT_TRUE(store().create_session(token("d", "s4", "u2")));
  ASSERT_TRUE(store().revoke_all("u1"));
  EXPECT_FALSE(active("s1"));
  EXPECT_FALSE(active("s2"));
  EXPECT_TRUE(active("s4"));
}

TEST_P(SessionStoreContract, ConcurrentRotationsThroughOneStoreHaveExactlyOneWinner) {
  constexpr int kThreads = 8;
  ASSERT_TRUE(store().create_session(token("t0", "s1", "u1")));
  EXPECT_EQ(race_rotations(kThreads, [&](int) -> SessionStore& { return store(); }), 1);
  expect_one_successor(kThreads);
}

TEST_P(SessionStoreContract, ConcurrentRotationsThroughSeparateConnectionsHaveExactlyOneWinner) {
  constexpr int kThreads = 8;
  std::vector<std::shared_ptr<SessionStore>> stores;
  for (int i = 0; i < kThreads; ++i) {
    stores.push_back(backend().open_session_store());
    if (!stores.back()) GTEST_SKIP() << "backend has no separate connections";
  }
  ASSERT_TRUE(store().create_session(token("t0", "s1", "u1")));
  EXPECT_EQ(race_rotations(kThreads, [&](int i) -> SessionStore& { return *stores[static_cast<std::size_t>(i)]; }), 1);
  stores.clear();
  expect_one_successor(kThreads);
}

} // namespace parley::contract

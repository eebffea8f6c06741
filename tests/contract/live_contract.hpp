#pragma once
// Contracts of the live ports, for every adapter family:
// - EventBus: every subscriber of every node gets each event once, whole, in publish order.
// - Presence: a user is online from their first connection (on any node) to their last;
//   only those two moments are changes; a node that goes away stops counting.
// - RateLimiter: a burst is allowed, then refusals with a retry time; buckets refill;
//   nodes share buckets.

#include <atomic>
#include <chrono>
#include <initializer_list>
#include <mutex>
#include <thread>
#include <vector>

#include "live_backend.hpp"

namespace parley::contract {

using namespace std::chrono_literals;

// Waits (bounded, generously) until `done()`; nothing here is a timing assertion.
// `done` is called until it first holds (it may have effects, e.g. take a token) or
// `limit` passed.
template <class F>
bool eventually(F done, std::chrono::milliseconds limit = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return done();
}

// What a subscriber got; settle()'s probes are counted, not kept.
struct Collected {
  static constexpr const char* kProbe = "test.probe";
  std::mutex mutex;
  std::vector<LiveEvent> events;
  std::size_t probes = 0;
  std::size_t empty_batches = 0;
  EventBus::Subscriber sink() {
    return [this](std::span<const LiveEvent> batch) {
      std::lock_guard lock(mutex);
      if (batch.empty()) ++empty_batches;
      for (const auto& e : batch)
        if (e.type == kProbe)
          ++probes;
        else
          events.push_back(e);
    };
  }
  std::size_t size() {
    std::lock_guard lock(mutex);
    return events.size();
  }
  bool probed() {
    std::lock_guard lock(mutex);
    return probes > 0;
  }
};

// A remote subscription is established asynchronously and pub/sub drops what was published
// before it: publishes probes until every collector got one (a fixed sleep is not enough on
// a loaded machine).
inline bool settle(EventBus& publisher, std::initializer_list<Collected*> collectors) {
  return eventually([&] {
    publisher.publish({Collected::kProbe, "probe", "{}", {}, ""});
    for (auto* c : collectors)
      if (!c->probed()) return false;
    return true;
  });
}

using EventBusContract = LiveContract;
using PresenceContract = LiveContract;
using RateLimiterContract = LiveContract;

TEST_P(EventBusContract, EverySubscriberGetsEachEventWholeAndInOrder) {
  Collected a, b; // declared first: outlives the bus, whose thread may still deliver to it
  auto bus = backend().bus(0);
  bus->subscribe(a.sink());
  bus->subscribe(b.sink());
  ASSERT_TRUE(settle(*bus, {&a, &b}));
  for (int i = 0; i < 200; ++i)
    bus->publish({"message.new",
                  "c" + std::to_string(i % 3),
                  "{\"n\":" + std::to_string(i) + ",\"x\":\"a\\nb\"}",
                  {"u1", "u2"},
                  i % 2 ? "u1" : ""});
  ASSERT_TRUE(eventually([&] { return a.size() == 200 && b.size() == 200; })) << a.size() << " " << b.size();
  std::this_thread::sleep_for(50ms);
  ASSERT_EQ(a.size(), 200u); // once each
  for (int i = 0; i < 200; ++i) {
    const auto& e = a.events[static_cast<std::size_t>(i)];
    EXPECT_EQ(e.payload, "{\"n\":" + std::to_string(i) + ",\"x\":\"a\\nb\"}");
    EXPECT_EQ(e.chat_id, "c" + std::to_string(i % 3));
    EXPECT_EQ(e.recipients, (std::vector<std::string>{"u1", "u2"}));
    EXPECT_EQ(e.exclude_user, i % 2 ? "u1" : "");
    EXPECT_EQ(b.events[static_cast<std::size_t>(i)].payload, e.payload);
  }
}

TEST_P(EventBusContract, ABatchArrivesWholeAndInOrderBetweenSinglesPublishedAroundIt) {
  Collected a; // declared first: outlives the bus
  auto bus = backend().bus(0);
  bus->subscribe(a.sink());
  ASSERT_TRUE(settle(*bus, {&a}));
  const auto event = [](int n) { return LiveEvent{"typing", "c1", "{\"n\":" + std::to_string(n) + "}", {"u1"}, ""}; };
  bus->publish(event(0));
  std::vector<LiveEvent> batch;
  for (int i = 1; i <= 300; ++i) batch.push_back(event(i));
  bus->publish(batch);
  bus->publish(std::span<const LiveEvent>{}); // nothing: no call
  bus->publish(event(301));
  ASSERT_TRUE(eventually([&] { return a.size() == 302; })) << a.size();
  std::this_thread::sleep_for(50ms);
  std::lock_guard lock(a.mutex);
  ASSERT_EQ(a.events.size(), 302u);
  for (int i = 0; i <= 301; ++i)
    EXPECT_EQ(a.events[static_cast<std::size_t>(i)].payload, "{\"n\":" + std::to_string(i) + "}");
  EXPECT_EQ(a.empty_batches, 0u);
}

TEST_P(EventBusContract, EventsReachEveryNode) {
  if (!backend().shared()) GTEST_SKIP() << "in-process adapter: one node";
  Collected a, b; // declared first: outlives the buses
  auto here = backend().bus(0);
  auto there = backend().bus(1);
  here->subscribe(a.sink());
  there->subscribe(b.sink());
  ASSERT_TRUE(settle(*there, {&a, &b}));
  there->publish({"typing", "c1", "{}", {"u9"}, ""});
  ASSERT_TRUE(eventually([&] { return a.size() == 1 && b.size() == 1; }));
  EXPECT_EQ(a.events[0].recipients, std::vector<std::string>{"u9"});
}

TEST_P(PresenceContract, OnlineFromTheFirstConnectionToTheLast) {
  auto p = backend().presence(0);
  EXPECT_TRUE(*p->connected("ann", 1000));
  EXPECT_FALSE(*p->connected("ann", 1100));
  EXPECT_TRUE((*p->states({"ann"}))[0].online);
  EXPECT_FALSE(*p->disconnected("ann", 1200));
  EXPECT_TRUE(*p->disconnected("ann", 1300));
  auto s = *p->states({"ann", "nobody"});
  ASSERT_EQ(s.size(), 2u);
  EXPECT_FALSE(s[0].online);
  EXPECT_EQ(s[0].last_seen_ms, 1300);
  EXPECT_FALSE(s[1].online);
  EXPECT_EQ(s[1].last_seen_ms, 0);
  EXPECT_TRUE(p->states({})->empty());
}

TEST_P(PresenceContract, ConnectionsOnOtherNodesCountAndADeadNodeStopsCounting) {
  if (!backend().shared()) GTEST_SKIP() << "in-process adapter: one node";
  auto a = backend().presence(0);
  auto b = backend().presence(1);
  EXPECT_TRUE(*a->connected("bob", 1000));
  EXPECT_FALSE(*b->connected("bob", 1001)); // already online through node 0
  EXPECT_FALSE(*a->disconnected("bob", 1002));
  EXPECT_TRUE((*a->states({"bob"}))[0].online);
  b.reset(); // node 1 goes away with bob's last connection
  EXPECT_FALSE((*a->states({"bob"}))[0].online);
  EXPECT_TRUE(*a->connected("bob", 1003)); // a change again
}

TEST_P(RateLimiterContract, ABurstThenRefusalsWithARetryTime) {
  auto limiter = backend().limiter(0);
  const RateRule rule{3, 0.001}; // a token back every 1000 s
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter->take("login:ip:1", rule).allowed);
  const auto refused = limiter->take("login:ip:1", rule);
  EXPECT_FALSE(refused.allowed);
  EXPECT_GE(refused.retry_after.count(), 900);
  EXPECT_LE(refused.retry_after.count(), 1000);
  EXPECT_TRUE(limiter->take("login:ip:2", rule).allowed); // other keys have their own bucket
}

TEST_P(RateLimiterContract, BucketsRefill) {
  auto limiter = backend().limiter(0);
  const RateRule rule{1, 50}; // a token every 20 ms
  EXPECT_TRUE(limiter->take("k", rule).allowed);
  EXPECT_FALSE(limiter->take("k", rule).allowed);
  EXPECT_TRUE(eventually([&] { return limiter->take("k", rule).allowed; }));
}

TEST_P(RateLimiterContract, NodesShareBuckets) {
  if (!backend().shared()) GTEST_SKIP() << "in-process adapter: one node";
  auto a = backend().limiter(0);
  auto b = backend().limiter(1);
  const RateRule rule{2, 0.001};
  EXPECT_TRUE(a->take("otp:ann", rule).allowed);
  EXPECT_TRUE(b->take("otp:ann", rule).allowed);
  EXPECT_FALSE(a->take("otp:ann", rule).allowed);
  EXPECT_FALSE(b->take("otp:ann", rule).allowed);
}

} // namespace parley::contract

#include "adapters/inproc/inproc_event_log.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace parley {
namespace {

using namespace std::chrono_literals;

DomainEvent event(int n) { return {std::to_string(n), "test", "chat", "{}"}; }

// Waits (bounded) until `done` holds; the waits are generous: nothing here is timed.
template <class F>
bool eventually(F done) {
  for (int i = 0; i < 1000 && !done(); ++i) std::this_thread::sleep_for(5ms);
  return done();
}

TEST(InprocEventLog, EveryGroupGetsEveryEventInOrder) {
  InprocEventLog log;
  std::mutex m;
  std::vector<std::string> a, b;
  log.subscribe("a", [&](std::span<const DomainEvent> batch) -> Result<void> {
    std::lock_guard lock(m);
    for (const auto& e : batch) a.push_back(e.id);
    return {};
  });
  log.subscribe("b", [&](std::span<const DomainEvent> batch) -> Result<void> {
    std::lock_guard lock(m);
    for (const auto& e : batch) b.push_back(e.id);
    return {};
  });
  for (int i = 0; i < 100; ++i) log.append(event(i));
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(m);
    return a.size() == 100 && b.size() == 100;
  }));
  std::lock_guard lock(m);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(a[static_cast<std::size_t>(i)], std::to_string(i));
    EXPECT_EQ(b[static_cast<std::size_t>(i)], std::to_string(i));
  }
}

TEST(InprocEventLog, AFailedEventIsRetriedBeforeTheNextOne) {
  InprocEventLog log(100, 20ms);
  std::mutex m;
  std::vector<std::string> seen;
  int failures_left = 3;
  log.subscribe("g", [&](std::span<const DomainEvent> batch) -> Result<void> {
    std::lock_guard lock(m);
    for (const auto& e : batch) {
      seen.push_back(e.id);
      if (e.id == "1" && failures_left-- > 0) return fail(Error::unavailable("down", "store down"));
    }
    return {};
  });
  log.append(event(1));
  log.append(event(2));
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(m);
    return !seen.empty() && seen.back() == "2";
  }));
  std::lock_guard lock(m);
  EXPECT_EQ(seen, (std::vector<std::string>{"1", "1", "1", "1", "2"}));
}

TEST(InprocEventLog, WhatQueuedWhileTheConsumerWasBusyComesInBatchesOfAtMost256) {
  InprocEventLog log;
  std::promise<void> release;
  auto released = release.get_future().share();
  std::atomic<bool> busy{false};
  std::mutex m;
  std::vector<std::size_t> sizes;
  std::vector<std::string> ids;
  log.subscribe("g", [&](std::span<const DomainEvent> batch) -> Result<void> {
    busy = true;
    released.wait();
    std::lock_guard lock(m);
    sizes.push_back(batch.size());
    for (const auto& e : batch) ids.push_back(e.id);
    return {};
  });
  log.append(event(0));
  ASSERT_TRUE(eventually([&] { return busy.load(); })); // event 0 in hand
  for (int i = 1; i <= 300; ++i) log.append(event(i));
  release.set_value();
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(m);
    return ids.size() == 301;
  }));
  std::lock_guard lock(m);
  EXPECT_EQ(sizes, (std::vector<std::size_t>{1, 256, 44}));
  for (int i = 0; i <= 300; ++i) EXPECT_EQ(ids[static_cast<std::size_t>(i)], std::to_string(i));
}

TEST(InprocEventLog, AStalledConsumerNeitherBlocksAppendNorGrowsBeyondItsBound) {
  InprocEventLog log(10);
  std::promise<void> release;
  auto released = release.get_future().share();
  std::atomic<int> handled{0};
  log.subscribe("stalled", [&](std::span<const DomainEvent> batch) -> Result<void> {
    released.wait();
    handled += static_cast<int>(batch.size());
    return {};
  });
  for (int i = 0; i < 1000; ++i) log.append(event(i)); // returns although nothing is consumed
  release.set_value();
  ASSERT_TRUE(eventually([&] { return handled.load() >= 10; }));
  std::this_thread::sleep_for(50ms);
  EXPECT_LE(handled.load(), 10); // a full queue (what is in hand stays queued); the rest were dropped
}

TEST(InprocEventLog, DestructionStopsAConsumerThatKeepsFailing) {
  auto log = std::make_unique<InprocEventLog>(10, 10ms);
  std::atomic<int> calls{0};
  log->subscribe("g", [&](std::span<const DomainEvent>) -> Result<void> {
    ++calls;
    return fail(Error::unavailable("down", "always"));
  });
  log->append(event(1));
  ASSERT_TRUE(eventually([&] { return calls.load() >= 2; }));
  log.reset(); // returns: the retry loop ends
  SUCCEED();
}

} // namespace
} // namespace parley

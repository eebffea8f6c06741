#include "core/group_commit.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <stdexcept>
#include <thread>
#include <vector>

namespace parley {
namespace {

using Batches = std::vector<std::vector<int>>;

TEST(GroupCommit, ALoneCallerWritesItsOwnRequestAtOnce) {
  Batches batches;
  GroupCommit<int, int> commit([&](const std::vector<int>& r) {
    batches.push_back(r);
    return std::vector<int>{r[0] * 10};
  });
  EXPECT_EQ(commit.run(1), 10);
  EXPECT_EQ(commit.run(2), 20);
  EXPECT_EQ(batches, (Batches{{1}, {2}}));
}

TEST(GroupCommit, CallersArrivingDuringAWriteAreWrittenTogetherInOrderAndEachGetsItsAnswer) {
  std::mutex mutex;
  Batches batches;
  std::atomic<bool> writing{false};
  std::promise<void> release;
  auto released = release.get_future().share();
  GroupCommit<int, int> commit([&](const std::vector<int>& r) {
    {
      std::lock_guard lock(mutex);
      batches.push_back(r);
    }
    writing = true;
    if (r == std::vector<int>{0}) released.wait(); // the first write holds the others back
    std::vector<int> answers;
    for (int x : r) answers.push_back(x * 10);
    return answers;
  });
  auto first = std::async(std::launch::async, [&] { return commit.run(0); });
  while (!writing) std::this_thread::yield();
  std::vector<std::future<int>> others;
  for (int i = 1; i <= 5; ++i) {
    others.push_back(std::async(std::launch::async, [&commit, i] { return commit.run(i); }));
    while (commit.queued() < static_cast<std::size_t>(i)) std::this_thread::yield(); // arrival order
  }
  release.set_value();
  EXPECT_EQ(first.get(), 0);
  for (int i = 1; i <= 5; ++i) EXPECT_EQ(others[i - 1].get(), i * 10);
  EXPECT_EQ(batches, (Batches{{0}, {1, 2, 3, 4, 5}}));
  EXPECT_EQ(commit.queued(), 0u);
}

TEST(GroupCommit, AFailedWriteReachesEveryCallerOfItsBatchAndTheNextWriteWorks) {
  bool fail = true;
  GroupCommit<int, int> commit([&](const std::vector<int>& r) -> std::vector<int> {
    if (fail) throw std::runtime_error("disk on fire");
    return std::vector<int>(r.size(), 7);
  });
  EXPECT_THROW(commit.run(1), std::runtime_error);
  fail = false;
  EXPECT_EQ(commit.run(2), 7);
}

TEST(GroupCommit, AWriteAnsweringTheWrongNumberOfRequestsIsAnError) {
  GroupCommit<int, int> commit([](const std::vector<int>&) { return std::vector<int>{}; });
  EXPECT_THROW(commit.run(1), std::logic_error);
}

} // namespace
} // namespace parley

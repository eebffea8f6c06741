#pragma once
// The EventLog contract, for every adapter: every consumer group gets every event appended
// after it subscribed, in order per key; a failing handler is retried before the key's later
// events; a group that comes back resumes after what it handled.

#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "live_contract.hpp"
#include "ports/event_log.hpp"

namespace parley::contract {

class EventLogBackend {
 public:
  virtual ~EventLogBackend() = default;
  // A log on this test's own topic; every call is another client of the same log.
  virtual std::unique_ptr<EventLog> open() = 0;
  virtual bool durable() const = 0; // events outlive the client that appended them
};

struct EventLogParam {
  std::string name;
  std::function<std::unique_ptr<EventLogBackend>()> make;
};
inline std::ostream& operator<<(std::ostream& os, const EventLogParam& p) { return os << p.name; }
inline std::string event_log_name(const testing::TestParamInfo<EventLogParam>& info) { return info.param.name; }

class EventLogContract : public testing::TestWithParam<EventLogParam> {
 protected:
  void SetUp() override {
    backend_ = GetParam().make();
    if (!backend_) GTEST_SKIP() << "backend not configured";
  }
  EventLogBackend& backend() { return *backend_; }

  struct Seen {
    std::mutex mutex;
    std::vector<DomainEvent> events;
    std::size_t empty_batches = 0;
    EventLog::Handler handler() {
      return [this](std::span<const DomainEvent> batch) -> Result<void> {
        std::lock_guard lock(mutex);
        if (batch.empty()) ++empty_batches;
        events.insert(events.end(), batch.begin(), batch.end());
        return {};
      };
    }
    std::size_t size() {
      std::lock_guard lock(mutex);
      return events.size();
    }
  };

  static DomainEvent event(int n) {
    return {"e" + std::to_string(n), "test.event", "chat" + std::to_string(n % 3), "{\"n\":" + std::to_string(n) + "}"};
  }

 private:
  std::unique_ptr<EventLogBackend> backend_;
};

TEST_P(EventLogContract, EveryGroupGetsEveryEventInOrderPerKey) {
  auto log = backend().open();
  Seen a, b;
  log->subscribe("group-a", a.handler());
  log->subscribe("group-b", b.handler());
  for (int i = 0; i < 60; ++i) log->append(event(i));
  ASSERT_TRUE(eventually([&] { return a.size() >= 60 && b.size() >= 60; }, 60s)) << a.size() << " " << b.size();
  for (auto* seen : {&a, &b}) {
    std::lock_guard lock(seen->mutex);
    std::map<std::string, std::vector<int>> by_key;
    for (const auto& e : seen->events) by_key[e.key].push_back(std::stoi(e.id.substr(1)));
    ASSERT_EQ(by_key.size(), 3u);
    for (const auto& [key, ns] : by_key) {
      EXPECT_EQ(ns.size(), 20u) << key;
      EXPECT_TRUE(std::is_sorted(ns.begin(), ns.end())) << key;
    }
    EXPECT_EQ(seen->empty_batches, 0u);
    const auto& first = seen->events.front();
    EXPECT_EQ(first.type, "test.event");
    EXPECT_EQ(first.payload, "{\"n\":" + first.id.substr(1) + "}");
  }
}

TEST_P(EventLogContract, ADurableAppendIsConfirmedAndDeliveredInOrderWithTheOthers) {
  auto log = backend().open();
  Seen seen;
  log->subscribe("durable", seen.handler());
  log->append(event(0));
  ASSERT_TRUE(log->append_durably(event(3))); // same key as e0
  log->append(event(6));
  ASSERT_TRUE(eventually([&] { return seen.size() >= 3; }, 60s)) << seen.size();
  std::lock_guard lock(seen.mutex);
  std::vector<std::string> ids;
  for (const auto& e : seen.events) ids.push_back(e.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"e0", "e3", "e6"}));
}

TEST_P(EventLogContract, AFailedEventIsRetriedBeforeTheKeysNextOne) {
  auto log = backend().open();
  std::mutex m;
  std::vector<std::string> seen;
  int failures = 2;
  log->subscribe("retrying", [&](std::span<const DomainEvent> batch) -> Result<void> {
    std::lock_guard lock(m);
    for (const auto& e : batch) {
      seen.push_back(e.id);
      if (e.id == "e3" && failures-- > 0) return fail(Error::unavailable("down", "store down"));
    }
    return {};
  });
  log->append(event(3));
  log->append(event(6)); // same key as e3
  ASSERT_TRUE(eventually(
      [&] {
        std::lock_guard lock(m);
        return !seen.empty() && seen.back() == "e6";
      },
      60s));
  std::lock_guard lock(m);
  EXPECT_EQ(seen, (std::vector<std::string>{"e3", "e3", "e3", "e6"}));
}

TEST_P(EventLogContract, AGroupThatComesBackResumesAfterWhatItHandled) {
  if (!backend().durable()) GTEST_SKIP() << "in-process log: events live as long as the process";
  Seen first;
  {
    auto log = backend().open();
    log->subscribe("resuming", first.handler());
    for (int i = 0; i < 10; ++i) log->append(event(i));
    ASSERT_TRUE(eventually([&] { return first.size() >= 10; }, 60s));
    log->append(event(10)); // appended while the group is still up...
    ASSERT_TRUE(eventually([&] { return first.size() >= 11; }, 60s));
  } // ...which then goes away
  {
    auto writer = backend().open();
    for (int i = 11; i < 15; ++i) writer->append(event(i)); // appended while nobody consumes
  }
  Seen second;
  auto log = backend().open();
  log->subscribe("resuming", second.handler());
  ASSERT_TRUE(eventually([&] { return second.size() >= 4; }, 60s));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::lock_guard lock(second.mutex);
  std::vector<std::string> ids;
  for (const auto& e : second.events) ids.push_back(e.id);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::string>{"e11", "e12", "e13", "e14"}));
}

} // namespace parley::contract

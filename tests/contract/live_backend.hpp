#pragma once
// What the contract suites of the live ports (EventBus, Presence, RateLimiter) need from
// an adapter family: fresh instances per test, and a second node's instances when the
// adapters are shared between processes (nullptr for in-process ones).

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include "ports/event_bus.hpp"
#include "ports/presence.hpp"
#include "ports/rate_limiter.hpp"

namespace parley::contract {

class LiveBackend {
 public:
  virtual ~LiveBackend() = default;
  virtual std::unique_ptr<EventBus> bus(int node) = 0;        // node 0 always exists
  virtual std::unique_ptr<Presence> presence(int node) = 0;   // nullptr: no such node
  virtual std::unique_ptr<RateLimiter> limiter(int node) = 0; // nullptr: no such node
  virtual bool shared() const = 0;                            // nodes other than 0 exist
};

struct LiveParam {
  std::string name;
  std::function<std::unique_ptr<LiveBackend>()> make;
};

inline std::ostream& operator<<(std::ostream& os, const LiveParam& p) { return os << p.name; }
inline std::string live_name(const testing::TestParamInfo<LiveParam>& info) { return info.param.name; }

class LiveContract : public testing::TestWithParam<LiveParam> {
 protected:
  void SetUp() override {
    backend_ = GetParam().make();
    if (!backend_) GTEST_SKIP() << "backend not configured";
  }
  LiveBackend& backend() { return *backend_; }

 private:
  std::unique_ptr<LiveBackend> backend_;
};

} // namespace parley::contract

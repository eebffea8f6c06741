#pragma once
// The embedded event bus: publish() calls every subscriber on the publisher's thread.

#include <memory>
#include <mutex>
#include <vector>

#include "ports/event_bus.hpp"

namespace parley {

class InprocEventBus final : public EventBus {
 public:
  void publish(const LiveEvent& event) override;
  // Subscribe during start-up, before events flow.
  void subscribe(std::function<void(const LiveEvent&)> subscriber) override;

 private:
  using Subscribers = std::vector<std::function<void(const LiveEvent&)>>;
  std::mutex mutex_;
  std::shared_ptr<const Subscribers> subscribers_ = std::make_shared<Subscribers>(); // copy-on-write
};

} // namespace parley

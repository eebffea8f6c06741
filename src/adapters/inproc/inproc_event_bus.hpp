#pragma once
// The embedded event bus: publish() calls every subscriber on the publisher's thread, with the
// publisher's batch as it is.

#include <memory>
#include <mutex>
#include <vector>

#include "ports/event_bus.hpp"

namespace parley {

class InprocEventBus final : public EventBus {
 public:
  using EventBus::publish;
  void publish(std::span<const LiveEvent> events) override;
  // Subscribe during start-up, before events flow.
  void subscribe(Subscriber subscriber) override;

 private:
  using Subscribers = std::vector<Subscriber>;
  std::mutex mutex_;
  std::shared_ptr<const Subscribers> subscribers_ = std::make_shared<Subscribers>(); // copy-on-write
};

} // namespace parley

#include "adapters/inproc/inproc_event_bus.hpp"

namespace parley {

void InprocEventBus::publish(std::span<const LiveEvent> events) {
  if (events.empty()) return;
  std::shared_ptr<const Subscribers> subscribers;
  {
    std::lock_guard lock(mutex_);
    subscribers = subscribers_;
  }
  for (const auto& s : *subscribers) s(events);
}

void InprocEventBus::subscribe(Subscriber subscriber) {
  std::lock_guard lock(mutex_);
  auto next = std::make_shared<Subscribers>(*subscribers_);
  next->push_back(std::move(subscriber));
  subscribers_ = std::move(next);
}

} // namespace parley

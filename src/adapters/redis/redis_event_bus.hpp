#pragma once
// The EventBus across processes on Redis pub/sub: every event is published once, on one
// channel, and every subscribed node receives it and delivers it to the recipients it
// holds connections of. At most once, like the port says: a node that is disconnected
// from Redis misses events and its clients recover them with sync. The subscriber
// reconnects by itself (with backoff), then tells its subscribers kLiveInterrupted.

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "adapters/redis/redis_client.hpp"
#include "ports/event_bus.hpp"

namespace parley {

// The wire form of a live event (one line per field, the payload last); exposed for tests.
std::string encode_live_event(const LiveEvent& event);
Result<LiveEvent> decode_live_event(std::string_view text);

class RedisEventBus final : public EventBus {
 public:
  explicit RedisEventBus(RedisConfig config, std::string channel = "parley:live");
  ~RedisEventBus() override;

  using EventBus::publish;
  void publish(std::span<const LiveEvent> events) override;
  // Subscribe during start-up; the first call starts listening. A batch a subscriber receives
  // holds the events that arrived together (at most kMaxBatch).
  void subscribe(Subscriber subscriber) override;

 private:
  static constexpr std::size_t kMaxBatch = 256;

  void listen();
  void dispatch(std::span<const LiveEvent> events);

  RedisConfig config_;
  std::string channel_;
  RedisClient publisher_;
  std::mutex mutex_; // guards subscribers_ and fd_
  std::vector<Subscriber> subscribers_;
  int fd_ = -1; // the listener's socket, to unblock it at shutdown
  std::atomic<bool> stopping_{false};
  std::thread listener_;
};

} // namespace parley

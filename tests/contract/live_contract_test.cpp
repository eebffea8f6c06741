// The live-port and event-log contracts instantiated for the in-process adapters, for
// Redis (PARLEY_TEST_REDIS_URL) and for Kafka (PARLEY_TEST_KAFKA_BROKERS); the test command
// starts both servers (unset: those instantiations are skipped).

#include <gtest/gtest.h>
#include <algorithm>

#include <cstdlib>
#include <random>

#include "adapters/inproc/inproc_event_bus.hpp"
#include "adapters/inproc/inproc_event_log.hpp"
#include "adapters/inproc/memory_presence.hpp"
#include "adapters/inproc/memory_rate_limiter.hpp"
#include "adapters/kafka/kafka_event_log.hpp"
#include "adapters/redis/redis_client.hpp"
#include "adapters/redis/redis_event_bus.hpp"
#include "adapters/redis/redis_presence.hpp"
#include "adapters/redis/redis_rate_limiter.hpp"
#include "core/clock.hpp"
#include "event_log_contract.hpp"
#include "live_contract.hpp"

namespace parley::contract {
namespace {

// One bus, presence and limiter shared by "every node": in-process adapters have one.
class InprocBackend final : public LiveBackend {
 public:
  std::unique_ptr<EventBus> bus(int) override { return std::make_unique<InprocEventBus>(); }
  std::unique_ptr<Presence> presence(int) override { return std::make_unique<MemoryPresence>(); }
  std::unique_ptr<RateLimiter> limiter(int) override { return std::make_unique<MemoryRateLimiter>(clock_); }
  bool shared() const override { return false; }

 private:
  SystemClock clock_;
};

// A clean Redis per test; every node is a separate set of connections to it.
class RedisBackend final : public LiveBackend {
 public:
  explicit RedisBackend(RedisConfig config)
      : config_(std::move(config)), channel_("test:" + std::to_string(std::random_device{}())) {
    RedisClient admin(config_);
    auto ok = admin.command({"FLUSHDB"});
    EXPECT_TRUE(ok) << (ok ? "" : ok.error().message);
  }
  std::unique_ptr<EventBus> bus(int) override { return std::make_unique<RedisEventBus>(config_, channel_); }
  std::unique_ptr<Presence> presence(int node) override {
    return std::make_unique<RedisPresence>(config_, "node" + std::to_string(node), std::chrono::seconds(5));
  }
  std::unique_ptr<RateLimiter> limiter(int) override { return std::make_unique<RedisRateLimiter>(config_); }
  bool shared() const override { return true; }

 private:
  RedisConfig config_;
  std::string channel_;
};

std::unique_ptr<LiveBackend> redis_backend() {
  const char* url = std::getenv("PARLEY_TEST_REDIS_URL");
  if (!url || !*url) return nullptr;
  auto config = parse_redis_url(url);
  if (!config) return nullptr;
  return std::make_unique<RedisBackend>(*config);
}

const auto kBackends =
    testing::Values(LiveParam{"Inproc", [] { return std::unique_ptr<LiveBackend>(std::make_unique<InprocBackend>()); }},
                    LiveParam{"Redis", redis_backend});

// Redis drops every client connection; the bus reconnects by itself, says so once, and events
// flow again.
TEST(RedisEventBus, ReconnectsAfterTheServerDropsItsConnections) {
  auto backend = redis_backend();
  if (!backend) GTEST_SKIP() << "PARLEY_TEST_REDIS_URL not set";
  auto config = *parse_redis_url(std::getenv("PARLEY_TEST_REDIS_URL"));
  Collected got; // declared first: outlives the bus, which delivers until it is destroyed
  auto bus = backend->bus(0);
  bus->subscribe(got.sink());
  ASSERT_TRUE(settle(*bus, {&got}));
  bus->publish({"typing", "c1", "{\"n\":1}", {"u1"}, ""});
  ASSERT_TRUE(eventually([&] { return got.size() == 1; }));
  RedisClient admin(config);
  ASSERT_TRUE(admin.command({"CLIENT", "KILL", "TYPE", "pubsub"}));
  ASSERT_TRUE(admin.command({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"}));
  // Events published before the subscriber is back are lost (at most once); keep publishing.
  ASSERT_TRUE(eventually([&] {
    bus->publish({"typing", "c1", "{\"n\":2}", {"u1"}, ""});
    std::lock_guard lock(got.mutex);
    return got.events.back().payload == "{\"n\":2}";
  }));
  // ...and the subscriber was told that it may have missed some in between.
  std::lock_guard lock(got.mutex);
  EXPECT_EQ(std::count_if(got.events.begin(), got.events.end(),
                          [](const LiveEvent& e) { return e.type == kLiveInterrupted; }),
            1);
}

// One in-process log shared by every open() of a test (it lives as long as the test).
class InprocLogBackend final : public EventLogBackend {
 public:
  std::unique_ptr<EventLog> open() override {
    struct View final : EventLog {
      explicit View(InprocEventLog& l) : log(l) {}
      void append(DomainEvent e) override { log.append(std::move(e)); }
      Result<void> append_durably(DomainEvent e) override { return log.append_durably(std::move(e)); }
      void subscribe(std::string g, Handler h) override { log.subscribe(std::move(g), std::move(h)); }
      InprocEventLog& log;
    };
    return std::make_unique<View>(log_);
  }
  bool durable() const override { return false; }

 private:
  InprocEventLog log_{1000, std::chrono::milliseconds(20)};
};

class KafkaLogBackend final : public EventLogBackend {
 public:
  explicit KafkaLogBackend(std::string brokers) {
    config_.brokers = std::move(brokers);
    config_.topic = "test." + std::to_string(std::random_device{}());
    config_.partitions = 3;
    config_.max_backoff = std::chrono::milliseconds(50);
  }
  std::unique_ptr<EventLog> open() override { return std::make_unique<KafkaEventLog>(config_); }
  bool durable() const override { return true; }

 private:
  KafkaConfig config_;
};

std::unique_ptr<EventLogBackend> kafka_backend() {
  const char* brokers = std::getenv("PARLEY_TEST_KAFKA_BROKERS");
  if (!brokers || !*brokers) return nullptr;
  return std::make_unique<KafkaLogBackend>(brokers);
}

const auto kLogBackends = testing::Values(
    EventLogParam{"Inproc", [] { return std::unique_ptr<EventLogBackend>(std::make_unique<InprocLogBackend>()); }},
    EventLogParam{"Kafka", kafka_backend});

} // namespace

INSTANTIATE_TEST_SUITE_P(Log, EventLogContract, kLogBackends, event_log_name);
INSTANTIATE_TEST_SUITE_P(Live, EventBusContract, kBackends, live_name);
INSTANTIATE_TEST_SUITE_P(Live, PresenceContract, kBackends, live_name);
INSTANTIATE_TEST_SUITE_P(Live, RateLimiterContract, kBackends, live_name);

} // namespace parley::contract

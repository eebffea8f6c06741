#pragma once
// The EventLog on Kafka (librdkafka). Events go to one topic, keyed by their key (the
// chat id), so one partition holds a chat's events in order. The producer is idempotent
// with acks=all; append() only enqueues (delivery failures are logged). Each consumer
// group runs on its own thread with its own consumer: a message's offset is committed only
// after its handler succeeded, and a failing handler is retried (with backoff) before the
// partition's next message, so every event is handled at least once and in key order.
// The topic is created at start when missing.

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ports/event_log.hpp"

namespace parley {

struct KafkaConfig {
  std::string brokers = "127.0.0.1:9092";
  std::string topic = "parley.events";
  int partitions = 12;
  int replication = 1;
  std::chrono::milliseconds max_backoff{5000};
  // A consumer that does not heartbeat for this long (a killed process) loses its partitions
  // to the group's other members (the broker accepts 6 s to 5 min by default).
  std::chrono::milliseconds session_timeout{10000};
  // How long append_durably() waits for the brokers' acknowledgement.
  std::chrono::milliseconds confirm_timeout{5000};
};

// The wire form of a domain event (the key travels as the Kafka key); exposed for tests.
std::string encode_domain_event(const DomainEvent& event);
Result<DomainEvent> decode_domain_event(std::string_view key, std::string_view value);

class KafkaEventLog final : public EventLog {
 public:
  // Connects and makes sure the topic exists; throws std::runtime_error when it cannot.
  explicit KafkaEventLog(KafkaConfig config);
  ~KafkaEventLog() override; // close()s, then flushes what the producer still holds

  void append(DomainEvent event) override;
  // Waits for the acknowledgement of every in-sync replica (acks=all), up to confirm_timeout.
  Result<void> append_durably(DomainEvent event) override;
  void subscribe(std::string group, Handler handler) override;
  // Stops every consumer after the event in hand; call before their handlers go away.
  void close();

 private:
  // Hands the event to the producer (retrying while its queue is full); `report` goes to the
  // delivery report callback.
  Result<void> produce(const DomainEvent& event, void* report);

  struct Producer;
  struct Consumer;
  KafkaConfig config_;
  std::unique_ptr<Producer> producer_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Consumer>> consumers_;
};

} // namespace parley

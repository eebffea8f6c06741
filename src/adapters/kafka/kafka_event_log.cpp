#include "adapters/kafka/kafka_event_log.hpp"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <condition_variable>
#include <optional>
#include <span>
#include <stdexcept>
#include <vector>

#include "core/log.hpp"

namespace parley {

namespace {

const Logger kLog{"kafka"};
constexpr std::string_view kVersion = "v1";

using Settings = std::vector<std::pair<const char*, std::string>>;

rd_kafka_conf_t* make_conf(const Settings& settings) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  for (const auto& [name, value] : settings) {
    if (rd_kafka_conf_set(conf, name, value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      throw std::runtime_error(std::string("kafka setting ") + name + ": " + err);
    }
  }
  return conf;
}

rd_kafka_t* make_client(rd_kafka_type_t type, rd_kafka_conf_t* conf) {
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err); // owns conf on success
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("kafka client: ") + err);
  }
  return rk;
}

// What an append_durably() waits for: the delivery report of its event.
struct Confirmation {
  std::mutex mutex;
  std::condition_variable done;
  std::optional<rd_kafka_resp_err_t> result;
};

// `m->_private` (the message's opaque) is a heap-held shared_ptr<Confirmation> for a durable
// append, null otherwise.
void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  if (m->err) kLog.error("event not delivered", {{"error", rd_kafka_err2str(m->err)}});
  std::unique_ptr<std::shared_ptr<Confirmation>> waiting(static_cast<std::shared_ptr<Confirmation>*>(m->_private));
  if (!waiting) return;
  auto& c = **waiting;
  {
    std::lock_guard lock(c.mutex);
    c.result = m->err;
  }
  c.done.notify_all();
}

// Logs each partition (re)assignment of a consumer group member (which instance owns which
// keys), then applies it as librdkafka would without this callback.
// `group` is the consumer's group name (its opaque).
void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions, void* group) {
  std::string list;
  for (int i = 0; i < partitions->cnt; ++i) {
    if (i) list += ',';
    list += std::to_string(partitions->elems[i].partition);
  }
  const bool assigned = err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS;
  kLog.info(assigned ? "partitions assigned" : "partitions revoked",
            {{"group", *static_cast<const std::string*>(group)}, {"partitions", list}});
  rd_kafka_assign(rk, assigned ? partitions : nullptr);
}

// Creates the topic unless it exists.
void ensure_topic(rd_kafka_t* rk, const KafkaConfig& c) {
  char err[512];
  rd_kafka_NewTopic_t* topic = rd_kafka_NewTopic_new(c.topic.c_str(), c.partitions, c.replication, err, sizeof err);
  if (!topic) throw std::runtime_error(std::string("kafka topic ") + c.topic + ": " + err);
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, &topic, 1, nullptr, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 30000);
  rd_kafka_resp_err_t result = RD_KAFKA_RESP_ERR__TIMED_OUT;
  std::string message = "no answer from the brokers";
  if (event) {
    if (const auto* created = rd_kafka_event_CreateTopics_result(event)) {
      size_t n = 0;
      const rd_kafka_topic_result_t** topics = rd_kafka_CreateTopics_result_topics(created, &n);
      if (n == 1) {
        result = rd_kafka_topic_result_error(topics[0]);
        const char* text = rd_kafka_topic_result_error_string(topics[0]);
        message = text ? text : rd_kafka_err2str(result);
      }
    } else {
      result = rd_kafka_event_error(event);
      message = rd_kafka_event_error_string(event);
    }
    rd_kafka_event_destroy(event);
  }
  rd_kafka_queue_destroy(queue);
  rd_kafka_NewTopic_destroy(topic);
  if (result != RD_KAFKA_RESP_ERR_NO_ERROR && result != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
    throw std::runtime_error("kafka topic " + c.topic + ": " + message);
}

} // namespace

std::string encode_domain_event(const DomainEvent& e) {
  return std::string(kVersion) + "\n" + e.id + "\n" + e.type + "\n" + e.payload;
}

Result<DomainEvent> decode_domain_event(std::string_view key, std::string_view value) {
  const auto bad = [] { return fail(Error::invalid("bad_event", "not a domain event")); };
  std::string_view fields[3];
  for (auto& field : fields) {
    const auto nl = value.find('\n');
    if (nl == std::string_view::npos) return bad();
    field = value.substr(0, nl);
    value.remove_prefix(nl + 1);
  }
  if (fields[0] != kVersion || fields[1].empty() || fields[2].empty()) return bad();
  return DomainEvent{std::string(fields[1]), std::string(fields[2]), std::string(key), std::string(value)};
}

struct KafkaEventLog::Producer {
  explicit Producer(const KafkaConfig& c) {
    rd_kafka_conf_t* conf = make_conf({{"bootstrap.servers", c.brokers},
                                       {"enable.idempotence", "true"},
                                       {"acks", "all"},
                                       {"linger.ms", "2"},
                                       {"message.timeout.ms", "60000"}});
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rk = make_client(RD_KAFKA_PRODUCER, conf);
    poller = std::thread([this] {
      while (!stopping) rd_kafka_poll(rk, 100); // serves delivery reports
    });
  }
  ~Producer() {
    stopping = true;
    poller.join();
    if (rd_kafka_flush(rk, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR)
      kLog.error("events still unsent at shutdown", {{"count", rd_kafka_outq_len(rk)}});
    rd_kafka_destroy(rk);
  }

  rd_kafka_t* rk = nullptr;
  std::atomic<bool> stopping{false};
  std::thread poller;
};

struct KafkaEventLog::Consumer {
  Consumer(const KafkaConfig& c, std::string group, Handler h)
      : name(std::move(group)), handler(std::move(h)), max_backoff(c.max_backoff) {
    rd_kafka_conf_t* conf =
        make_conf({{"bootstrap.servers", c.brokers},
                   {"group.id", name},
                   {"session.timeout.ms", std::to_string(c.session_timeout.count())},
                   {"heartbeat.interval.ms", std::to_string(std::max<long>(c.session_timeout.count() / 4, 500))},
                   {"enable.auto.commit", "false"},
                   {"auto.offset.reset", "earliest"},
                   {"isolation.level", "read_committed"}});
    rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
    rd_kafka_conf_set_opaque(conf, const_cast<std::string*>(&name));
    rk = make_client(RD_KAFKA_CONSUMER, conf);

    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, c.topic.c_str(), RD_KAFKA_PARTITION_UA);
    const auto err = rd_kafka_subscribe(rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (err) {
      rd_kafka_destroy(rk);
      throw std::runtime_error(std::string("kafka subscribe: ") + rd_kafka_err2str(err));
    }
    worker = std::thread([this] { run(); });
  }

  void stop() {
    stopping = true;
    if (worker.joinable()) worker.join();
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
  }

  void run() {
    std::vector<rd_kafka_message_t*> polled;
    std::vector<DomainEvent> batch;
    while (!stopping) {
      // Waits for one message, then takes those already fetched with it, without waiting.
      for (auto* m = rd_kafka_consumer_poll(rk, 200); m; m = rd_kafka_consumer_poll(rk, 0)) {
        if (m->err) {
          if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
            kLog.warn("consumer error", {{"group", name}, {"error", rd_kafka_message_errstr(m)}});
          rd_kafka_message_destroy(m);
          continue;
        }
        polled.push_back(m);
        if (polled.size() == kMaxBatch) break;
      }
      if (polled.empty()) continue;
      for (auto* m : polled) {
        const std::string_view key(static_cast<const char*>(m->key), m->key ? m->key_len : 0);
        const std::string_view value(static_cast<const char*>(m->payload), m->payload ? m->len : 0);
        if (auto event = decode_domain_event(key, value))
          batch.push_back(std::move(*event));
        else
          kLog.error("malformed event skipped", {{"group", name}, {"offset", static_cast<std::int64_t>(m->offset)}});
      }
      // Committed only once the handler's effect is stored; a stop mid-retry leaves it for later.
      if (batch.empty() || handle(batch)) commit(polled);
      for (auto* m : polled) rd_kafka_message_destroy(m);
      polled.clear();
      batch.clear();
    }
  }

  // Commits, per partition, the offset after the last of `polled`, in one request.
  void commit(const std::vector<rd_kafka_message_t*>& polled) {
    rd_kafka_topic_partition_list_t* offsets = rd_kafka_topic_partition_list_new(4);
    for (auto* m : polled) {
      const char* topic = rd_kafka_topic_name(m->rkt);
      auto* p = rd_kafka_topic_partition_list_find(offsets, topic, m->partition);
      if (!p) p = rd_kafka_topic_partition_list_add(offsets, topic, m->partition);
      p->offset = std::max(p->offset, m->offset + 1);
    }
    if (const auto err = rd_kafka_commit(rk, offsets, 0))
      kLog.warn("offsets not committed", {{"group", name}, {"error", rd_kafka_err2str(err)}});
    rd_kafka_topic_partition_list_destroy(offsets);
  }

  // True once the handler succeeded; false when stopped first.
  bool handle(std::span<const DomainEvent> batch) {
    auto backoff = std::chrono::milliseconds(50);
    for (;;) {
      auto r = handler(batch);
      if (r) return true;
      kLog.warn("event handler failed; retrying", {{"group", name},
                                                   {"events", static_cast<std::int64_t>(batch.size())},
                                                   {"first", batch.front().id},
                                                   {"error", r.error().message}});
      for (auto waited = std::chrono::milliseconds(0); waited < backoff; waited += std::chrono::milliseconds(10)) {
        if (stopping) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      backoff = std::min(backoff * 2, max_backoff);
    }
  }

  static constexpr std::size_t kMaxBatch = 256; // events a consumer handles at once

  const std::string name;
  const Handler handler;
  const std::chrono::milliseconds max_backoff;
  rd_kafka_t* rk = nullptr;
  std::atomic<bool> stopping{false};
  std::thread worker;
};

KafkaEventLog::KafkaEventLog(KafkaConfig config) : config_(std::move(config)) {
  producer_ = std::make_unique<Producer>(config_);
  ensure_topic(producer_->rk, config_);
}

KafkaEventLog::~KafkaEventLog() { close(); }

void KafkaEventLog::close() {
  std::lock_guard lock(mutex_);
  for (auto& c : consumers_) c->stop();
  consumers_.clear();
}

Result<void> KafkaEventLog::produce(const DomainEvent& event, void* report) {
  const auto value = encode_domain_event(event);
  for (int attempt = 0;; ++attempt) {
    const auto err = rd_kafka_producev(
        producer_->rk, RD_KAFKA_V_TOPIC(config_.topic.c_str()), RD_KAFKA_V_KEY(event.key.data(), event.key.size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_OPAQUE(report), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return {};
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || attempt >= 50) {
      kLog.error("event not appended", {{"event", event.id}, {"type", event.type}, {"error", rd_kafka_err2str(err)}});
      return fail(Error::unavailable("log_unavailable", std::string("event not appended: ") + rd_kafka_err2str(err)));
    }
    rd_kafka_poll(producer_->rk, 10); // the local queue is full: let deliveries drain it
  }
}

void KafkaEventLog::append(DomainEvent event) { (void)produce(event, nullptr); }

Result<void> KafkaEventLog::append_durably(DomainEvent event) {
  auto confirmation = std::make_shared<Confirmation>();
  // The delivery report owns this copy (it may come after we stopped waiting).
  auto report = std::make_unique<std::shared_ptr<Confirmation>>(confirmation);
  if (auto produced = produce(event, report.get()); !produced) return produced;
  report.release();
  std::unique_lock lock(confirmation->mutex);
  if (!confirmation->done.wait_for(lock, config_.confirm_timeout, [&] { return confirmation->result.has_value(); }))
    return fail(Error::unavailable("log_unavailable", "the event log did not confirm the event in time"));
  if (*confirmation->result != RD_KAFKA_RESP_ERR_NO_ERROR)
    return fail(Error::unavailable("log_unavailable",
                                   std::string("event not appended: ") + rd_kafka_err2str(*confirmation->result)));
  return {};
}

void KafkaEventLog::subscribe(std::string group, Handler handler) {
  auto consumer = std::make_unique<Consumer>(config_, std::move(group), std::move(handler));
  std::lock_guard lock(mutex_);
  consumers_.push_back(std::move(consumer));
}

} // namespace parley

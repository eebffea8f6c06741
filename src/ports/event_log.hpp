#pragma once
// Domain events for other services (notifications today): what happened, durable as far
// as the adapter allows, delivered at least once and in order per key. Consumers are
// idempotent. Unlike the EventBus (live frames for connected clients), nobody waits for
// a consumer: append() never blocks on one.

#include <functional>
#include <span>
#include <string>

#include "core/error.hpp"

namespace parley {

struct DomainEvent {
  std::string id;      // unique and time-sortable
  std::string type;    // "message.created", "message.read", "chat.updated"
  std::string key;     // the ordering key: the chat id
  std::string payload; // a JSON object
};

class EventLog {
 public:
  // Receives events in order, a batch at a time (never empty): what had arrived when the
  // consumer was ready, so that a consumer that falls behind catches up in fewer, larger
  // writes. A failed batch is retried whole (consumers are idempotent).
  using Handler = std::function<Result<void>(std::span<const DomainEvent>)>;
  virtual ~EventLog() = default;
  virtual void append(DomainEvent event) = 0;
  // Appends and waits until the log holds the event as durably as the adapter allows; an
  // error (unavailable) when that is not confirmed in time: the event may still get in, so
  // whoever retries must be idempotent.
  virtual Result<void> append_durably(DomainEvent event) = 0;
  // Delivers every event appended from now on to `handler` under consumer group `group`.
  // A failed batch is retried (with backoff) before later events of the group.
  virtual void subscribe(std::string group, Handler handler) = 0;
};

} // namespace parley

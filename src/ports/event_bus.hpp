#pragma once
// Live events for connected clients (message.new, message.edited, receipt, ...).
// At-most-once and ordered per publisher thread: the store is the log, and clients
// that miss an event catch up from it (sync). Subscribers must not block.
//
// Events are published and received in batches: what a publisher has together (e.g. the
// messages of one store commit) reaches a subscriber together, so that a connection
// receiving several of them gets them in one write rather than one write each.

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace parley {

struct LiveEvent {
  std::string type; // the frame type, e.g. "message.new"
  std::string chat_id;
  std::string payload;                 // a JSON object, the frame's "data"
  std::vector<std::string> recipients; // user ids
  std::string exclude_user;            // a user not to send it to ("" for none), e.g. the typist
  // The send this event answers (message.new, kSendStored, kSendRejected), so the sender's
  // node finds it without reading the payload; empty otherwise.
  std::string sender_id;
  std::string client_id;
};

// What a subscriber receives (no recipients, no payload) when the bus may have lost events
// for it, e.g. after its connection to a shared bus came back: connections it serves may have
// missed events and must catch up from the store.
inline constexpr std::string_view kLiveInterrupted = "live.interrupted";

class EventBus {
 public:
  // Receives a batch of events, in publication order, never empty.
  using Subscriber = std::function<void(std::span<const LiveEvent>)>;

  virtual ~EventBus() = default;
  // Publishes `events` in order; a subscriber receives them in one batch or several.
  virtual void publish(std::span<const LiveEvent> events) = 0;
  void publish(const LiveEvent& event) { publish(std::span(&event, 1)); }
  virtual void subscribe(Subscriber subscriber) = 0;
};

} // namespace parley

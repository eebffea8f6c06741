#pragma once
// Live events for connected clients (message.new, message.edited, receipt, ...).
// At-most-once and ordered per publisher thread: the store is the log, and clients
// that miss an event catch up from it (sync). Subscribers must not block.

#include <functional>
#include <memory>
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
  virtual ~EventBus() = default;
  virtual void publish(const LiveEvent& event) = 0;
  virtual void subscribe(std::function<void(const LiveEvent&)> subscriber) = 0;
};

} // namespace parley

#pragma once
// Sends as commands on the event log, keyed by chat: a WebSocket node of a distributed
// deployment appends them, and the message service's consumer stores them one chat
// partition at a time, so a chat's messages are stored and published in seq order.

#include <chrono>
#include <span>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/ids.hpp"
#include "ports/event_bus.hpp"
#include "ports/event_log.hpp"
#include "ports/messaging.hpp"

namespace parley {

class MessageService;

inline constexpr std::string_view kSendCommand = "message.send";

// The command for `sender`'s send; `id` is the event id (unique, time-sortable).
DomainEvent send_command(std::string id, std::string_view sender, const SendInput& input);
// Fails with invalid_argument "invalid_command" on anything but a well-formed send command.
Result<std::pair<std::string, SendInput>> parse_send_command(const DomainEvent& event);

// The consumer: stores each send (idempotent on client_id, so a redelivered command stores
// nothing new). A send that can never succeed (not a member, a bad body, ...) is answered to
// the sender's connections with a kSendRejected live event, a send stored before (a retry)
// with kSendStored; a failure that may pass (the store unavailable) is returned, and the log
// retries the command.
class SendCommandHandler {
 public:
  SendCommandHandler(MessageService& messages, EventBus& live);
  // Queues every command of the batch before waiting for any: they are stored in one write.
  Result<void> operator()(std::span<const DomainEvent> batch) const;

 private:
  // Tells the sender's connections what became of a command, unless a retry may do better.
  Result<void> answer(const std::string& sender, const SendInput& in, Result<Appended> sent) const;

  MessageService& messages_;
  EventBus& live_;
};

// The REST sends of a distributed message service: checked at once, then queued as send
// commands like the WebSocket nodes' (one consumer per chat partition orders a chat's
// messages, whichever instance took the request), and answered once stored. Blocks the
// calling thread until then.
class QueuedSends {
 public:
  QueuedSends(MessageService& messages, EventLog& commands, IdGen& ids,
              std::chrono::milliseconds wait = std::chrono::seconds(10));
  // As MessageService::send; unavailable "send_pending" when the command was queued but not
  // stored within `wait` (a retry with the same client_id answers for it).
  Result<Appended> send(std::string_view me, const SendInput& input) const;

 private:
  MessageService& messages_;
  EventLog& commands_;
  IdGen& ids_;
  const std::chrono::milliseconds wait_;
};

} // namespace parley

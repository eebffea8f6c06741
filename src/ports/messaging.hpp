#pragma once
// What the WebSocket service asks of the message service, on behalf of a connected user.
// In one process the message service itself; on a WebSocket node of a distributed
// deployment, a client that hands sends to the command log and calls the message service
// for the rest.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "domain/message.hpp"
#include "ports/message_store.hpp"

namespace parley {

struct SendInput {
  std::string chat_id;
  std::string client_id;
  std::string body;
  std::string reply_to;              // a message id of the same chat, or ""
  std::vector<std::string> mentions; // user ids, each a member of the chat
  std::vector<domain::Attachment> attachments;
};

struct HistoryQuery {
  std::int64_t before = 0; // 0: unbounded
  std::int64_t after = 0;
  int limit = 50;
};

// Live events for a sender's connections only, about a queued send (never sent to clients as
// such): it was refused (payload: user_id, chat_id, client_id, code, message), or it had been
// stored before (a retry or a redelivery; payload: the stored message, as in message.new).
inline constexpr std::string_view kSendRejected = "message.rejected";
inline constexpr std::string_view kSendStored = "message.stored";

class Messaging {
 public:
  static constexpr int kMaxPage = 100;

  virtual ~Messaging() = default;
  // The stored message, or nullopt when the send was queued for the message service: the
  // sender's connections then learn its fate from the live events: message.new or
  // kSendStored (stored), kSendRejected.
  virtual Result<std::optional<Appended>> submit(std::string_view me, const SendInput& input) = 0;
  virtual Result<domain::Message> edit(std::string_view me, std::string_view chat_id, std::string_view message_id,
                                       std::string_view body) = 0;
  virtual Result<domain::Message> remove(std::string_view me, std::string_view chat_id,
                                         std::string_view message_id) = 0;
  virtual Result<std::vector<domain::Message>> history(std::string_view me, std::string_view chat_id,
                                                       const HistoryQuery& query) = 0;
  virtual Result<Cursor> mark_read(std::string_view me, std::string_view chat_id, std::int64_t seq) = 0;
  virtual Result<Cursor> mark_delivered(std::string_view me, std::string_view chat_id, std::int64_t seq) = 0;
  virtual Result<void> react(std::string_view me, std::string_view chat_id, std::string_view message_id,
                             std::string_view emoji) = 0;
  virtual Result<void> unreact(std::string_view me, std::string_view chat_id, std::string_view message_id) = 0;
};

} // namespace parley

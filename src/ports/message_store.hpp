#pragma once
// The message service's messages, cursors and reactions. Owned by the message service.
// Guarantees: append() assigns the chat's next seq atomically (gapless, strictly
// increasing per chat) and is idempotent on (chat_id, sender_id, client_id).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "domain/message.hpp"

namespace parley {

using domain::Message;

struct Appended {
  Message message;
  bool created = false; // false: this client_id was stored before; `message` is that one
};

struct Cursor {
  std::int64_t read_seq = 0;
  std::int64_t delivered_seq = 0;
};

// One advance(): the user's cursors in the chat move forward to these seqs.
struct CursorMove {
  std::string chat_id;
  std::string user_id;
  std::int64_t read_seq = 0;
  std::int64_t delivered_seq = 0;
};

struct Reaction {
  std::string message_id;
  std::string user_id;
  std::string emoji;
};

class MessageStore {
 public:
  virtual ~MessageStore() = default;
  // Stores `message` (its seq is ignored) with the chat's next seq, or returns the
  // message already stored under the same (chat_id, sender_id, client_id).
  virtual Result<Appended> append(const Message& message) = 0;
  // append() for each message, in order, as one write where the adapter can (group commit):
  // one result per message; a message that fails changes nothing and takes no seq. The order
  // that counts is each chat's: an adapter may write different chats at the same time.
  virtual std::vector<Result<Appended>> append_all(const std::vector<Message>& messages) {
    std::vector<Result<Appended>> out;
    out.reserve(messages.size());
    for (const auto& m : messages) out.push_back(append(m));
    return out;
  }
  virtual Result<std::optional<Message>> find(std::string_view chat_id, std::string_view message_id) = 0;
  // The message `sender_id` stored under `client_id` in the chat, if any.
  virtual Result<std::optional<Message>> find_sent(std::string_view chat_id, std::string_view sender_id,
                                                   std::string_view client_id) = 0;
  // Sets body and edited_at_ms of a live message (not_found "message_not_found" otherwise).
  virtual Result<Message> edit(std::string_view chat_id, std::string_view message_id, std::string_view body,
                               std::int64_t edited_at_ms) = 0;
  // Deletes the body and marks the message deleted; its seq stays (a tombstone).
  virtual Result<Message> remove(std::string_view chat_id, std::string_view message_id, std::int64_t at_ms) = 0;
  // Whether a live (not deleted) message of the chat has an attachment with this key:
  // the media service lets members download a file only through a chat it was sent to.
  virtual Result<bool> attached(std::string_view chat_id, std::string_view media_key) = 0;
  // Messages with before > seq > after (0: unbounded), at most `limit`: the newest ones
  // when only `before` is given, else the oldest ones after `after`; ascending seq.
  virtual Result<std::vector<Message>> page(std::string_view chat_id, std::int64_t before, std::int64_t after,
                                            int limit) = 0;
  virtual Result<std::int64_t> last_seq(std::string_view chat_id) = 0;

  virtual Result<Cursor> cursor(std::string_view chat_id, std::string_view user_id) = 0;
  // Moves the cursor forward only; returns the cursor after the move.
  virtual Result<Cursor> advance(std::string_view chat_id, std::string_view user_id, std::int64_t read_seq,
                                 std::int64_t delivered_seq) = 0;
  // advance() for each move, in order, as one write where the adapter can: one result per move.
  virtual std::vector<Result<Cursor>> advance_all(const std::vector<CursorMove>& moves) {
    std::vector<Result<Cursor>> out;
    out.reserve(moves.size());
    for (const auto& m : moves) out.push_back(advance(m.chat_id, m.user_id, m.read_seq, m.delivered_seq));
    return out;
  }
  // Live messages with seq > after_seq not sent by user_id.
  virtual Result<std::int64_t> count_unread(std::string_view chat_id, std::string_view user_id,
                                            std::int64_t after_seq) = 0;

  // One reaction per user per message: setting replaces the previous emoji.
  virtual Result<void> set_reaction(const Reaction& reaction) = 0;
  virtual Result<void> remove_reaction(std::string_view message_id, std::string_view user_id) = 0;
  virtual Result<std::vector<Reaction>> reactions(const std::vector<std::string>& message_ids) = 0;
};

} // namespace parley

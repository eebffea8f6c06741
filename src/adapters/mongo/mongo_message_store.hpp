#pragma once
// MessageStore on MongoDB (database "parley_message" by default): collections messages
// (one document per message, tombstones included, mentions embedded), cursors and
// reactions. See docs/storage-mongodb.md.
//
// Sequence numbers without transactions: a message's seq is claimed by inserting the
// message itself with seq = last + 1 under the unique index (chat_id, seq). A losing
// insert re-reads the chat's last seq and tries again. So a seq exists only as a stored
// message (no counter that a failed insert could leave ahead: gapless), and seq N can be
// inserted only after N - 1 was visible (a reader never sees N before N - 1).
// "Last" is read from last_seqs (one document per chat, by _id, moved with $max after each
// insert), not by sorting the chat's messages: a look-up by _id costs the same however long
// the chat, where FerretDB sorts a chat's messages in its proxy. The hint is never ahead of
// the messages (it is moved only after an insert); it is behind only when a process stopped
// between an insert and the move, until the chat's next append, whose first insert then
// loses and re-reads the messages themselves.
// Idempotency: the unique index (chat_id, sender_id, client_id); a duplicate returns the
// stored message.

#include <array>
#include <mutex>
#include <string>

#include "adapters/mongo/mongo_client.hpp"
#include "ports/message_store.hpp"

namespace parley {

class MongoMessageStore final : public MessageStore {
 public:
  explicit MongoMessageStore(MongoPool& pool, std::string database = "parley_message")
      : db_(pool, std::move(database)) {}

  // Creates the collections' indexes (idempotent). Call once at start; the guarantees
  // above rest on the unique indexes.
  Result<void> create_indexes();

  // Appends through one process are serialised per chat (striped locks) so they do not
  // race each other for a seq; appends from other processes are settled by the unique
  // index. After many lost races in a row: unavailable "seq_contention" (retryable,
  // nothing stored). Conflict "message_exists" when the id is taken by another message.
  Result<Appended> append(const Message& message) override;
  // Several chats at a time (each chat's messages in order, one after the other): each write
  // waits for its own commit, so a batch written one message at a time would cost a commit's
  // latency per message.
  std::vector<Result<Appended>> append_all(const std::vector<Message>& messages) override;
  Result<std::optional<Message>> find(std::string_view chat_id, std::string_view message_id) override;
  Result<std::optional<Message>> find_sent(std::string_view chat_id, std::string_view sender_id,
                                           std::string_view client_id) override;
  // Messages carry attachment_keys, the keys of their attachments (emptied by remove()),
  // under the index (chat_id, attachment_keys).
  Result<bool> attached(std::string_view chat_id, std::string_view media_key) override;
  Result<Message> edit(std::string_view chat_id, std::string_view message_id, std::string_view body,
                       std::int64_t edited_at_ms) override;
  // Empties body, attachments and mentions, drops the message's reactions and records
  // `at_ms`. Removing a tombstone returns it unchanged.
  Result<Message> remove(std::string_view chat_id, std::string_view message_id, std::int64_t at_ms) override;
  Result<std::vector<Message>> page(std::string_view chat_id, std::int64_t before, std::int64_t after,
                                    int limit) override;
  // The highest stored seq, from last_seqs; 0 for a chat without messages. Behind (by the
  // messages a stopped process stored last) until the chat's next append, as said above.
  Result<std::int64_t> last_seq(std::string_view chat_id) override;

  Result<Cursor> cursor(std::string_view chat_id, std::string_view user_id) override;
  // $max on both seqs (reading implies delivery).
  Result<Cursor> advance(std::string_view chat_id, std::string_view user_id, std::int64_t read_seq,
                         std::int64_t delivered_seq) override;
  Result<std::int64_t> count_unread(std::string_view chat_id, std::string_view user_id,
                                    std::int64_t after_seq) override;

  // not_found "message_not_found" for an unknown or deleted message. The message is
  // checked again after the write, and a reaction that raced a delete is taken back.
  Result<void> set_reaction(const Reaction& reaction) override;
  Result<void> remove_reaction(std::string_view message_id, std::string_view user_id) override;
  // Ordered by message_id, then user_id.
  Result<std::vector<Reaction>> reactions(const std::vector<std::string>& message_ids) override;

 private:
  Result<std::optional<Message>> find_where(const BsonDoc& filter);
  Result<bool> is_live(std::string_view message_id);
  // The highest seq among the chat's messages (a sort), which also moves the hint.
  Result<std::int64_t> stored_last_seq(std::string_view chat_id);
  void note_last_seq(std::string_view chat_id, std::int64_t seq);
  Result<void> add_attachment_keys();
  std::mutex& stripe(std::string_view chat_id);

  MongoDatabase db_;
  std::array<std::mutex, 64> stripes_;
};

} // namespace parley

#pragma once
// MessageStore on SQLite: message_messages (one row per message, tombstones included),
// message_mentions, message_attachments (the media keys of live messages),
// message_sequences (each chat's last seq), message_cursors and message_reactions.

#include "adapters/sqlite/database.hpp"
#include "ports/message_store.hpp"

namespace parley {

class SqliteMessageStore final : public MessageStore {
 public:
  explicit SqliteMessageStore(SqliteDatabase& db) : db_(db) {}

  // One IMMEDIATE transaction: the look-up of (chat_id, sender_id, client_id), the bump
  // of the chat's sequence and the insert, so seqs stay gapless across threads and
  // across connections to the file, and a failed append consumes no seq. The message is
  // stored live and unedited whatever its flags say; an empty attachments_json is
  // stored as "[]". Conflict "message_exists" when the id is taken by another message.
  Result<Appended> append(const Message& message) override;
  // One transaction for the whole batch (group commit).
  std::vector<Result<Appended>> append_all(const std::vector<Message>& messages) override;
  Result<std::optional<Message>> find(std::string_view chat_id, std::string_view message_id) override;
  Result<std::optional<Message>> find_sent(std::string_view chat_id, std::string_view sender_id,
                                           std::string_view client_id) override;
  Result<Message> edit(std::string_view chat_id, std::string_view message_id, std::string_view body,
                       std::int64_t edited_at_ms) override;
  // Empties body, attachments and mentions, drops the message's reactions and records
  // `at_ms` (not part of domain::Message). Removing a tombstone returns it unchanged;
  // not_found "message_not_found" for an unknown message.
  Result<Message> remove(std::string_view chat_id, std::string_view message_id, std::int64_t at_ms) override;
  // From message_attachments, written with the message and emptied by remove().
  Result<bool> attached(std::string_view chat_id, std::string_view media_key) override;
  // Tombstones included: they hold their seq.
  Result<std::vector<Message>> page(std::string_view chat_id, std::int64_t before, std::int64_t after,
                                    int limit) override;
  // 0 for a chat without messages.
  Result<std::int64_t> last_seq(std::string_view chat_id) override;

  // {0, 0} for a user who never advanced.
  Result<Cursor> cursor(std::string_view chat_id, std::string_view user_id) override;
  // Each seq only grows; reading implies delivery, so delivered_seq >= read_seq after.
  Result<Cursor> advance(std::string_view chat_id, std::string_view user_id, std::int64_t read_seq,
                         std::int64_t delivered_seq) override;
  // One transaction for all the moves.
  std::vector<Result<Cursor>> advance_all(const std::vector<CursorMove>& moves) override;
  Result<std::int64_t> count_unread(std::string_view chat_id, std::string_view user_id,
                                    std::int64_t after_seq) override;

  // not_found "message_not_found" for an unknown or deleted message.
  Result<void> set_reaction(const Reaction& reaction) override;
  Result<void> remove_reaction(std::string_view message_id, std::string_view user_id) override;
  // Ordered by message_id, then user_id; unknown ids contribute nothing.
  Result<std::vector<Reaction>> reactions(const std::vector<std::string>& message_ids) override;

 private:
  SqliteDatabase& db_;
};

} // namespace parley

#pragma once
// NotificationStore on MongoDB (database "parley_notification" by default): collections
// notifications, checks (delayed message checks), counted (which message seqs were
// counted per user and chat) and mailings (which notifications were handed to the e-mail
// digest). See docs/storage-mongodb.md.
//
// Every "once" of the port is an insert into a unique index: notifications.dedupe (the
// dedupe key, or the id when there is none), counted (user_id, chat_id, seq),
// checks (user_id, chat_id, seq), mailings (notification_id), and
// notifications.open_key, which holds "open:<user>:<chat>" for the one unread "message"
// notification of a chat and "id:<id>" otherwise (FerretDB has no partial indexes).

#include <string>

#include "adapters/mongo/mongo_client.hpp"
#include "ports/notification_store.hpp"

namespace parley {

class MongoNotificationStore final : public NotificationStore {
 public:
  explicit MongoNotificationStore(MongoPool& pool, std::string database = "parley_notification")
      : db_(pool, std::move(database)) {}

  // Creates the collections' indexes (idempotent). Call once at start.
  Result<void> create_indexes();

  Result<bool> add(const Notification& n, std::string_view dedupe_key) override;
  Result<void> schedule(const std::vector<MessageCheck>& checks) override;
  Result<std::vector<MessageCheck>> due(std::int64_t now_ms, int limit) override;
  // Messages count for whoever moves the user's cursor of the chat in counted_to past them
  // (a compare-and-set on last_seq): a check run twice counts them once.
  Result<std::optional<Notification>> count(const MessageCheck& check, const LatestMessage& latest,
                                            std::int64_t read_seq, std::string_view new_id,
                                            std::int64_t now_ms) override;
  Result<std::vector<Notification>> list(std::string_view user_id, const std::optional<NotificationCursor>& after,
                                         int limit) override;
  Result<std::int64_t> unread_count(std::string_view user_id) override;
  Result<bool> mark_read(std::string_view user_id, std::string_view id, std::int64_t now_ms) override;
  Result<std::int64_t> mark_all_read(std::string_view user_id, std::int64_t now_ms) override;
  Result<std::int64_t> mark_chats_read(const std::vector<ChatRead>& reads, std::int64_t now_ms) override;
  // A notification is handed out when its insert into mailings succeeds: once, also when
  // count() adds messages to it afterwards.
  Result<std::vector<Notification>> take_unmailed(std::int64_t before_ms, int limit) override;

 private:
  Result<std::int64_t> mark_each_read(const BsonDoc& filter, std::int64_t now_ms);

  MongoDatabase db_;
};

} // namespace parley

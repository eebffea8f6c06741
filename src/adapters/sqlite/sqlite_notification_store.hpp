#pragma once
// NotificationStore on SQLite: notification_notifications, notification_counted and
// notification_checks (see migrations.cpp, versions 3 and 5).

#include "adapters/sqlite/database.hpp"
#include "ports/notification_store.hpp"

namespace parley {

class SqliteNotificationStore final : public NotificationStore {
 public:
  explicit SqliteNotificationStore(SqliteDatabase& db) : db_(db) {}

  Result<bool> add(const Notification& n, std::string_view dedupe_key) override;
  Result<void> schedule(const std::vector<MessageCheck>& checks) override;
  Result<std::vector<MessageCheck>> due(std::int64_t now_ms, int limit) override;
  Result<std::optional<Notification>> count(const MessageCheck& check, const LatestMessage& latest,
                                            std::int64_t read_seq, std::string_view new_id,
                                            std::int64_t now_ms) override;
  Result<std::vector<Notification>> list(std::string_view user_id, const std::optional<NotificationCursor>& after,
                                         int limit) override;
  Result<std::int64_t> unread_count(std::string_view user_id) override;
  Result<bool> mark_read(std::string_view user_id, std::string_view id, std::int64_t now_ms) override;
  Result<std::int64_t> mark_all_read(std::string_view user_id, std::int64_t now_ms) override;
  Result<std::int64_t> mark_chats_read(const std::vector<ChatRead>& reads, std::int64_t now_ms) override;
  Result<std::vector<Notification>> take_unmailed(std::int64_t before_ms, int limit) override;

 private:
  SqliteDatabase& db_;
};

} // namespace parley

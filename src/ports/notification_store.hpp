#pragma once
// The notification service's notifications, and its checks of messages to notify about.
// Guarantees: a dedupe key is applied once; a message (user, chat, seq) is counted into a
// notification at most once, even when its check is scheduled or run twice.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace parley {

struct Notification {
  std::string id;
  std::string user_id;
  std::string kind; // message, mention, member_added, member_removed, owner_changed
  std::string chat_id;
  std::string actor_id;   // who caused it (the latest sender, for collapsed messages)
  std::string message_id; // the (latest) message it is about, or ""
  std::int64_t seq = 0;   // that message's seq
  std::int64_t count = 1; // messages collapsed into it
  std::string preview;    // the start of that message
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  std::int64_t read_at_ms = 0; // 0: unread
};

struct NotificationCursor {
  std::int64_t updated_at_ms = 0;
  std::string id;
};

// "At due_ms, tell user_id about the messages of chat_id they have not read." One per user and
// chat: a busy chat costs one check per member until it runs, not one per message.
struct MessageCheck {
  std::string user_id;
  std::string chat_id;
  std::int64_t due_ms = 0;
};

// "User user_id has read chat chat_id up to seq up_to_seq."
struct ChatRead {
  std::string user_id;
  std::string chat_id;
  std::int64_t up_to_seq = 0;
};

// The newest message of a chat, as a notification shows it.
struct LatestMessage {
  std::int64_t seq = 0;
  std::string message_id;
  std::string actor_id;
  std::string preview;
};

class NotificationStore {
 public:
  virtual ~NotificationStore() = default;

  // Stores `n` unless `dedupe_key` was used before: then false, nothing changes.
  virtual Result<bool> add(const Notification& n, std::string_view dedupe_key) = 0;

  // All at once. A check of the same user and chat that is pending stays one check, due at the
  // earlier of the two times.
  virtual Result<void> schedule(const std::vector<MessageCheck>& checks) = 0;
  // Checks due at `now_ms`, earliest first.
  virtual Result<std::vector<MessageCheck>> due(std::int64_t now_ms, int limit) = 0;
  // Removes the check, then counts the chat's messages after the later of the last seq counted
  // for the user and `read_seq`, up to `latest.seq`, into the user's unread "message"
  // notification of the chat (created with `new_id` when there is none), which then shows
  // `latest`. Nothing is counted when no such message is left; returns the notification when
  // it changed.
  virtual Result<std::optional<Notification>> count(const MessageCheck& check, const LatestMessage& latest,
                                                    std::int64_t read_seq, std::string_view new_id,
                                                    std::int64_t now_ms) = 0;

  // The user's notifications, most recently updated first, strictly after `after`.
  virtual Result<std::vector<Notification>> list(std::string_view user_id,
                                                 const std::optional<NotificationCursor>& after, int limit) = 0;
  virtual Result<std::int64_t> unread_count(std::string_view user_id) = 0;
  // False when the user has no such notification.
  virtual Result<bool> mark_read(std::string_view user_id, std::string_view id, std::int64_t now_ms) = 0;
  // Marks every unread notification of the user; returns how many.
  virtual Result<std::int64_t> mark_all_read(std::string_view user_id, std::int64_t now_ms) = 0;
  // For each read, marks the user's unread notifications of the chat about seq <= up_to_seq,
  // as one write where the adapter can; returns how many in all.
  virtual Result<std::int64_t> mark_chats_read(const std::vector<ChatRead>& reads, std::int64_t now_ms) = 0;
  // Unread notifications created before `before_ms` and not handed out by this call
  // before, oldest first; each is handed out once (for the e-mail digest).
  virtual Result<std::vector<Notification>> take_unmailed(std::int64_t before_ms, int limit) = 0;
};

} // namespace parley

#pragma once
// The notification service: turns domain events (from the event log, at least once)
// into notifications, idempotently, and serves them.
//
// - message.created: a member who is offline, or still has not read the message after
//   `read_delay`, gets the chat's unread messages counted into one unread "message"
//   notification per chat (one pending check per member and chat, however many messages);
//   mentioned members get a "mention" notification at once instead of a check (a check that
//   was pending anyway counts the mentioning message with the others).
// - chat.updated: added and removed members and a new owner are told.
// - message.read: the reader's notifications of that chat up to the read seq are read; so
//   are the sender's up to a message.created (sending reads the chat up to one's message).
// Online users receive each new or changed notification as a live `notification` event.
// Optionally, offline users are mailed a digest of what they have not read.

#include <chrono>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "ports/email_directory.hpp"
#include "ports/event_bus.hpp"
#include "ports/event_log.hpp"
#include "ports/mailer.hpp"
#include "ports/membership.hpp"
#include "ports/message_digest.hpp"
#include "ports/notification_store.hpp"
#include "ports/presence.hpp"

namespace parley {

struct NotificationConfig {
  std::chrono::milliseconds read_delay{15000}; // online members: notify when still unread after this
  bool email_digest = false;
  std::chrono::milliseconds digest_after{std::chrono::minutes(10)}; // mail what stayed unread this long
};

struct NotificationPage {
  std::vector<Notification> items;
  std::optional<NotificationCursor> next;
};

class NotificationService {
 public:
  static constexpr int kMaxPage = 100;
  static constexpr int kChecksPerRun = 500;
  static constexpr std::size_t kPreviewBytes = 140;

  struct Ports {
    NotificationStore& store;
    MessageDigest& digests;
    Membership& members; // a check of someone who left the chat counts nothing
    Presence& presence;
    EventBus& live;
    EmailDirectory& addresses; // for the digest
    Mailer& mailer;
    const Clock& clock;
    IdGen& ids;
  };
  NotificationService(NotificationConfig config, Ports ports);

  // The event log consumer (group "notifications"): a batch, in order. Safe to call twice for
  // one event. The checks of several messages to one chat are scheduled in one write per
  // member, however many messages (a batch grows when the consumer falls behind).
  Result<void> handle(std::span<const DomainEvent> events);
  // Runs at most `limit` of the message checks that are due; returns how many ran.
  Result<int> run_due_checks(int limit = kChecksPerRun);
  // Mails each offline user with unread notifications a digest; returns mails sent.
  Result<int> send_digests();
  const NotificationConfig& config() const { return config_; }

  Result<NotificationPage> list(std::string_view me, const std::optional<NotificationCursor>& after, int limit);
  Result<std::int64_t> unread_count(std::string_view me);
  Result<void> mark_read(std::string_view me, std::string_view id);
  Result<std::int64_t> mark_all_read(std::string_view me);

 private:
  // What the message.created events of a batch leave to do, merged until written.
  struct Pending {
    // chat -> user -> earliest due: each message of a chat looks its members up in its chat's
    // table (a group of 1,000 is 999 look-ups a message).
    std::map<std::string, std::unordered_map<std::string, std::int64_t>, std::less<>> due;
    std::map<std::pair<std::string, std::string>, std::int64_t> read; // (reader, chat) -> seq
  };
  Result<void> on_message(const DomainEvent& event, Pending& pending);
  Result<void> write(Pending& pending);
  Result<void> on_chat_change(const DomainEvent& event);
  Result<void> on_read(const DomainEvent& event, Pending& pending);
  // Stores a one-off notification (once per dedupe key) and tells the user.
  Result<void> notify_once(Notification n, const std::string& dedupe_key);
  void push(const Notification& n);

  NotificationConfig config_;
  Ports ports_;
};

} // namespace parley

#pragma once
// The message service: send (idempotent per client_id, per-chat seq), edit, delete,
// history, read/delivered cursors, reactions. Members only: anyone else gets
// "chat_not_found".
//
// Sends are checked on the caller's thread, then stored by one writer thread in batches
// (group commit: MessageStore::append_all), which also publishes them, in seq order per chat.
// send() waits for its batch; submit() does not: the sender's connections learn the outcome
// from the live events (message.new, kSendStored, kSendRejected). Receipts of concurrent
// callers are stored together too (GroupCommit, on the callers' threads).

#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/json/object.hpp>

#include "core/clock.hpp"
#include "core/group_commit.hpp"
#include "core/ids.hpp"
#include "ports/attachments.hpp"
#include "ports/event_bus.hpp"
#include "ports/event_log.hpp"
#include "ports/membership.hpp"
#include "ports/message_digest.hpp"
#include "ports/message_store.hpp"
#include "ports/messaging.hpp"

namespace parley {

// What a send must satisfy whatever the chat: client_id, body, attachments and mentions
// well-formed and within limits.
Result<void> check_send_input(const SendInput& input);

// The kSendStored live event telling the sender of `m`, a send stored before, that it is.
LiveEvent send_stored(const Message& m);
// The kSendRejected live event telling a sender why their send was not stored.
LiveEvent send_rejected(std::string_view sender, std::string_view chat_id, std::string_view client_id,
                        const Error& why);

class MessageService final : public MessageDigest, public Messaging {
 public:
  static constexpr std::size_t kMaxEmojiBytes = 32;

  struct Ports {
    MessageStore& messages;
    Membership& membership;
    EventBus& live;   // every change, to the chat's members' connections
    EventLog& events; // message.created and message.read, for other services
    AttachmentCheck& attachments;
    const Clock& clock;
    IdGen& ids;
  };
  // Sends waiting for the writer at most; beyond, unavailable "send_queue_full".
  static constexpr std::size_t kMaxQueuedSends = 100'000;
  // Sends stored in one write at most.
  static constexpr std::size_t kMaxBatch = 512;
  // Under load (a batch of at least kBusyBatch sends), the writer lets the next batch gather
  // for kGather: fewer, larger batches, so each connection gets a busy chat's new messages in
  // fewer frames and the notification consumer more messages a call. A lone send never waits.
  static constexpr std::size_t kBusyBatch = 8;
  static constexpr std::chrono::microseconds kGather{2000};
  // At shutdown, how long the writer goes on storing what is queued; the rest is refused.
  static constexpr std::chrono::seconds kShutdownDrain{3};

  explicit MessageService(Ports ports);
  // Stores what is queued (for at most kShutdownDrain), then stops the writer.
  ~MessageService() override;
  MessageService(const MessageService&) = delete;
  MessageService& operator=(const MessageService&) = delete;

  Result<Appended> send(std::string_view me, const SendInput& input);
  // As send(), without waiting: checks now, queues, and the future answers once stored or
  // refused. Sends queued together before any is waited for are stored in one write.
  std::future<Result<Appended>> send_later(std::string_view me, const SendInput& input);
  // Whether send() would take it now (everything but storing it).
  Result<void> check_send(std::string_view me, const SendInput& input);
  // message.created again for a message stored before (its first one may have been lost with
  // a process that died right after storing it); consumers are idempotent.
  Result<void> record_created_again(const Message& message);
  // What `me` stored under `client_id` in the chat, if anything.
  Result<std::optional<Message>> sent(std::string_view me, std::string_view chat_id, std::string_view client_id);
  // Checks now and queues for the writer: nullopt once queued.
  Result<std::optional<Appended>> submit(std::string_view me, const SendInput& input) override;
  // Author only.
  Result<Message> edit(std::string_view me, std::string_view chat_id, std::string_view message_id,
                       std::string_view body) override;
  // The author, or an admin/owner of a group.
  Result<Message> remove(std::string_view me, std::string_view chat_id, std::string_view message_id) override;
  Result<std::vector<Message>> history(std::string_view me, std::string_view chat_id,
                                       const HistoryQuery& query) override;
  // Moves my read (and with it delivered) cursor forward, up to the chat's last seq.
  Result<Cursor> mark_read(std::string_view me, std::string_view chat_id, std::int64_t seq) override;
  Result<Cursor> mark_delivered(std::string_view me, std::string_view chat_id, std::int64_t seq) override;
  Result<void> react(std::string_view me, std::string_view chat_id, std::string_view message_id,
                     std::string_view emoji) override;
  Result<void> unreact(std::string_view me, std::string_view chat_id, std::string_view message_id) override;
  Result<std::vector<Reaction>> reactions(const std::vector<Message>& messages);

  Result<ChatDigest> digest(std::string_view chat_id, std::string_view user_id) override;

 private:
  struct QueuedSend {
    Message message;
    std::optional<std::promise<Result<Appended>>> reply; // send()'s; none for submit()
  };
  Result<Message> prepare(std::string_view me, const SendInput& input);
  Result<void> enqueue(QueuedSend send);
  void write_loop();
  void write(std::vector<QueuedSend>& batch);
  // Answers a send that will not be stored: its caller, or its sender's connections.
  void refuse(QueuedSend& send, const Error& why);
  void record_created(boost::json::object message, const std::vector<std::string>& members);
  Result<domain::Role> require_member(std::string_view me, std::string_view chat_id);
  Result<Message> live_message(std::string_view chat_id, std::string_view message_id);
  Result<Cursor> advance(std::string_view me, std::string_view chat_id, std::int64_t read, std::int64_t delivered);
  // The chat's members; none (logged) when they cannot be read.
  std::vector<std::string> member_ids(std::string_view chat_id);
  // To the chat's members.
  void publish(std::string type, std::string_view chat_id, std::string payload, std::string_view exclude = {});

  MessageStore& messages_;
  Membership& membership_;
  EventBus& live_;
  EventLog& events_;
  AttachmentCheck& attachments_;
  const Clock& clock_;
  IdGen& ids_;
  // Receipts of concurrent callers, stored together (MessageStore::advance_all).
  GroupCommit<CursorMove, Result<Cursor>> cursor_moves_{
      [this](const std::vector<CursorMove>& moves) { return messages_.advance_all(moves); }};
  std::mutex queue_mutex_;
  std::condition_variable queue_changed_;
  std::deque<QueuedSend> queue_;
  bool stopping_ = false;
  std::thread writer_; // last: started once everything above exists
};

} // namespace parley

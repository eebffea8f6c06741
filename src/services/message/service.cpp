#include "services/message/service.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <thread>

#include <boost/json/serialize.hpp>

#include "core/log.hpp"
#include "domain/validation.hpp"
#include "services/message/message_json.hpp"

namespace parley {
namespace {

const Logger kLog{"message"};

std::string json(const boost::json::object& obj) { return boost::json::serialize(obj); }

Error chat_not_found() { return Error::not_found("chat_not_found", "no such chat"); }
Error message_not_found() { return Error::not_found("message_not_found", "no such message"); }

} // namespace

MessageService::MessageService(Ports ports)
    : messages_(ports.messages),
      membership_(ports.membership),
      live_(ports.live),
      events_(ports.events),
      attachments_(ports.attachments),
      clock_(ports.clock),
      ids_(ports.ids),
      writer_([this] { write_loop(); }) {}

MessageService::~MessageService() {
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  queue_changed_.notify_all();
  writer_.join();
}

std::vector<std::string> MessageService::member_ids(std::string_view chat_id) {
  auto members = membership_.member_ids(chat_id);
  if (members) return std::move(*members);
  // Live delivery is best effort: clients catch up from the store.
  kLog.warn("no live event: members unknown", {{"chat", chat_id}, {"error", members.error().message}});
  return {};
}

void MessageService::publish(std::string type, std::string_view chat_id, std::string payload,
                             std::string_view exclude) {
  live_.publish({std::move(type), std::string(chat_id), std::move(payload), member_ids(chat_id), std::string(exclude)});
}

Result<domain::Role> MessageService::require_member(std::string_view me, std::string_view chat_id) {
  auto role = membership_.role_of(chat_id, me);
  if (!role) return fail(role.error());
  if (!*role) return fail(chat_not_found());
  return **role;
}

Result<Message> MessageService::live_message(std::string_view chat_id, std::string_view message_id) {
  auto found = messages_.find(chat_id, message_id);
  if (!found) return fail(found.error());
  if (!*found || (*found)->deleted) return fail(message_not_found());
  return std::move(**found);
}

LiveEvent send_rejected(std::string_view sender, std::string_view chat_id, std::string_view client_id,
                        const Error& why) {
  const bool internal = why.kind == ErrorKind::internal;
  if (internal) kLog.error("send failed", {{"chat", chat_id}, {"error", why.message}});
  boost::json::object data{{"user_id", sender},
                           {"chat_id", chat_id},
                           {"client_id", client_id},
                           {"code", why.code},
                           {"message", internal ? "internal error" : why.message}};
  return {std::string(kSendRejected), std::string(chat_id),  json(data), {std::string(sender)}, "",
          std::string(sender),        std::string(client_id)};
}

LiveEvent send_stored(const Message& m) {
  return {std::string(kSendStored), m.chat_id, json(message_json(m)), {m.sender_id}, "", m.sender_id, m.client_id};
}

Result<void> check_send_input(const SendInput& in) {
  if (auto ok = domain::check_client_id(in.client_id); !ok) return fail(ok.error());
  if (auto ok = domain::check_body(in.body, !in.attachments.empty()); !ok) return fail(ok.error());
  if (in.attachments.size() > domain::kMaxAttachments)
    return fail(Error::unprocessable("invalid_attachment", "at most 10 attachments"));
  for (const auto& a : in.attachments)
    if (auto ok = domain::check_attachment(a); !ok) return fail(ok.error());
  if (in.mentions.size() > domain::kMaxMentions)
    return fail(Error::unprocessable("invalid_mentions", "too many mentions"));
  return {};
}

Result<std::optional<Appended>> MessageService::submit(std::string_view me, const SendInput& input) {
  auto message = prepare(me, input);
  if (!message) return fail(std::move(message.error()));
  if (auto queued = enqueue({std::move(*message), std::nullopt}); !queued) return fail(queued.error());
  return std::optional<Appended>();
}

namespace {
std::vector<std::string> sorted_unique(std::vector<std::string> ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}
} // namespace

Result<void> MessageService::check_send(std::string_view me, const SendInput& in) {
  if (auto ok = check_send_input(in); !ok) return fail(ok.error());
  if (auto ok = require_member(me, in.chat_id); !ok) return fail(ok.error());
  if (!in.reply_to.empty()) {
    if (auto ok = live_message(in.chat_id, in.reply_to); !ok)
      return fail(Error::unprocessable("invalid_reply_to", "reply_to must be a message of this chat"));
  }
  for (const auto& user : sorted_unique(in.mentions)) {
    auto role = membership_.role_of(in.chat_id, user);
    if (!role) return fail(role.error());
    if (!*role) return fail(Error::unprocessable("invalid_mentions", "mentions must be members of the chat"));
  }
  if (!in.attachments.empty())
    if (auto ok = attachments_.check(me, in.attachments); !ok) return fail(ok.error());
  return {};
}

Result<std::optional<Message>> MessageService::sent(std::string_view me, std::string_view chat_id,
                                                    std::string_view client_id) {
  return messages_.find_sent(chat_id, me, client_id);
}

Result<Message> MessageService::prepare(std::string_view me, const SendInput& in) {
  if (auto ok = check_send(me, in); !ok) return fail(ok.error());
  auto mentions = sorted_unique(in.mentions);
  Message m;
  m.id = ids_.next();
  m.chat_id = in.chat_id;
  m.sender_id = std::string(me);
  m.client_id = in.client_id;
  m.body = in.body;
  m.attachments_json = boost::json::serialize(attachments_json(in.attachments));
  m.reply_to = in.reply_to;
  m.mentions = std::move(mentions);
  m.created_at_ms = clock_.now_ms();
  return m;
}

Result<Appended> MessageService::send(std::string_view me, const SendInput& in) { return send_later(me, in).get(); }

std::future<Result<Appended>> MessageService::send_later(std::string_view me, const SendInput& in) {
  const auto answered = [](Result<Appended> outcome) {
    std::promise<Result<Appended>> now;
    now.set_value(std::move(outcome));
    return now.get_future();
  };
  auto message = prepare(me, in);
  if (!message) return answered(fail(std::move(message.error())));
  std::promise<Result<Appended>> reply;
  auto answer = reply.get_future();
  if (auto queued = enqueue({std::move(*message), std::move(reply)}); !queued) return answered(fail(queued.error()));
  return answer;
}

Result<void> MessageService::enqueue(QueuedSend send) {
  {
    std::lock_guard lock(queue_mutex_);
    if (stopping_) return fail(Error::unavailable("shutting_down", "the server is stopping"));
    if (queue_.size() >= kMaxQueuedSends)
      return fail(Error::unavailable("send_queue_full", "too many sends waiting to be stored; retry"));
    queue_.push_back(std::move(send));
  }
  queue_changed_.notify_one();
  return {};
}

void MessageService::write_loop() {
  std::vector<QueuedSend> batch;
  std::optional<std::chrono::steady_clock::time_point> give_up; // set once stopping
  for (;;) {
    {
      std::unique_lock lock(queue_mutex_);
      queue_changed_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return; // stopping, and everything queued is stored
      if (stopping_ && !give_up) give_up = std::chrono::steady_clock::now() + kShutdownDrain;
      if (give_up && std::chrono::steady_clock::now() >= give_up) {
        // Stopping with more queued than can be stored in time: refuse the rest (clients
        // retry with the same client_id) rather than hold the shutdown.
        kLog.warn("sends not stored at shutdown", {{"count", static_cast<std::int64_t>(queue_.size())}});
        for (auto& q : queue_) refuse(q, Error::unavailable("shutting_down", "the server is stopping"));
        queue_.clear();
        return;
      }
      while (!queue_.empty() && batch.size() < kMaxBatch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    write(batch);
    const bool busy = batch.size() >= kBusyBatch;
    batch.clear();
    if (busy) std::this_thread::sleep_for(kGather);
  }
}

void MessageService::refuse(QueuedSend& send, const Error& why) {
  const auto& m = send.message;
  if (send.reply)
    send.reply->set_value(fail(why));
  else
    live_.publish(send_rejected(m.sender_id, m.chat_id, m.client_id, why));
}

// Stores a batch, publishes its new messages together (in order: a chat's live events leave in
// seq order), moves each chat's activity time and each sender's read cursor once, then answers.
void MessageService::write(std::vector<QueuedSend>& batch) {
  std::vector<Message> messages;
  messages.reserve(batch.size());
  for (const auto& q : batch) messages.push_back(q.message);
  auto results = messages_.append_all(messages);
  std::map<std::string, std::vector<std::string>, std::less<>> members; // chat -> ids, read once a batch
  std::map<std::string, std::int64_t, std::less<>> active;              // chat -> newest
  std::map<std::pair<std::string, std::string>, std::int64_t> read;     // (chat, sender) -> seq
  std::vector<LiveEvent> live;
  live.reserve(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const auto& sent = results[i];
    const auto& m = batch[i].message;
    if (sent && sent->created) {
      auto body = message_json(sent->message);
      auto known = members.find(m.chat_id);
      if (known == members.end()) known = members.emplace(m.chat_id, member_ids(m.chat_id)).first;
      live.push_back({"message.new", m.chat_id, json(body), known->second, "", m.sender_id, m.client_id});
      record_created(std::move(body), known->second);
      auto& last = active[m.chat_id];
      last = std::max(last, sent->message.created_at_ms);
      auto& seq = read[{m.chat_id, m.sender_id}];
      seq = std::max(seq, sent->message.seq);
    } else if (!batch[i].reply) {
      live.push_back(sent ? send_stored(sent->message)
                          : send_rejected(m.sender_id, m.chat_id, m.client_id, sent.error()));
    }
  }
  live_.publish(live);
  std::vector<domain::ChatActivity> touched;
  touched.reserve(active.size());
  for (const auto& [chat, at] : active) touched.push_back({chat, at});
  (void)membership_.touch_all(touched);
  // The sender has read what they sent.
  std::vector<CursorMove> moves;
  moves.reserve(read.size());
  for (const auto& [key, seq] : read) moves.push_back({key.first, key.second, seq, seq});
  (void)messages_.advance_all(moves);
  for (std::size_t i = 0; i < batch.size(); ++i)
    if (batch[i].reply) batch[i].reply->set_value(std::move(results[i]));
}

void MessageService::record_created(boost::json::object message, const std::vector<std::string>& members) {
  std::string chat_id(message.at("chat_id").as_string());
  boost::json::array member_ids(members.begin(), members.end());
  events_.append({ids_.next(), "message.created", std::move(chat_id),
                  json({{"message", std::move(message)}, {"member_ids", std::move(member_ids)}})});
}

Result<void> MessageService::record_created_again(const Message& m) {
  auto members = membership_.member_ids(m.chat_id);
  if (!members) return fail(members.error());
  record_created(message_json(m), *members);
  return {};
}

Result<Message> MessageService::edit(std::string_view me, std::string_view chat_id, std::string_view message_id,
                                     std::string_view body) {
  if (auto ok = domain::check_body(body); !ok) return fail(ok.error());
  if (auto ok = require_member(me, chat_id); !ok) return fail(ok.error());
  auto message = live_message(chat_id, message_id);
  if (!message) return message;
  if (message->sender_id != me) return fail(Error::forbidden("not_author", "only the author edits a message"));
  auto edited = messages_.edit(chat_id, message_id, body, clock_.now_ms());
  if (edited) publish("message.edited", chat_id, json(message_json(*edited)));
  return edited;
}

Result<Message> MessageService::remove(std::string_view me, std::string_view chat_id, std::string_view message_id) {
  auto role = require_member(me, chat_id);
  if (!role) return fail(role.error());
  auto message = messages_.find(chat_id, message_id);
  if (!message) return fail(message.error());
  if (!*message) return fail(message_not_found());
  const bool author = (*message)->sender_id == me;
  // In a 1:1 chat both are plain members, so only the author deletes.
  if (!author && *role < domain::Role::admin)
    return fail(Error::forbidden("not_author", "only the author or a group admin deletes a message"));
  const bool was_live = !(*message)->deleted;
  auto removed = messages_.remove(chat_id, message_id, clock_.now_ms());
  if (removed && was_live) publish("message.deleted", chat_id, json(message_json(*removed)));
  return removed;
}

Result<std::vector<Message>> MessageService::history(std::string_view me, std::string_view chat_id,
                                                     const HistoryQuery& q) {
  if (q.limit < 1 || q.limit > kMaxPage || q.before < 0 || q.after < 0)
    return fail(Error::invalid("invalid_query", "limit is 1-100; before and after are sequence numbers"));
  if (auto ok = require_member(me, chat_id); !ok) return fail(ok.error());
  return messages_.page(chat_id, q.before, q.after, q.limit);
}

Result<Cursor> MessageService::advance(std::string_view me, std::string_view chat_id, std::int64_t read,
                                       std::int64_t delivered) {
  if (read < 0 || delivered < 0) return fail(Error::invalid("invalid_seq", "seq must not be negative"));
  if (auto ok = require_member(me, chat_id); !ok) return fail(ok.error());
  auto last = messages_.last_seq(chat_id);
  if (!last) return fail(last.error());
  if (read > *last || delivered > *last)
    return fail(Error::unprocessable("invalid_seq", "seq is beyond the chat's last message"));
  auto cursor = cursor_moves_.run({std::string(chat_id), std::string(me), read, delivered});
  if (cursor && read > 0)
    events_.append({ids_.next(), "message.read", std::string(chat_id),
                    json({{"chat_id", chat_id}, {"user_id", me}, {"read_seq", cursor->read_seq}})});
  if (cursor)
    publish("receipt", chat_id,
            json({{"chat_id", chat_id},
                  {"user_id", me},
                  {"read_seq", cursor->read_seq},
                  {"delivered_seq", cursor->delivered_seq}}),
            me);
  return cursor;
}

Result<Cursor> MessageService::mark_read(std::string_view me, std::string_view chat_id, std::int64_t seq) {
  return advance(me, chat_id, seq, seq); // what was read was delivered
}

Result<Cursor> MessageService::mark_delivered(std::string_view me, std::string_view chat_id, std::int64_t seq) {
  return advance(me, chat_id, 0, seq);
}

Result<void> MessageService::react(std::string_view me, std::string_view chat_id, std::string_view message_id,
                                   std::string_view emoji) {
  if (emoji.empty() || emoji.size() > kMaxEmojiBytes || !domain::is_valid_utf8(emoji) ||
      std::any_of(emoji.begin(), emoji.end(), [](char c) { return c == ' ' || (c >= 0 && c < 0x20) || c == 0x7f; }))
    return fail(Error::unprocessable("invalid_emoji", "a reaction is one emoji"));
  if (auto ok = require_member(me, chat_id); !ok) return fail(ok.error());
  if (auto ok = live_message(chat_id, message_id); !ok) return fail(ok.error());
  auto ok = messages_.set_reaction({std::string(message_id), std::string(me), std::string(emoji)});
  if (ok)
    publish("reaction", chat_id,
            json({{"chat_id", chat_id}, {"message_id", message_id}, {"user_id", me}, {"emoji", emoji}}));
  return ok;
}

Result<void> MessageService::unreact(std::string_view me, std::string_view chat_id, std::string_view message_id) {
  if (auto ok = require_member(me, chat_id); !ok) return fail(ok.error());
  if (auto ok = live_message(chat_id, message_id); !ok) return fail(ok.error());
  auto ok = messages_.remove_reaction(message_id, me);
  if (ok)
    publish("reaction", chat_id,
            json({{"chat_id", chat_id}, {"message_id", message_id}, {"user_id", me}, {"emoji", nullptr}}));
  return ok;
}

Result<std::vector<Reaction>> MessageService::reactions(const std::vector<Message>& messages) {
  std::vector<std::string> ids;
  ids.reserve(messages.size());
  for (const auto& m : messages) ids.push_back(m.id);
  return messages_.reactions(ids);
}

Result<ChatDigest> MessageService::digest(std::string_view chat_id, std::string_view user_id) {
  ChatDigest d;
  auto last = messages_.page(chat_id, std::numeric_limits<std::int64_t>::max(), 0, 1);
  if (!last) return fail(last.error());
  if (!last->empty()) {
    d.last_message = std::move(last->back());
    d.last_seq = d.last_message->seq;
  }
  auto cursor = messages_.cursor(chat_id, user_id);
  if (!cursor) return fail(cursor.error());
  d.read_seq = cursor->read_seq;
  auto unread = messages_.count_unread(chat_id, user_id, cursor->read_seq);
  if (!unread) return fail(unread.error());
  d.unread_count = *unread;
  return d;
}

} // namespace parley

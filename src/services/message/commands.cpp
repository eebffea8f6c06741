#include "services/message/commands.hpp"

#include <algorithm>
#include <future>
#include <thread>
#include <vector>

#include <boost/json.hpp>

#include "core/log.hpp"
#include "services/message/message_json.hpp"
#include "services/message/service.hpp"

namespace parley {
namespace json = boost::json;
namespace {

const Logger kLog{"message-commands"};

const json::string* string_at(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? &v->as_string() : nullptr;
}

bool retry_may_pass(const Error& e) { return e.kind == ErrorKind::unavailable || e.kind == ErrorKind::internal; }

} // namespace

DomainEvent send_command(std::string id, std::string_view sender, const SendInput& in) {
  json::array mentions;
  for (const auto& m : in.mentions) mentions.emplace_back(m);
  json::object payload{{"sender_id", sender},
                       {"chat_id", in.chat_id},
                       {"client_id", in.client_id},
                       {"body", in.body},
                       {"reply_to", in.reply_to},
                       {"mentions", std::move(mentions)},
                       {"attachments", attachments_json(in.attachments)}};
  return {std::move(id), std::string(kSendCommand), in.chat_id, json::serialize(payload)};
}

Result<std::pair<std::string, SendInput>> parse_send_command(const DomainEvent& event) {
  const auto bad = [] { return fail(Error::invalid("invalid_command", "not a well-formed send command")); };
  if (event.type != kSendCommand) return bad();
  boost::system::error_code ec;
  const auto value = json::parse(event.payload, ec);
  if (ec || !value.is_object()) return bad();
  const auto& o = value.as_object();
  const auto* sender = string_at(o, "sender_id");
  const auto* chat = string_at(o, "chat_id");
  const auto* client_id = string_at(o, "client_id");
  const auto* body = string_at(o, "body");
  const auto* reply_to = string_at(o, "reply_to");
  const auto* mentions = o.if_contains("mentions");
  if (!sender || !chat || !client_id || !body || !reply_to || !mentions || !mentions->is_array()) return bad();
  auto attachments = attachments_from_json(o.if_contains("attachments"));
  if (!attachments) return bad();
  SendInput in{std::string(*chat),     std::string(*client_id), std::string(*body), std::string(*reply_to), {},
               std::move(*attachments)};
  for (const auto& m : mentions->as_array()) {
    if (!m.is_string()) return bad();
    in.mentions.emplace_back(m.as_string());
  }
  return std::pair{std::string(*sender), std::move(in)};
}

SendCommandHandler::SendCommandHandler(MessageService& messages, EventBus& live) : messages_(messages), live_(live) {}

Result<void> SendCommandHandler::operator()(std::span<const DomainEvent> batch) const {
  struct Queued {
    std::string sender;
    SendInput in;
    std::future<Result<Appended>> sent;
  };
  std::vector<Queued> queued;
  queued.reserve(batch.size());
  for (const auto& event : batch) {
    auto command = parse_send_command(event);
    if (!command) {
      kLog.error("dropped a malformed command", {{"event", event.id}, {"type", event.type}});
      continue;
    }
    auto& [sender, in] = *command;
    auto sent = messages_.send_later(sender, in);
    queued.push_back({std::move(sender), std::move(in), std::move(sent)});
  }
  // Every answer is waited for; the first that asks for a retry fails the batch (the ones
  // stored are found again by client_id when it comes back).
  Result<void> outcome;
  for (auto& q : queued)
    if (auto r = answer(q.sender, q.in, q.sent.get()); !r && outcome) outcome = std::move(r);
  return outcome;
}

Result<void> SendCommandHandler::answer(const std::string& sender, const SendInput& in, Result<Appended> sent) const {
  if (sent && !sent->created) {
    // A retried or redelivered command: the first one's message.created may have been lost
    // with its process, and its sender may be waiting for the stored ack that its
    // message.new brought (and a lost connection missed).
    if (auto recorded = messages_.record_created_again(sent->message); !recorded) return recorded;
    live_.publish(send_stored(sent->message));
    return {};
  }
  if (sent) return {};
  if (retry_may_pass(sent.error())) return fail(std::move(sent.error()));
  live_.publish(send_rejected(sender, in.chat_id, in.client_id, sent.error()));
  return {};
}

QueuedSends::QueuedSends(MessageService& messages, EventLog& commands, IdGen& ids, std::chrono::milliseconds wait)
    : messages_(messages), commands_(commands), ids_(ids), wait_(wait) {}

Result<Appended> QueuedSends::send(std::string_view me, const SendInput& in) const {
  if (auto ok = messages_.check_send(me, in); !ok) return fail(ok.error());
  auto before = messages_.sent(me, in.chat_id, in.client_id);
  if (!before) return fail(before.error());
  if (*before) return Appended{std::move(**before), false};
  if (auto queued = commands_.append_durably(send_command(ids_.next(), me, in)); !queued) return fail(queued.error());
  const auto deadline = std::chrono::steady_clock::now() + wait_;
  for (auto pause = std::chrono::milliseconds(2);; pause = std::min(pause * 2, std::chrono::milliseconds(50))) {
    std::this_thread::sleep_for(pause);
    auto stored = messages_.sent(me, in.chat_id, in.client_id);
    if (stored && *stored) return Appended{std::move(**stored), true};
    if (std::chrono::steady_clock::now() >= deadline)
      return fail(Error::unavailable("send_pending",
                                     "the message is queued but not stored yet; retry with the same "
                                     "client_id"));
  }
}

} // namespace parley

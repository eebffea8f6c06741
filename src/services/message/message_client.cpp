#include "services/message/message_client.hpp"

#include <boost/json.hpp>

#include "services/message/commands.hpp"
#include "services/message/message_wire.hpp"
#include "services/message/service.hpp"

namespace parley {
namespace json = boost::json;
namespace {

Error malformed() { return {ErrorKind::internal, "malformed_reply", "the message service sent a malformed reply"}; }

} // namespace

MessageClient::MessageClient(Ports ports) : ports_(ports) {}

Result<std::optional<Appended>> MessageClient::submit(std::string_view me, const SendInput& input) {
  if (auto ok = check_send_input(input); !ok) return fail(ok.error());
  auto role = ports_.membership.role_of(input.chat_id, me);
  if (!role) return fail(role.error());
  if (!*role) return fail(Error::not_found("chat_not_found", "no such chat"));
  if (auto appended = ports_.commands.append_durably(send_command(ports_.ids.next(), me, input)); !appended)
    return fail(std::move(appended.error()));
  return std::optional<Appended>();
}

Result<json::value> MessageClient::call(std::string_view op, std::string_view me, std::string_view chat_id,
                                        json::object args) const {
  args["user_id"] = me;
  args["chat_id"] = chat_id;
  return ports_.service.call("POST", "/internal/v1/messaging/" + std::string(op), args);
}

Result<domain::Message> MessageClient::edit(std::string_view me, std::string_view chat_id, std::string_view message_id,
                                            std::string_view body) {
  auto reply = call("edit", me, chat_id, {{"message_id", message_id}, {"body", body}});
  if (!reply) return fail(reply.error());
  return message_from_wire(*reply);
}

Result<domain::Message> MessageClient::remove(std::string_view me, std::string_view chat_id,
                                              std::string_view message_id) {
  auto reply = call("remove", me, chat_id, {{"message_id", message_id}});
  if (!reply) return fail(reply.error());
  return message_from_wire(*reply);
}

Result<std::vector<domain::Message>> MessageClient::history(std::string_view me, std::string_view chat_id,
                                                            const HistoryQuery& q) {
  json::object args{{"limit", q.limit}};
  if (q.before > 0) args["before"] = q.before;
  if (q.after > 0) args["after"] = q.after;
  auto reply = call("history", me, chat_id, std::move(args));
  if (!reply) return fail(reply.error());
  const auto* messages = reply->is_object() ? reply->as_object().if_contains("messages") : nullptr;
  if (!messages || !messages->is_array()) return fail(malformed());
  std::vector<domain::Message> out;
  for (const auto& m : messages->as_array()) {
    auto message = message_from_wire(m);
    if (!message) return fail(message.error());
    out.push_back(std::move(*message));
  }
  return out;
}

Result<Cursor> MessageClient::cursor(std::string_view op, std::string_view me, std::string_view chat_id,
                                     std::int64_t seq) const {
  auto reply = call(op, me, chat_id, {{"seq", seq}});
  if (!reply) return fail(reply.error());
  const auto* o = reply->if_object();
  const auto* read = o ? o->if_contains("read_seq") : nullptr;
  const auto* delivered = o ? o->if_contains("delivered_seq") : nullptr;
  if (!read || !read->is_int64() || !delivered || !delivered->is_int64()) return fail(malformed());
  return Cursor{read->as_int64(), delivered->as_int64()};
}

Result<Cursor> MessageClient::mark_read(std::string_view me, std::string_view chat_id, std::int64_t seq) {
  return cursor("read", me, chat_id, seq);
}

Result<Cursor> MessageClient::mark_delivered(std::string_view me, std::string_view chat_id, std::int64_t seq) {
  return cursor("delivered", me, chat_id, seq);
}

Result<void> MessageClient::react(std::string_view me, std::string_view chat_id, std::string_view message_id,
                                  std::string_view emoji) {
  auto reply = call("react", me, chat_id, {{"message_id", message_id}, {"emoji", emoji}});
  if (!reply) return fail(reply.error());
  return {};
}

Result<void> MessageClient::unreact(std::string_view me, std::string_view chat_id, std::string_view message_id) {
  auto reply = call("unreact", me, chat_id, {{"message_id", message_id}});
  if (!reply) return fail(reply.error());
  return {};
}

} // namespace parley

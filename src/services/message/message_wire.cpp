#include "services/message/message_wire.hpp"

namespace parley {
namespace json = boost::json;

json::object message_wire(const domain::Message& m) {
  json::array mentions;
  for (const auto& id : m.mentions) mentions.emplace_back(id);
  return {{"id", m.id},
          {"chat_id", m.chat_id},
          {"seq", m.seq},
          {"sender_id", m.sender_id},
          {"client_id", m.client_id},
          {"body", m.body},
          {"attachments_json", m.attachments_json},
          {"reply_to", m.reply_to},
          {"mentions", std::move(mentions)},
          {"created_at_ms", m.created_at_ms},
          {"edited_at_ms", m.edited_at_ms},
          {"deleted", m.deleted}};
}

Result<domain::Message> message_from_wire(const json::value& value) {
  const auto bad = [] { return fail(Error{ErrorKind::internal, "malformed_message", "malformed message"}); };
  if (!value.is_object()) return bad();
  const auto& o = value.as_object();
  domain::Message m;
  bool ok = true;
  const auto text = [&](std::string_view key, std::string& out) {
    const auto* v = o.if_contains(key);
    if (v && v->is_string())
      out = v->as_string();
    else
      ok = false;
  };
  const auto integer = [&](std::string_view key, std::int64_t& out) {
    const auto* v = o.if_contains(key);
    if (v && v->is_int64())
      out = v->as_int64();
    else
      ok = false;
  };
  text("id", m.id);
  text("chat_id", m.chat_id);
  integer("seq", m.seq);
  text("sender_id", m.sender_id);
  text("client_id", m.client_id);
  text("body", m.body);
  text("attachments_json", m.attachments_json);
  text("reply_to", m.reply_to);
  integer("created_at_ms", m.created_at_ms);
  integer("edited_at_ms", m.edited_at_ms);
  const auto* deleted = o.if_contains("deleted");
  const auto* mentions = o.if_contains("mentions");
  if (!ok || !deleted || !deleted->is_bool() || !mentions || !mentions->is_array()) return bad();
  m.deleted = deleted->as_bool();
  for (const auto& id : mentions->as_array()) {
    if (!id.is_string()) return bad();
    m.mentions.emplace_back(id.as_string());
  }
  return m;
}

} // namespace parley

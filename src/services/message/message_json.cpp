#include "services/message/message_json.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>

#include "core/time_format.hpp"

namespace parley {

boost::json::object message_json(const Message& m) {
  boost::json::array mentions;
  for (const auto& id : m.mentions) mentions.emplace_back(id);
  boost::system::error_code ec;
  auto attachments = boost::json::parse(m.attachments_json.empty() ? "[]" : m.attachments_json, ec);
  if (ec || !attachments.is_array()) attachments = boost::json::array{};
  return {
      {"id", m.id},
      {"chat_id", m.chat_id},
      {"seq", m.seq},
      {"sender_id", m.sender_id},
      {"client_id", m.client_id},
      {"body", m.body},
      {"attachments", attachments},
      {"reply_to", m.reply_to.empty() ? boost::json::value(nullptr) : boost::json::value(m.reply_to)},
      {"mentions", mentions},
      {"created_at", format_rfc3339(m.created_at_ms)},
      {"edited_at", m.edited_at_ms ? boost::json::value(format_rfc3339(m.edited_at_ms)) : boost::json::value(nullptr)},
      {"deleted", m.deleted}};
}

boost::json::object message_json(const Message& m, const std::vector<Reaction>& reactions) {
  auto obj = message_json(m);
  boost::json::array mine;
  for (const auto& r : reactions)
    if (r.message_id == m.id) mine.push_back({{"user_id", r.user_id}, {"emoji", r.emoji}});
  obj["reactions"] = std::move(mine);
  return obj;
}

boost::json::array attachments_json(const std::vector<domain::Attachment>& attachments) {
  boost::json::array out;
  for (const auto& a : attachments) {
    boost::json::object obj{{"key", a.key}, {"name", a.name}, {"content_type", a.content_type}, {"size", a.size}};
    if (a.width > 0) obj["width"] = a.width;
    if (a.height > 0) obj["height"] = a.height;
    out.push_back(std::move(obj));
  }
  return out;
}

Result<std::vector<domain::Attachment>> attachments_from_json(const boost::json::value* value) {
  std::vector<domain::Attachment> out;
  if (!value) return out;
  const auto bad = [] {
    return fail(Error::invalid("invalid_field",
                               "attachments is an array of at most 10 objects with key, name, "
                               "content_type, size and optional width and height"));
  };
  if (!value->is_array() || value->as_array().size() > domain::kMaxAttachments) return bad();
  for (const auto& item : value->as_array()) {
    if (!item.is_object()) return bad();
    domain::Attachment a;
    for (const auto& [name, field] : item.as_object()) {
      if (name == "key" && field.is_string())
        a.key = field.as_string();
      else if (name == "name" && field.is_string())
        a.name = field.as_string();
      else if (name == "content_type" && field.is_string())
        a.content_type = field.as_string();
      else if (name == "size" && field.is_int64())
        a.size = field.as_int64();
      else if (name == "width" && field.is_int64())
        a.width = field.as_int64();
      else if (name == "height" && field.is_int64())
        a.height = field.as_int64();
      else
        return bad();
    }
    out.push_back(std::move(a));
  }
  return out;
}

} // namespace parley

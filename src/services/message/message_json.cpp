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

} // namespace parley

#include "services/notification/notification_json.hpp"

#include "core/time_format.hpp"

namespace parley {

boost::json::object notification_json(const Notification& n) {
  const auto optional_text = [](const std::string& s) { return s.empty() ? boost::json::value(nullptr) : boost::json::value(s); };
  return {{"id", n.id},
          {"kind", n.kind},
          {"chat_id", n.chat_id},
          {"actor_id", optional_text(n.actor_id)},
          {"message_id", optional_text(n.message_id)},
          {"seq", n.seq > 0 ? boost::json::value(n.seq) : nullptr},
          {"count", n.count},
          {"preview", n.preview},
          {"created_at", format_rfc3339(n.created_at_ms)},
          {"updated_at", format_rfc3339(n.updated_at_ms)},
          {"read", n.read_at_ms > 0},
          {"read_at", n.read_at_ms > 0 ? boost::json::value(format_rfc3339(n.read_at_ms)) : nullptr}};
}

} // namespace parley

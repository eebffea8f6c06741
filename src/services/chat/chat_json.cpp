#include "services/chat/chat_json.hpp"

#include <boost/json/array.hpp>

#include "core/time_format.hpp"

namespace parley {

boost::json::object chat_json(const Chat& c) {
  return {{"id", c.id},
          {"kind", domain::to_string(c.kind)},
          {"name", c.name},
          {"avatar_url", c.avatar_url},
          {"created_by", c.created_by},
          {"created_at", format_rfc3339(c.created_at_ms)},
          {"updated_at", format_rfc3339(c.updated_at_ms)},
          {"last_activity_at", format_rfc3339(c.last_activity_ms)}};
}

boost::json::object presence_json(const PresenceState& state) {
  return {{"online", state.online},
          {"last_seen", state.last_seen_ms > 0 ? boost::json::value(format_rfc3339(state.last_seen_ms)) : nullptr}};
}

boost::json::object view_json(const ChatView& v) {
  auto obj = chat_json(v.chat);
  boost::json::array members;
  for (std::size_t i = 0; i < v.members.size(); ++i) {
    const auto& m = v.members[i];
    auto member = presence_json(i < v.presence.size() ? v.presence[i] : PresenceState{});
    member["user_id"] = m.user_id;
    member["role"] = domain::to_string(m.role);
    member["joined_at"] = format_rfc3339(m.joined_at_ms);
    members.push_back(std::move(member));
  }
  obj["members"] = std::move(members);
  return obj;
}

} // namespace parley

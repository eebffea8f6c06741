#include "adapters/remote/remote_membership.hpp"

#include <boost/json/object.hpp>

#include "adapters/remote/remote_reply.hpp"

namespace parley {

Result<std::optional<domain::Role>> RemoteMembership::role_of(std::string_view chat_id, std::string_view user_id) {
  if (chat_id.empty() || user_id.empty()) return std::optional<domain::Role>{};
  auto reply =
      chats_.call("GET", "/internal/v1/chats/" + remote::escape(chat_id) + "/members/" + remote::escape(user_id));
  if (!reply) return fail(remote::upstream(std::move(reply.error())));
  const auto* role = remote::member(*reply, "role");
  if (role && role->is_null()) return std::optional<domain::Role>{};
  if (role && role->is_string())
    if (auto parsed = domain::parse_role(role->get_string())) return std::optional<domain::Role>{*parsed};
  return fail(remote::malformed(chats_, "role_of"));
}

Result<std::vector<std::string>> RemoteMembership::member_ids(std::string_view chat_id) {
  if (chat_id.empty()) return std::vector<std::string>{};
  return user_ids("/internal/v1/chats/" + remote::escape(chat_id) + "/members", "member_ids");
}

Result<std::vector<std::string>> RemoteMembership::contacts(std::string_view user_id) {
  if (user_id.empty()) return std::vector<std::string>{};
  return user_ids("/internal/v1/users/" + remote::escape(user_id) + "/contacts", "contacts");
}

Result<void> RemoteMembership::touch(std::string_view chat_id, std::int64_t at_ms) {
  if (chat_id.empty()) return fail(Error::not_found("chat_not_found", "no such chat"));
  auto reply = chats_.call("POST", "/internal/v1/chats/" + remote::escape(chat_id) + "/touch",
                           boost::json::object{{"at_ms", at_ms}});
  if (!reply) return fail(remote::upstream(std::move(reply.error())));
  return {};
}

Result<std::vector<std::string>> RemoteMembership::user_ids(const std::string& path, std::string_view what) const {
  auto reply = chats_.call("GET", path);
  if (!reply) return fail(remote::upstream(std::move(reply.error())));
  auto ids = remote::string_list(remote::member(*reply, "user_ids"));
  if (!ids) return fail(remote::malformed(chats_, what));
  return std::move(*ids);
}

} // namespace parley

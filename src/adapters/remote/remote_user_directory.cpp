#include "adapters/remote/remote_user_directory.hpp"

#include <boost/json/object.hpp>

#include "adapters/remote/remote_reply.hpp"

namespace parley {

Result<void> RemoteUserDirectory::create_profile(const NewProfile& p) {
  const boost::json::object body{
      {"id", p.id}, {"username", p.username}, {"email", p.email}, {"display_name", p.display_name}};
  auto reply = users_.call("POST", "/internal/v1/profiles", body);
  if (!reply) return fail(remote::upstream(std::move(reply.error())));
  return {};
}

// 200 {"id"} for a profile; 404 "user_not_found" for none (any other 404 is an error: a
// route missing on the other side must not read as "no such user").
Result<bool> RemoteUserDirectory::exists(std::string_view id) {
  if (id.empty()) return false;
  auto reply = users_.call("GET", "/internal/v1/profiles/" + remote::escape(id));
  if (!reply) {
    if (reply.error().kind == ErrorKind::not_found && reply.error().code == "user_not_found") return false;
    return fail(remote::upstream(std::move(reply.error())));
  }
  const auto* found = remote::member(*reply, "id");
  if (!found || !found->is_string() || found->get_string() != id) return fail(remote::malformed(users_, "exists"));
  return true;
}

Result<void> RemoteUserDirectory::remove_profile(std::string_view id) {
  if (id.empty()) return {};
  auto reply = users_.call("DELETE", "/internal/v1/profiles/" + remote::escape(id));
  if (!reply) return fail(remote::upstream(std::move(reply.error())));
  return {};
}

} // namespace parley

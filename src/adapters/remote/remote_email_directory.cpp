#include "adapters/remote/remote_email_directory.hpp"

#include "adapters/remote/remote_reply.hpp"

namespace parley {

Result<std::optional<std::string>> RemoteEmailDirectory::email_of(std::string_view user_id) {
  if (user_id.empty()) return std::optional<std::string>{};
  auto reply = auth_.call("GET", "/internal/v1/accounts/" + remote::escape(user_id) + "/email");
  if (!reply) return fail(remote::upstream(std::move(reply.error())));
  const auto* email = remote::member(*reply, "email");
  if (email && email->is_null()) return std::optional<std::string>{};
  if (email && email->is_string()) return std::optional<std::string>{std::string(email->get_string())};
  return fail(remote::malformed(auth_, "email_of"));
}

} // namespace parley

#include "adapters/remote/remote_account_admin.hpp"

#include <boost/json/object.hpp>

#include "adapters/remote/remote_reply.hpp"

namespace parley {

Result<void> RemoteAccountAdmin::close_account(std::string_view user_id, std::string_view password) {
  if (user_id.empty()) return fail(Error::unauthenticated("invalid_credentials", "wrong e-mail or password"));
  auto reply = auth_.call("POST", "/internal/v1/accounts/" + remote::escape(user_id) + "/close",
                          boost::json::object{{"password", password}});
  if (!reply) return fail(remote::upstream(std::move(reply.error())));
  return {};
}

} // namespace parley

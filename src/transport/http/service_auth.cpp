#include "transport/http/service_auth.hpp"

namespace parley::http {

Result<void> authenticate_service(const Request& req, std::string_view token) {
  const auto given = req.header("X-Parley-Service-Token").value_or("");
  unsigned char diff = given.size() == token.size() ? 0 : 1;
  for (std::size_t i = 0; i < given.size(); ++i)
    diff |= static_cast<unsigned char>(given[i] ^ (i < token.size() ? token[i] : 0));
  if (token.empty() || diff != 0)
    return fail(Error::unauthenticated("invalid_service_token", "this route is for Parley's services only"));
  return {};
}

} // namespace parley::http

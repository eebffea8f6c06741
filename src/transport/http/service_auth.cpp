#include "transport/http/service_auth.hpp"

#include "transport/http/response.hpp"

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

Handler service_only(std::string token, Handler handler) {
  return [token = std::move(token), handler = std::move(handler)](Request& req) {
    if (auto ok = authenticate_service(req, token); !ok) return error_response(ok.error());
    return handler(req);
  };
}

Result<std::string> internal_path_param(const Request& req, std::string_view name) {
  auto value = req.decoded_path_param(name);
  if (!value) return fail(Error::invalid("invalid_path", "malformed escape in '" + std::string(name) + "'"));
  return std::move(*value);
}

} // namespace parley::http

#include "transport/http/authenticate.hpp"

namespace parley::http {

Result<Principal> authenticate(const Request& req, const AccessTokenVerifier& verifier) {
  const auto token = req.bearer_token();
  if (token.empty()) return fail(Error::unauthenticated("invalid_token", "a bearer access token is required"));
  return verifier.verify(token);
}

} // namespace parley::http

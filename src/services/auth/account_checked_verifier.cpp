#include "services/auth/account_checked_verifier.hpp"

namespace parley {

Result<Principal> AccountCheckedVerifier::verify(std::string_view token) const {
  auto who = tokens_.verify(token);
  if (!who) return who;
  auto account = accounts_.find_by_id(who->user_id);
  if (!account) return fail(account.error());
  if (!*account) return fail(Error::unauthenticated("invalid_token", "invalid access token"));
  return who;
}

} // namespace parley

#pragma once
// An access-token verifier that also refuses the tokens of accounts that no longer exist:
// deleting an account ends its access at once, not when its last token expires. One
// look-up of the account per verification, so it is used where the accounts are local
// (the all-in-one server); other tokens are not revocable (docs/security.md).

#include "ports/access_tokens.hpp"
#include "ports/account_store.hpp"

namespace parley {

class AccountCheckedVerifier final : public AccessTokenVerifier {
 public:
  // Both must outlive the verifier.
  AccountCheckedVerifier(const AccessTokenVerifier& tokens, AccountStore& accounts)
      : tokens_(tokens), accounts_(accounts) {}

  // The inner verifier's answer, or unauthenticated "invalid_token" when the token's user has
  // no account; a failed look-up fails with its error.
  Result<Principal> verify(std::string_view token) const override;

 private:
  const AccessTokenVerifier& tokens_;
  AccountStore& accounts_;
};

} // namespace parley

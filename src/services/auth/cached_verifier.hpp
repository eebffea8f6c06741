#pragma once
// Remembers the access tokens a verifier accepted, so that the next request with the same
// token skips the signature check (an Ed25519 verification: about half of what a small
// authenticated read costs). Expiry is checked on every use, against the clock; only
// accepted tokens are kept, at most `capacity` of them (all are forgotten when it is
// reached), so memory stays bounded whoever calls.

#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.hpp"
#include "ports/access_tokens.hpp"

namespace parley {

class CachedVerifier final : public AccessTokenVerifier {
 public:
  static constexpr std::size_t kDefaultCapacity = 4096;

  // Both must outlive this.
  CachedVerifier(const AccessTokenVerifier& inner, const Clock& clock, std::size_t capacity = kDefaultCapacity)
      : inner_(inner), clock_(clock), capacity_(capacity) {}

  // What the inner verifier answers for `token`; from memory when it accepted it before and
  // it has not expired since.
  Result<Principal> verify(std::string_view token) const override;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  const AccessTokenVerifier& inner_;
  const Clock& clock_;
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  mutable std::unordered_map<std::string, Principal, Hash, std::equal_to<>> accepted_;
};

} // namespace parley

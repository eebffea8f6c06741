#include "services/auth/password_hasher.hpp"

#include <sodium.h>

#include <array>
#include <mutex>
#include <stdexcept>

#include "services/auth/secrets.hpp"

namespace parley {

struct PasswordHasher::Dummy {
  std::mutex mutex;
  std::string hash; // empty until the first burn_time succeeds in creating it
};

PasswordHasher::PasswordHasher(unsigned long long opslimit, std::size_t memlimit_bytes)
    : opslimit_(opslimit), memlimit_(memlimit_bytes), dummy_(std::make_unique<Dummy>()) {
  ensure_sodium();
  if (opslimit < crypto_pwhash_OPSLIMIT_MIN || opslimit > crypto_pwhash_OPSLIMIT_MAX) {
    throw std::invalid_argument("password hasher: opslimit out of range");
  }
  if (memlimit_bytes < crypto_pwhash_MEMLIMIT_MIN || memlimit_bytes > crypto_pwhash_MEMLIMIT_MAX) {
    throw std::invalid_argument("password hasher: memlimit out of range");
  }
}

PasswordHasher::~PasswordHasher() = default;
PasswordHasher::PasswordHasher(PasswordHasher&&) noexcept = default;
PasswordHasher& PasswordHasher::operator=(PasswordHasher&&) noexcept = default;

Result<std::string> PasswordHasher::hash(std::string_view password) const {
  std::array<char, crypto_pwhash_STRBYTES> out{};
  // With parameters checked in the constructor, the only failure left is running out of memory.
  if (crypto_pwhash_str_alg(out.data(), password.data(), password.size(), opslimit_, memlimit_,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return fail(Error::unavailable("hash_unavailable", "password hashing is temporarily unavailable"));
  }
  return std::string(out.data());
}

bool PasswordHasher::verify(std::string_view hash, std::string_view password) const {
  // libsodium wants a NUL-terminated string; an embedded NUL would truncate it, so refuse those.
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES || hash.find('\0') != std::string_view::npos) return false;
  const std::string terminated(hash);
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

void PasswordHasher::burn_time(std::string_view password) const {
  std::string dummy;
  {
    const std::lock_guard lock(dummy_->mutex);
    if (dummy_->hash.empty()) {
      // A random password nobody knows: the answer is always false, only the time matters.
      if (auto made = hash(random_token(16))) dummy_->hash = std::move(*made);
    }
    dummy = dummy_->hash;
  }
  if (!dummy.empty()) (void)verify(dummy, password);
}

} // namespace parley

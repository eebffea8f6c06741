#pragma once
// Password hashing with Argon2id (libsodium crypto_pwhash, ALG_ARGON2ID13).
//
// Parameters: `opslimit` is the number of passes over memory, `memlimit_bytes` the memory
// each hash uses. Together they fix the cost of one hash and so the cost of one guess for
// an attacker holding the database. libsodium's INTERACTIVE preset (opslimit 2, 64 MiB) is a
// sensible production floor; tests use OPSLIMIT_MIN (1) and MEMLIMIT_MIN (8 KiB) for speed.
// Every hash is a self-describing PHC string ("$argon2id$v=19$m=...,t=...,p=1$salt$hash")
// with a fresh random salt, so changing the parameters later does not break old hashes.

#include <sodium.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace parley {

class PasswordHasher {
 public:
  // Defaults to libsodium's INTERACTIVE preset. Throws std::invalid_argument if the parameters
  // are outside libsodium's bounds (a config error).
  explicit PasswordHasher(unsigned long long opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          std::size_t memlimit_bytes = crypto_pwhash_MEMLIMIT_INTERACTIVE);
  ~PasswordHasher();
  PasswordHasher(PasswordHasher&&) noexcept;
  PasswordHasher& operator=(PasswordHasher&&) noexcept;

  // A PHC-format Argon2id hash of `password`. Fails with unavailable "hash_unavailable"
  // when the memory for the hash cannot be allocated (retrying later may help).
  Result<std::string> hash(std::string_view password) const;

  // True only if `hash` is a well-formed hash of `password`; false on any failure,
  // including a malformed or truncated hash.
  bool verify(std::string_view hash, std::string_view password) const;

  // Spends the time of one `verify` with these parameters and discards the answer, so a login
  // for an unknown account takes as long as one with a wrong password (no account probing by
  // timing). The dummy hash it checks against is created on first use. Thread-safe.
  void burn_time(std::string_view password) const;

 private:
  struct Dummy;

  unsigned long long opslimit_;
  std::size_t memlimit_;
  std::unique_ptr<Dummy> dummy_;
};

} // namespace parley

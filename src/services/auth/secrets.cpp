#include "services/auth/secrets.hpp"

#include <sodium.h>

#include <array>
#include <stdexcept>
#include <string>

#include "core/base64url.hpp"

namespace parley {

void ensure_sodium() {
  // A function-local static is initialised once even under concurrent first calls.
  static const int status = sodium_init(); // 0 = initialised now, 1 = already initialised
  if (status < 0) throw std::runtime_error("libsodium initialisation failed");
}

std::string random_token(std::size_t bytes) {
  ensure_sodium();
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  return base64url_encode(raw);
}

std::string sha256_hex(std::string_view data) {
  ensure_sodium();
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(data.data()), data.size());
  std::array<char, crypto_hash_sha256_BYTES * 2 + 1> hex{};
  sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
  return std::string(hex.data(), crypto_hash_sha256_BYTES * 2);
}

std::string random_otp_code() {
  ensure_sodium();
  // randombytes_uniform avoids the modulo bias of `random % 1000000`.
  const std::string digits = std::to_string(randombytes_uniform(1'000'000));
  return std::string(6 - digits.size(), '0') + digits;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  ensure_sodium();
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace parley

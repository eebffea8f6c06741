#pragma once
// One-time codes (e-mail verification, password reset), stored hashed; at most one
// live code per (user, purpose) — putting a new one replaces the old.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace parley {

enum class OtpPurpose { verify_email, reset_password };

struct Otp {
  std::string user_id;
  OtpPurpose purpose = OtpPurpose::verify_email;
  std::string code_hash; // hex SHA-256 of (user id, purpose, code)
  std::int64_t expires_at_ms = 0;
  std::int64_t sent_at_ms = 0;
  int attempts = 0; // wrong guesses so far
};

class OtpStore {
 public:
  virtual ~OtpStore() = default;
  virtual Result<void> put(const Otp& otp) = 0;
  virtual Result<std::optional<Otp>> get(std::string_view user_id, OtpPurpose purpose) = 0;
  // Atomically adds one wrong attempt; returns the new count.
  virtual Result<int> add_attempt(std::string_view user_id, OtpPurpose purpose) = 0;
  virtual Result<void> remove(std::string_view user_id, OtpPurpose purpose) = 0;
};

} // namespace parley

#pragma once
// Random secrets and digests for the auth service, all backed by libsodium.
// Every function initialises libsodium on first use (thread-safe) and throws
// std::runtime_error if it cannot be initialised — a start-up failure, not a request error.

#include <cstddef>
#include <string>
#include <string_view>

namespace parley {

// Initialises libsodium exactly once; throws std::runtime_error if sodium_init() fails.
void ensure_sodium();

// `bytes` bytes from the CSPRNG, base64url-encoded (no padding).
std::string random_token(std::size_t bytes);

// Lower-case hex SHA-256 of `data` (64 characters).
std::string sha256_hex(std::string_view data);

// A one-time code of exactly 6 decimal digits, uniform over 000000..999999.
std::string random_otp_code();

// Compares in time that depends only on the lengths, never on where the inputs differ.
// Different lengths compare unequal (lengths are not secret here: digests are fixed-size).
bool constant_time_equal(std::string_view a, std::string_view b);

} // namespace parley

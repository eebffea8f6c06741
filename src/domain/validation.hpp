#pragma once
// The rules for what users type: e-mail, username, password, profile fields.
// Each returns the normalised value or an `unprocessable` (422) error with a stable code.

#include <cstddef>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace parley::domain {

constexpr std::size_t kMaxEmailBytes = 254;
constexpr std::size_t kMinUsername = 3, kMaxUsername = 32;
constexpr std::size_t kMinPassword = 8, kMaxPassword = 128; // characters
constexpr std::size_t kMaxDisplayName = 64;                 // characters
constexpr std::size_t kMaxBio = 280;                        // characters
constexpr std::size_t kMaxAvatarUrl = 2048;                 // bytes

// Trimmed and lower-cased; one '@', a non-empty local part (≤ 64), a dotted domain.
Result<std::string> normalize_email(std::string_view email);
// Lower-cased; 3–32 of [a-z0-9_], starting with a letter.
Result<std::string> normalize_username(std::string_view username);
// 8–128 characters of valid UTF-8, not one of the most common passwords.
Result<void> check_password(std::string_view password);
// 1–64 characters, valid UTF-8, no control characters; surrounding spaces trimmed.
Result<std::string> normalize_display_name(std::string_view name);
Result<void> check_bio(std::string_view bio);
// Empty, or an http(s) URL with a host (a name, or an IP literal in brackets), without spaces or
// control characters.
Result<void> check_avatar_url(std::string_view url);

// Strict UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view text);
// Number of code points of valid UTF-8 text.
std::size_t utf8_length(std::string_view text);

} // namespace parley::domain

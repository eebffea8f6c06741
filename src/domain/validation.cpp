#include "domain/validation.hpp"
#include "core/text.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace parley::domain {
namespace {

// The most common passwords of at least 8 characters (public breach corpora).
constexpr std::array<std::string_view, 60> kCommonPasswords{
    "password",   "password1",     "password12", "password123", "12345678", "123456789", "1234567890", "qwertyui",
    "qwertyuiop", "qwerty123",     "qwerty12",   "iloveyou",    "11111111", "00000000",  "abc12345",   "abcd1234",
    "1q2w3e4r",   "1qaz2wsx",      "sunshine",   "princess",    "football", "baseball",  "welcome1",   "welcome123",
    "trustno1",   "superman",      "starwars",   "whatever",    "dragon12", "passw0rd",  "p@ssw0rd",   "p@ssword",
    "letmein1",   "letmein123",    "computer",   "michelle",    "jennifer", "88888888",  "87654321",   "12341234",
    "123123123",  "987654321",     "asdfghjk",   "asdfghjkl",   "zxcvbnm1", "q1w2e3r4",  "q1w2e3r4t5", "1q2w3e4r5t",
    "admin123",   "administrator", "changeme",   "football1",   "monkey12", "internet",  "master12",   "shadow12",
    "mustang1",   "charlie1",      "parley123",  "secret123"};

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
  return out;
}

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

Error bad(std::string code, std::string message) { return Error::unprocessable(std::move(code), std::move(message)); }

// The authority of an http(s) URL (what follows "://" up to the first '/', '?' or '#'): optional
// user info ending in '@', then a host that is a name without brackets or an IP literal in
// brackets (hex digits, ':' and '.'), then optionally ':' and a port of digits.
bool valid_authority(std::string_view authority) {
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  std::string_view port;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    const auto literal = authority.substr(1, close - 1);
    if (!std::all_of(literal.begin(), literal.end(),
                     [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.'; }))
      return false;
    const auto rest = authority.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) return false;
    port = rest.empty() ? rest : rest.substr(1);
  } else {
    const auto colon = authority.find(':');
    const auto host = authority.substr(0, colon);
    if (host.empty() || host.find_first_of("[]") != std::string_view::npos) return false;
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  return port.size() <= 5 && std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
}

} // namespace

bool is_valid_utf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    const unsigned char c = *p;
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++p;
      continue;
    }
    if ((c & 0xe0) == 0xc0)
      n = 1, cp = c & 0x1f;
    else if ((c & 0xf0) == 0xe0)
      n = 2, cp = c & 0x0f;
    else if ((c & 0xf8) == 0xf0)
      n = 3, cp = c & 0x07;
    else
      return false;
    if (static_cast<std::size_t>(end - p) <= n) return false;
    for (std::size_t i = 1; i <= n; ++i) {
      if ((p[i] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3f);
    }
    static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    p += n + 1;
  }
  return true;
}

std::size_t utf8_length(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; }));
}

Result<std::string> normalize_email(std::string_view email) {
  const std::string e = lower_ascii(trim(email));
  const auto at = e.find('@');
  const bool ok = !e.empty() && e.size() <= kMaxEmailBytes && at != std::string::npos && at > 0 && at <= 64 &&
                  e.find('@', at + 1) == std::string::npos && is_valid_utf8(e) && !has_control(e) &&
                  e.find_first_of(" ,;:<>()[]\\\"") == std::string::npos;
  if (!ok) return fail(bad("invalid_email", "not a valid e-mail address"));
  const std::string_view domain = std::string_view(e).substr(at + 1);
  const auto dot = domain.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == domain.size() ||
      domain.find("..") != std::string_view::npos)
    return fail(bad("invalid_email", "not a valid e-mail address"));
  return e;
}

Result<std::string> normalize_username(std::string_view username) {
  const std::string u = lower_ascii(username);
  const bool ok = u.size() >= kMinUsername && u.size() <= kMaxUsername && u.front() >= 'a' && u.front() <= 'z' &&
                  std::all_of(u.begin(), u.end(),
                              [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
  if (!ok)
    return fail(bad("invalid_username", "usernames are 3-32 letters, digits or underscores, starting with a letter"));
  return u;
}

Result<void> check_password(std::string_view password) {
  if (!is_valid_utf8(password)) return fail(bad("weak_password", "password must be valid UTF-8"));
  const auto n = utf8_length(password);
  if (n < kMinPassword) return fail(bad("weak_password", "password must have at least 8 characters"));
  if (n > kMaxPassword) return fail(bad("weak_password", "password must have at most 128 characters"));
  const std::string lowered = lower_ascii(password);
  if (std::find(kCommonPasswords.begin(), kCommonPasswords.end(), lowered) != kCommonPasswords.end())
    return fail(bad("weak_password", "this password is too common"));
  return {};
}

Result<std::string> normalize_display_name(std::string_view name) {
  const std::string_view n = trim(name);
  if (n.empty() || !is_valid_utf8(n) || has_control(n) || utf8_length(n) > kMaxDisplayName)
    return fail(bad("invalid_display_name", "display names are 1-64 characters without control characters"));
  return std::string(n);
}

Result<void> check_bio(std::string_view bio) {
  if (!is_valid_utf8(bio) || utf8_length(bio) > kMaxBio)
    return fail(bad("invalid_bio", "the bio is at most 280 characters of valid text"));
  return {};
}

Result<void> check_avatar_url(std::string_view url) {
  if (url.empty()) return {};
  const bool scheme = url.starts_with("https://") || url.starts_with("http://");
  const std::size_t host_start = url.find("://") + 3;
  if (!scheme || url.size() > kMaxAvatarUrl || url.size() <= host_start || has_control(url) ||
      url.find(' ') != std::string_view::npos || !is_valid_utf8(url) ||
      !valid_authority(url.substr(host_start, url.find_first_of("/?#", host_start) - host_start)))
    return fail(bad("invalid_avatar_url", "the avatar must be an http(s) URL of at most 2048 characters"));
  return {};
}

} // namespace parley::domain

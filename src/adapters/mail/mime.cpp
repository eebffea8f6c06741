#include "adapters/mail/mime.hpp"

#include <ctime>
#include <random>

namespace parley {
namespace {

bool header_safe(const std::string& v) { return v.find_first_of("\r\n") == std::string::npos; }

// RFC 2047 encoded-word for non-ASCII subjects.
std::string encode_subject(const std::string& subject) {
  const bool ascii =
      std::all_of(subject.begin(), subject.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (ascii) return subject;
  static constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out = "=?UTF-8?B?";
  std::size_t i = 0;
  for (; i + 2 < subject.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(subject[i]) << 16) |
                       (static_cast<unsigned char>(subject[i + 1]) << 8) | static_cast<unsigned char>(subject[i + 2]);
    out += {kB64[(v >> 18) & 63], kB64[(v >> 12) & 63], kB64[(v >> 6) & 63], kB64[v & 63]};
  }
  if (const auto rest = subject.size() - i; rest > 0) {
    unsigned v = static_cast<unsigned char>(subject[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(subject[i + 1]) << 8;
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += rest == 2 ? kB64[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out + "?=";
}

} // namespace

Result<std::string> render_mime(const Mail& mail, const std::string& from, std::int64_t now_s) {
  if (!header_safe(mail.to) || !header_safe(mail.subject) || !header_safe(from))
    return fail(Error::invalid("invalid_mail", "mail headers must not contain line breaks"));
  char date[64];
  const std::time_t t = static_cast<std::time_t>(now_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const auto at = from.find('@');
  const std::string domain = at == std::string::npos ? "parley.local" : from.substr(at + 1);
  std::string out;
  out += "Date: " + std::string(date) + "\r\n";
  out += "From: Parley <" + from + ">\r\n";
  out += "To: <" + mail.to + ">\r\n";
  out += "Subject: " + encode_subject(mail.subject) + "\r\n";
  out += "Message-ID: <" + std::to_string(now_s) + "." + std::to_string(rng()) + "@" + domain + ">\r\n";
  out += "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n";
  // Normalise line endings to CRLF as SMTP requires.
  for (std::size_t i = 0; i < mail.text.size(); ++i) {
    const char c = mail.text[i];
    if (c == '\n' && (i == 0 || mail.text[i - 1] != '\r')) out += '\r';
    out += c;
  }
  if (!out.ends_with("\r\n")) out += "\r\n";
  return out;
}

} // namespace parley

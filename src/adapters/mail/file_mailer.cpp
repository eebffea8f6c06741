#include "adapters/mail/file_mailer.hpp"

#include <atomic>
#include <fstream>

#include "adapters/mail/mime.hpp"
#include "core/log.hpp"

namespace parley {
namespace {
const Logger kLog{"mail"};
} // namespace

FileMailer::FileMailer(std::filesystem::path dir, std::string from, const Clock& clock)
    : dir_(std::move(dir)), from_(std::move(from)), clock_(clock) {
  std::filesystem::create_directories(dir_);
}

Result<void> FileMailer::send(const Mail& mail) {
  auto message = render_mime(mail, from_, clock_.now_s());
  if (!message) return fail(message.error());
  static std::atomic<std::uint64_t> counter{0};
  const auto path = dir_ / (std::to_string(clock_.now_ms()) + "-" + std::to_string(++counter) + ".eml");
  std::ofstream out(path, std::ios::binary);
  out << *message;
  if (!out.flush()) return fail(Error::unavailable("mail_unavailable", "cannot write " + path.string()));
  kLog.warn("DEVELOPMENT MAIL (no SMTP configured)",
            {{"to", mail.to}, {"subject", mail.subject}, {"code", mail.code}, {"file", path.string()}});
  return {};
}

} // namespace parley

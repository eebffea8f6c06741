#pragma once
// Sends mail over SMTP (libcurl): smtp:// with optional STARTTLS, or smtps://.

#include <chrono>
#include <string>

#include "core/clock.hpp"
#include "ports/mailer.hpp"

namespace parley {

struct SmtpConfig {
  std::string url;  // smtp://host:port or smtps://host:port
  std::string from; // envelope and header sender
  std::string username;
  std::string password;
  bool starttls = false; // require STARTTLS on smtp://
  std::chrono::seconds timeout{10};
};

class SmtpMailer final : public Mailer {
 public:
  SmtpMailer(SmtpConfig config, const Clock& clock);
  Result<void> send(const Mail& mail) override;

 private:
  SmtpConfig config_;
  const Clock& clock_;
};

} // namespace parley

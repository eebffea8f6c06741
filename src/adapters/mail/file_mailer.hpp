#pragma once
// The development mailer, used when no SMTP server is configured: each mail becomes
// an .eml file under <data>/mail/, and the one-time code it carries is printed in the
// log, clearly marked, so a newcomer can sign up without a mail server.

#include <filesystem>

#include "core/clock.hpp"
#include "ports/mailer.hpp"

namespace parley {

class FileMailer final : public Mailer {
 public:
  FileMailer(std::filesystem::path dir, std::string from, const Clock& clock);
  Result<void> send(const Mail& mail) override;

 private:
  std::filesystem::path dir_;
  std::string from_;
  const Clock& clock_;
};

} // namespace parley

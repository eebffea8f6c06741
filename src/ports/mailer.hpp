#pragma once
// Outbound e-mail. send() returns once the mail is handed over (SMTP accepted it, or
// it was written to disk); failures are `unavailable` and may be retried.

#include <string>

#include "core/error.hpp"

namespace parley {

struct Mail {
  std::string to;
  std::string subject;
  std::string text;
  // The one-time code the mail carries, if any. Only the development mailer (no SMTP
  // configured) reveals it, in the server log, so a newcomer can sign up.
  std::string code;
};

class Mailer {
 public:
  virtual ~Mailer() = default;
  virtual Result<void> send(const Mail& mail) = 0;
};

} // namespace parley

#pragma once
#include <string>

#include "core/error.hpp"
#include "ports/mailer.hpp"

namespace parley {
// Renders `mail` as an RFC 5322 message (UTF-8 text body). Refuses header values with
// CR or LF so nothing can be injected into the headers.
Result<std::string> render_mime(const Mail& mail, const std::string& from, std::int64_t now_s);
} // namespace parley

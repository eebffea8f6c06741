#include "domain/message.hpp"

#include <algorithm>

#include "domain/validation.hpp"

namespace parley::domain {

Result<void> check_body(std::string_view body) {
  if (body.empty() || body.size() > kMaxBodyBytes || !is_valid_utf8(body))
    return fail(Error::unprocessable("invalid_body", "a message body is 1 to 16384 bytes of valid UTF-8"));
  return {};
}

Result<void> check_client_id(std::string_view id) {
  const bool ok = !id.empty() && id.size() <= kMaxClientId &&
                  std::all_of(id.begin(), id.end(), [](char c) { return c > 0x20 && c < 0x7f; });
  if (!ok) return fail(Error::invalid("invalid_client_id", "client_id is 1 to 64 printable ASCII characters"));
  return {};
}

} // namespace parley::domain

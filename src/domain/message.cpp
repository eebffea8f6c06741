#include "domain/message.hpp"

#include <algorithm>

#include "domain/validation.hpp"

namespace parley::domain {

Result<void> check_body(std::string_view body, bool has_attachments) {
  if ((body.empty() && !has_attachments) || body.size() > kMaxBodyBytes || !is_valid_utf8(body))
    return fail(Error::unprocessable("invalid_body", "a message body is 1 to 16384 bytes of valid UTF-8"));
  return {};
}

Result<void> check_body(std::string_view body) { return check_body(body, false); }

Result<void> check_attachment(const Attachment& a) {
  const bool name_ok = !a.name.empty() && a.name.size() <= kMaxFileName && is_valid_utf8(a.name) &&
                       std::none_of(a.name.begin(), a.name.end(),
                                    [](char c) { return (c >= 0 && c < 0x20) || c == 0x7f || c == '/' || c == '\\'; });
  if (!name_ok)
    return fail(
        Error::unprocessable("invalid_attachment", "an attachment name is 1-255 bytes, no slashes or controls"));
  if (a.key.empty() || a.content_type.empty() || a.size <= 0)
    return fail(Error::unprocessable("invalid_attachment", "an attachment needs a key, a content type and a size"));
  if (a.width < 0 || a.height < 0 || a.width > kMaxImageSide || a.height > kMaxImageSide)
    return fail(Error::unprocessable("invalid_attachment", "width and height are 0-100000"));
  return {};
}

Result<void> check_client_id(std::string_view id) {
  const bool ok = !id.empty() && id.size() <= kMaxClientId &&
                  std::all_of(id.begin(), id.end(), [](char c) { return c > 0x20 && c < 0x7f; });
  if (!ok) return fail(Error::invalid("invalid_client_id", "client_id is 1 to 64 printable ASCII characters"));
  return {};
}

} // namespace parley::domain

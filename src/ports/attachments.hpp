#pragma once
// The media service as the message service sees it: may this sender attach these files?

#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "domain/message.hpp"

namespace parley {

class AttachmentCheck {
 public:
  virtual ~AttachmentCheck() = default;
  // Each file was uploaded by `sender` and matches its stored type and size
  // (422 "invalid_attachment" otherwise).
  virtual Result<void> check(std::string_view sender, const std::vector<domain::Attachment>& attachments) = 0;
};

} // namespace parley

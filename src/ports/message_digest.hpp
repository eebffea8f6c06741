#pragma once
// The message service as the chat service sees it: what a chat list shows per chat.

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/error.hpp"
#include "domain/message.hpp"

namespace parley {

struct ChatDigest {
  std::optional<domain::Message> last_message;
  std::int64_t last_seq = 0;
  std::int64_t unread_count = 0;
  std::int64_t read_seq = 0;
};

class MessageDigest {
 public:
  virtual ~MessageDigest() = default;
  virtual Result<ChatDigest> digest(std::string_view chat_id, std::string_view user_id) = 0;
};

} // namespace parley

#pragma once
// Messages of a chat: each has a per-chat `seq` (gapless, strictly increasing) and a
// sender-chosen `client_id` that makes sending idempotent.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace parley::domain {

constexpr std::size_t kMaxBodyBytes = 16 * 1024;
constexpr std::size_t kMaxClientId = 64;
constexpr std::size_t kMaxMentions = 50;
constexpr std::size_t kMaxAttachments = 10;
constexpr std::size_t kMaxFileName = 255;
constexpr std::int64_t kMaxImageSide = 100000;

// A file sent with a message: uploaded first (see the media service), referred to by key.
struct Attachment {
  std::string key;
  std::string name; // the file name shown and used for downloads
  std::string content_type;
  std::int64_t size = 0;
  std::int64_t width = 0; // images and videos, when the client knows them; 0: unknown
  std::int64_t height = 0;
};

struct Message {
  std::string id; // time-sortable
  std::string chat_id;
  std::int64_t seq = 0;
  std::string sender_id;
  std::string client_id;
  std::string body;             // empty once deleted
  std::string attachments_json; // JSON array; "[]" when none
  std::string reply_to;         // message id in the same chat, or ""
  std::vector<std::string> mentions;
  std::int64_t created_at_ms = 0;
  std::int64_t edited_at_ms = 0; // 0: never edited
  bool deleted = false;
};

// Body: 1..16 KiB of valid UTF-8 (422 "invalid_body"); may be empty when the message
// carries attachments.
Result<void> check_body(std::string_view body, bool has_attachments);
// Name: 1..255 bytes of UTF-8 without control characters or slashes; size > 0;
// width and height 0..100000 (422 "invalid_attachment").
Result<void> check_attachment(const Attachment& attachment);
// The same, for a body without attachments (edits).
Result<void> check_body(std::string_view body);
// client_id: 1..64 printable ASCII characters (400 "invalid_client_id").
Result<void> check_client_id(std::string_view client_id);

} // namespace parley::domain

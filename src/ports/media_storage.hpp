#pragma once
// Where uploaded files live. Clients move the bytes themselves, through pre-signed URLs:
// one that accepts a single PUT of exactly the announced size and content type, and one
// that serves the object; both expire. Keys are [A-Za-z0-9_-], at most 128 characters.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace parley {

struct MediaObject {
  std::string key;
  std::string content_type;
  std::int64_t size = 0;
};

struct PresignedUpload {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers; // to send with the PUT
  std::int64_t expires_at_ms = 0;
};

class MediaStorage {
 public:
  virtual ~MediaStorage() = default;
  virtual Result<PresignedUpload> presign_upload(const MediaObject& object, std::int64_t expires_at_ms) = 0;
  // `file_name` is what a browser saves the download as.
  virtual Result<std::string> presign_download(const MediaObject& object, std::string_view file_name,
                                               std::int64_t expires_at_ms) = 0;
  // What was uploaded under `key`; nullopt while nothing is.
  virtual Result<std::optional<MediaObject>> stat(std::string_view key) = 0;
};

} // namespace parley

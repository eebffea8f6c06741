#pragma once
// MediaStorage on the local file system (embedded mode): Parley itself is the object
// store. Its URLs point at Parley's own /api/v1/media/blob/{key} and carry an expiry and
// an HMAC-SHA256 over the method, key, expiry and (uploads) content type and size, or
// (downloads) the file name, so none of them can be changed. An upload is written to a
// temporary file and renamed into place once complete: nothing partial is ever visible.
// Files live in <dir>/<key> with a <dir>/<key>.meta sidecar (content type and size).

#include <filesystem>
#include <string>

#include "core/clock.hpp"
#include "ports/media_storage.hpp"

namespace parley {

struct Blob {
  std::string bytes;
  std::string content_type;
  std::string file_name;
};

class LocalMediaStorage final : public MediaStorage {
 public:
  // `public_url`: how clients reach this server (e.g. http://127.0.0.1:8080).
  // `secret`: at least 32 bytes.
  LocalMediaStorage(std::filesystem::path dir, std::string public_url, std::string secret, const Clock& clock);

  Result<PresignedUpload> presign_upload(const MediaObject& object, std::int64_t expires_at_ms) override;
  Result<std::string> presign_download(const MediaObject& object, std::string_view file_name,
                                       std::int64_t expires_at_ms) override;
  Result<std::optional<MediaObject>> stat(std::string_view key) override;

  // The PUT of a pre-signed upload URL: its query parameters, the request's content type
  // and body. Refused (nothing stored) when the signature, expiry, type or size do not match
  // or the key was uploaded before.
  Result<void> accept_upload(std::string_view key, std::string_view expires, std::string_view type,
                             std::string_view size, std::string_view signature, std::string_view content_type,
                             std::string_view body);
  // The GET of a pre-signed download URL.
  Result<Blob> open_download(std::string_view key, std::string_view expires, std::string_view name,
                             std::string_view signature);

 private:
  std::string sign(std::string_view text) const;
  Result<void> check(std::string_view text, std::string_view expires, std::string_view signature) const;
  std::string blob_url(std::string_view key) const;

  std::filesystem::path dir_;
  std::string public_url_;
  std::string secret_;
  const Clock& clock_;
};

// True for a well-formed media key.
bool is_media_key(std::string_view key);

} // namespace parley

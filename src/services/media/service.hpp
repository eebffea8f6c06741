#pragma once
// The media service: hands out pre-signed upload URLs (limits on size and content type),
// pre-signed download URLs to the members of a chat for the files sent to it, and checks a
// message's attachments.
// Keys are "<uploader id>_<random>": unguessable, and they name who uploaded them.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "ports/attachments.hpp"
#include "ports/media_storage.hpp"
#include "ports/membership.hpp"
#include "ports/message_store.hpp"

namespace parley {

struct MediaConfig {
  std::int64_t max_bytes = 25 << 20;
  std::vector<std::string> allowed_types; // exact, lower-case media types
  std::chrono::seconds upload_ttl{900};
  std::chrono::seconds download_ttl{3600};
};

struct UploadRequest {
  std::string file_name;
  std::string content_type;
  std::int64_t size = 0;
};

struct UploadGrant {
  std::string key;
  PresignedUpload upload;
};

struct DownloadGrant {
  std::string url;
  std::int64_t expires_at_ms = 0;
};

class MediaService final : public AttachmentCheck {
 public:
  MediaService(MediaConfig config, MediaStorage& storage, Membership& membership, MessageStore& messages,
               const Clock& clock);

  Result<UploadGrant> request_upload(std::string_view me, const UploadRequest& request);
  // Members of the chat only (chat_not_found otherwise), and only a file attached to a live
  // message of that chat and uploaded (media_not_found otherwise): a key learnt elsewhere
  // does not open a file through another chat.
  Result<DownloadGrant> download(std::string_view me, std::string_view chat_id, std::string_view key,
                                 std::string_view file_name);
  Result<void> check(std::string_view sender, const std::vector<domain::Attachment>& attachments) override;

 private:
  bool allowed(std::string_view content_type) const;

  MediaConfig config_;
  MediaStorage& storage_;
  Membership& membership_;
  MessageStore& messages_;
  const Clock& clock_;
};

} // namespace parley

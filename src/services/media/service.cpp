#include "services/media/service.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>

#include "core/base64url.hpp"

namespace parley {
namespace {

Error invalid_attachment(std::string message) { return Error::unprocessable("invalid_attachment", std::move(message)); }

std::string random_part() {
  std::array<char, 16> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  return base64url_encode(std::string_view(bytes.data(), bytes.size()));
}

std::string_view owner_of(std::string_view key) { return key.substr(0, key.find('_')); }

} // namespace

MediaService::MediaService(MediaConfig config, MediaStorage& storage, Membership& membership, MessageStore& messages,
                           const Clock& clock)
    : config_(std::move(config)), storage_(storage), membership_(membership), messages_(messages), clock_(clock) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium could not be initialised");
}

bool MediaService::allowed(std::string_view content_type) const {
  return std::find(config_.allowed_types.begin(), config_.allowed_types.end(), content_type) !=
         config_.allowed_types.end();
}

Result<UploadGrant> MediaService::request_upload(std::string_view me, const UploadRequest& r) {
  // Only the name is checked here; the type and size are checked below, with their own codes.
  if (auto ok = domain::check_attachment({"key", r.file_name, "x", 1, 0, 0}); !ok)
    return fail(Error::unprocessable("invalid_file_name", "a file name is 1-255 bytes, no slashes or controls"));
  if (!allowed(r.content_type))
    return fail(
        Error::unprocessable("unsupported_content_type", "content type '" + r.content_type + "' is not accepted"));
  if (r.size < 1 || r.size > config_.max_bytes)
    return fail(Error::too_large("file_too_large", "files are 1 to " + std::to_string(config_.max_bytes) + " bytes"));
  const std::string key = std::string(me) + "_" + random_part();
  auto upload = storage_.presign_upload({key, r.content_type, r.size},
                                        clock_.now_ms() + std::chrono::milliseconds(config_.upload_ttl).count());
  if (!upload) return fail(upload.error());
  return UploadGrant{key, std::move(*upload)};
}

Result<DownloadGrant> MediaService::download(std::string_view me, std::string_view chat_id, std::string_view key,
                                             std::string_view file_name) {
  auto role = membership_.role_of(chat_id, me);
  if (!role) return fail(role.error());
  if (!*role) return fail(Error::not_found("chat_not_found", "no such chat"));
  auto attached = messages_.attached(chat_id, key);
  if (!attached) return fail(attached.error());
  if (!*attached) return fail(Error::not_found("media_not_found", "no such file"));
  auto object = storage_.stat(key);
  if (!object) return fail(object.error());
  if (!*object) return fail(Error::not_found("media_not_found", "no such file"));
  const auto name = file_name.empty() ? std::string(key) : std::string(file_name);
  if (auto ok = domain::check_attachment({std::string(key), name, "x", 1, 0, 0}); !ok)
    return fail(Error::invalid("invalid_file_name", "a file name is 1-255 bytes, no slashes or controls"));
  const auto expires = clock_.now_ms() + std::chrono::milliseconds(config_.download_ttl).count();
  auto url = storage_.presign_download(**object, name, expires);
  if (!url) return fail(url.error());
  return DownloadGrant{std::move(*url), expires};
}

Result<void> MediaService::check(std::string_view sender, const std::vector<domain::Attachment>& attachments) {
  for (const auto& a : attachments) {
    if (owner_of(a.key) != sender) return fail(invalid_attachment("attach only files you uploaded"));
    auto object = storage_.stat(a.key);
    if (!object) return fail(object.error());
    if (!*object) return fail(invalid_attachment("file '" + a.key + "' was not uploaded"));
    if ((*object)->content_type != a.content_type || (*object)->size != a.size)
      return fail(invalid_attachment("content_type and size must be those of the upload"));
  }
  return {};
}

} // namespace parley

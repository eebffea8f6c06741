#include "adapters/localfs/local_media_storage.hpp"

#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <boost/json.hpp>

#include "core/url.hpp"

namespace parley {

namespace fs = std::filesystem;

namespace {

Error bad_signature() { return Error::forbidden("invalid_signature", "the URL's signature does not match"); }

std::optional<std::int64_t> parse_int(std::string_view text) {
  std::int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v < 0) return std::nullopt;
  return v;
}

Result<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(Error::not_found("media_not_found", "no such file"));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// URLs carry whole seconds, rounded up: a URL stays valid for at least the time asked for.
std::int64_t expiry_seconds(std::int64_t expires_at_ms) { return (expires_at_ms + 999) / 1000; }

bool write_file(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out.flush());
}

} // namespace

bool is_media_key(std::string_view key) {
  if (key.empty() || key.size() > 128) return false;
  for (const char c : key)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
      return false;
  return true;
}

LocalMediaStorage::LocalMediaStorage(fs::path dir, std::string public_url, std::string secret, const Clock& clock)
    : dir_(std::move(dir)), public_url_(std::move(public_url)), secret_(std::move(secret)), clock_(clock) {
  if (secret_.size() < 32) throw std::invalid_argument("LocalMediaStorage: the secret needs 32 bytes or more");
  while (!public_url_.empty() && public_url_.back() == '/') public_url_.pop_back();
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) throw std::runtime_error("media directory " + dir_.string() + ": " + ec.message());
}

std::string LocalMediaStorage::sign(std::string_view text) const {
  std::string mac(crypto_auth_hmacsha256_BYTES, '\0');
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret_.data()), secret_.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  crypto_auth_hmacsha256_final(&state, reinterpret_cast<unsigned char*>(mac.data()));
  return hex_encode(mac);
}

Result<void> LocalMediaStorage::check(std::string_view text, std::string_view expires,
                                      std::string_view signature) const {
  const auto expected = sign(text);
  if (signature.size() != expected.size() || sodium_memcmp(signature.data(), expected.data(), expected.size()) != 0)
    return fail(bad_signature());
  const auto at = parse_int(expires);
  if (!at) return fail(bad_signature());
  if (*at * 1000 < clock_.now_ms()) return fail(Error::forbidden("url_expired", "the URL has expired"));
  return {};
}

std::string LocalMediaStorage::blob_url(std::string_view key) const {
  return public_url_ + "/api/v1/media/blob/" + std::string(key);
}

Result<PresignedUpload> LocalMediaStorage::presign_upload(const MediaObject& o, std::int64_t expires_at_ms) {
  if (!is_media_key(o.key)) return fail(Error::invalid("invalid_key", "not a media key"));
  // The type comes back as a header of the download: printable ASCII only, never a line break.
  const auto printable = [](unsigned char c) { return c >= 0x20 && c < 0x7f; };
  if (o.content_type.empty() || !std::all_of(o.content_type.begin(), o.content_type.end(), printable))
    return fail(Error::invalid("invalid_content_type", "not a content type"));
  const auto seconds = expiry_seconds(expires_at_ms);
  const auto expires = std::to_string(seconds);
  const auto size = std::to_string(o.size);
  const auto signature = sign("PUT\n" + o.key + "\n" + expires + "\n" + o.content_type + "\n" + size);
  return PresignedUpload{blob_url(o.key) + "?expires=" + expires + "&type=" + percent_encode(o.content_type) +
                             "&size=" + size + "&sig=" + signature,
                         {{"Content-Type", o.content_type}},
                         seconds * 1000};
}

Result<std::string> LocalMediaStorage::presign_download(const MediaObject& o, std::string_view file_name,
                                                        std::int64_t expires_at_ms) {
  if (!is_media_key(o.key)) return fail(Error::invalid("invalid_key", "not a media key"));
  const auto expires = std::to_string(expiry_seconds(expires_at_ms));
  const auto signature = sign("GET\n" + o.key + "\n" + expires + "\n" + std::string(file_name));
  return blob_url(o.key) + "?expires=" + expires + "&name=" + percent_encode(file_name) + "&sig=" + signature;
}

Result<std::optional<MediaObject>> LocalMediaStorage::stat(std::string_view key) {
  if (!is_media_key(key)) return std::optional<MediaObject>{};
  const auto meta_path = dir_ / (std::string(key) + ".meta");
  std::error_code ec;
  if (!fs::exists(meta_path, ec)) return std::optional<MediaObject>{};
  auto text = read_file(meta_path);
  if (!text) return fail(text.error());
  boost::system::error_code jec;
  const auto meta = boost::json::parse(*text, jec);
  if (jec || !meta.is_object()) return fail(Error::internal("unreadable media metadata"));
  const auto& obj = meta.as_object();
  const auto* type = obj.if_contains("content_type");
  const auto* size = obj.if_contains("size");
  if (!type || !type->is_string() || !size || !size->is_int64())
    return fail(Error::internal("unreadable media metadata"));
  return std::optional<MediaObject>{MediaObject{std::string(key), std::string(type->as_string()), size->as_int64()}};
}

Result<void> LocalMediaStorage::accept_upload(std::string_view key, std::string_view expires, std::string_view type,
                                              std::string_view size, std::string_view signature,
                                              std::string_view content_type, std::string_view body) {
  if (!is_media_key(key)) return fail(Error::not_found("media_not_found", "no such upload"));
  if (auto ok = check("PUT\n" + std::string(key) + "\n" + std::string(expires) + "\n" + std::string(type) + "\n" +
                          std::string(size),
                      expires, signature);
      !ok)
    return ok;
  if (content_type != type)
    return fail(Error::unprocessable("wrong_content_type", "the upload's Content-Type must be " + std::string(type)));
  if (std::to_string(body.size()) != size)
    return fail(Error::unprocessable("wrong_size", "the upload must be exactly " + std::string(size) + " bytes"));
  const auto target = dir_ / std::string(key);
  std::error_code ec;
  if (fs::exists(target, ec)) return fail(Error::conflict("already_uploaded", "this upload URL was used"));
  // Write aside, then link into place (atomically, never over an existing file) and
  // publish the metadata last: a reader sees all of it or nothing.
  static std::atomic<std::uint64_t> counter{0};
  const auto temp = dir_ / (std::string(key) + ".part" + std::to_string(++counter));
  const auto meta_temp = fs::path(temp.string() + ".meta");
  const auto cleanup = [&] {
    std::error_code ignored;
    fs::remove(temp, ignored);
    fs::remove(meta_temp, ignored);
  };
  const auto meta = boost::json::serialize(boost::json::object{{"content_type", type}, {"size", body.size()}});
  if (!write_file(temp, body) || !write_file(meta_temp, meta)) {
    cleanup();
    return fail(Error::unavailable("media_write", "the file could not be stored"));
  }
  fs::create_hard_link(temp, target, ec);
  if (ec) {
    cleanup();
    if (ec == std::errc::file_exists) return fail(Error::conflict("already_uploaded", "this upload URL was used"));
    return fail(Error::unavailable("media_write", "the file could not be stored"));
  }
  fs::rename(meta_temp, dir_ / (std::string(key) + ".meta"), ec);
  cleanup();
  if (ec) {
    std::error_code ignored;
    fs::remove(target, ignored);
    return fail(Error::unavailable("media_write", "the file could not be stored"));
  }
  return {};
}

Result<Blob> LocalMediaStorage::open_download(std::string_view key, std::string_view expires, std::string_view name,
                                              std::string_view signature) {
  if (!is_media_key(key)) return fail(Error::not_found("media_not_found", "no such file"));
  if (auto ok = check("GET\n" + std::string(key) + "\n" + std::string(expires) + "\n" + std::string(name), expires,
                      signature);
      !ok)
    return fail(ok.error());
  auto object = stat(key);
  if (!object) return fail(object.error());
  if (!*object) return fail(Error::not_found("media_not_found", "no such file"));
  auto bytes = read_file(dir_ / std::string(key));
  if (!bytes) return fail(bytes.error());
  return Blob{std::move(*bytes), (*object)->content_type, std::string(name)};
}

} // namespace parley

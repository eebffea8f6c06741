#pragma once
// MediaStorage on AWS S3 or an S3-compatible store (MinIO, Ceph, R2, ...). Clients move the
// bytes straight to and from the bucket through SigV4 pre-signed URLs (sigv4.hpp):
// - an upload URL is a PUT that signs content-type and content-length, so the store refuses
//   (403 SignatureDoesNotMatch) a PUT of another type or size;
// - a download URL is a GET that signs response-content-disposition, so the browser keeps
//   the file name (and shows only images, video, audio and PDF inline).
// The server's own requests, HEAD for stat and DELETE for remove, carry an Authorization
// header and go out through libcurl on the calling thread, for at most the configured
// timeout each; connections are kept for the next request.
//
// Objects are stored under their media key ([A-Za-z0-9_-], 1-128 characters) at the root of
// the bucket; any other key is refused before a request is made, so no other object of the
// bucket can be reached through this storage.
//
// Errors: the store unreachable, too slow or answering 5xx -> unavailable (media_unavailable,
// retryable); any other answer but success or 404 (403: credentials, clock skew, a bucket
// policy; 301/400: the wrong region) -> internal, logged with the store's status. A missing
// object is not an error: stat answers nullopt and remove succeeds.

#include <chrono>
#include <memory>
#include <string>

#include "adapters/media/sigv4.hpp"
#include "core/clock.hpp"
#include "ports/media_storage.hpp"

namespace parley {

struct S3MediaConfig {
  S3Location location;
  S3Credentials credentials;
  std::chrono::milliseconds timeout{5000}; // per request to the store, connecting included
};

class S3MediaStorage final : public MediaStorage {
 public:
  // Throws std::invalid_argument with check()'s message when `config` cannot sign.
  S3MediaStorage(S3MediaConfig config, const Clock& clock);
  ~S3MediaStorage() override;
  S3MediaStorage(const S3MediaStorage&) = delete;
  S3MediaStorage& operator=(const S3MediaStorage&) = delete;

  // Whether `config` can sign requests: an invalid error naming the bad endpoint, bucket,
  // region or credentials (never their secret values), or success. No I/O: whether the
  // bucket exists and the credentials work shows at the first request.
  static Result<void> check(const S3MediaConfig& config);
  // scheme://host[:port] of the URLs clients get (the bucket's own host when virtual-hosted),
  // e.g. for a web page's Content-Security-Policy; empty when `config` cannot sign.
  static std::string origin(const S3MediaConfig& config);

  Result<PresignedUpload> presign_upload(const MediaObject& object, std::int64_t expires_at_ms) override;
  Result<std::string> presign_download(const MediaObject& object, std::string_view file_name,
                                       std::int64_t expires_at_ms) override;
  Result<std::optional<MediaObject>> stat(std::string_view key) override;
  // Deletes the object under `key`; succeeds when there is none (S3 does not tell).
  Result<void> remove(std::string_view key);

 private:
  struct Reply {
    long status = 0;
    std::string content_type;
    std::int64_t content_length = -1; // -1: not given
  };
  class Connections; // idle libcurl handles, each keeping its connection to the store

  Result<Reply> send(const std::string& method, std::string_view key);
  // The URL's lifetime in seconds from now, for an expiry the caller asked for.
  std::int64_t expires_in_s(std::int64_t expires_at_ms) const;

  S3MediaConfig config_;
  const Clock& clock_;
  std::unique_ptr<Connections> connections_;
};

} // namespace parley

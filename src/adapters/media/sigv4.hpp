#pragma once
// AWS Signature Version 4 for S3 and S3-compatible stores (MinIO). Two forms:
// - presign_url: query-string pre-signing, a URL that lets whoever holds it GET or PUT one
//   object until it expires, without credentials of their own;
// - sign_request: an Authorization header, for the server's own requests without a body
//   (HEAD to stat an object, DELETE to remove it).
// Pure computation: no clock, no I/O, no global state; the caller
// passes the time. Follows S3's variant of SigV4, which differs from other AWS services:
// the key is percent-encoded once (not twice) and its path is not normalised. Pre-signed
// URLs leave the payload unsigned (UNSIGNED-PAYLOAD); signed requests have none.
//
// Every input is checked and every problem is an Error::invalid with one of these codes:
//   s3_bad_endpoint     not http(s)://host[:port] (no path, query or user), or an IP
//                       endpoint with virtual-hosted addressing
//   s3_bad_bucket       not a DNS-compatible bucket name, or dots in it with virtual-hosted
//                       https (the certificate's wildcard would not match)
//   s3_bad_region       empty or not a-z 0-9 -
//   s3_bad_credentials  empty access key id or secret, '/' or a control character in the
//                       access key id, a control character in the session token
//   s3_bad_method       presign_url: not GET or PUT; sign_request: not GET, HEAD or DELETE
//   s3_empty_key, s3_key_too_long (over 1024 bytes)
//   s3_bad_key          invalid UTF-8, a control character, or a "." or ".." segment
//                       (HTTP clients would rewrite the path and break the signature)
//   s3_bad_expiry       expires_s outside 1..604800 (S3's limit is 7 days)
//   s3_bad_time         now_s before 1970 or after 9999
//   s3_bad_header       a name that is empty, not a lower-case HTTP token, "host" or given
//                       twice; a value with a control or non-ASCII character; for
//                       sign_request also authorization and the x-amz-* headers it sets
//   s3_bad_query        an empty name, one of the X-Amz-* parameters the signature sets,
//                       invalid UTF-8 or a control character

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace parley {

struct S3Location {
  // scheme://host[:port], e.g. https://s3.eu-west-1.amazonaws.com or http://127.0.0.1:9000.
  // The host is lower-cased and a default port (80, 443) dropped, as HTTP clients do.
  std::string endpoint;
  std::string bucket; // 3-63 of a-z 0-9 . -, starting and ending with a letter or digit
  std::string region; // e.g. eu-west-1 (MinIO: us-east-1 unless configured otherwise)
  // true: scheme://host/bucket/key (MinIO, IP endpoints). false: virtual-hosted,
  // scheme://bucket.host/key (AWS's default).
  bool path_style = false;
};

struct S3Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token; // temporary (STS) credentials only; empty otherwise
};

struct PresignRequest {
  std::string method;         // "GET" or "PUT"
  std::string key;            // the object key, UTF-8, 1-1024 bytes
  std::int64_t now_s = 0;     // signing time, Unix seconds; the URL is valid from then...
  std::int64_t expires_s = 0; // ...for this many seconds, 1..604800
  // Headers the request must then carry with exactly these values (up to surrounding and
  // repeated spaces), besides host, which is always signed. Lower-case names, e.g.
  // {"content-type", "image/png"} so that a PUT cannot store another type.
  std::vector<std::pair<std::string, std::string>> signed_headers;
  // Extra query parameters, signed too, e.g. {"response-content-disposition", "attachment"}.
  std::vector<std::pair<std::string, std::string>> query;
};

struct PresignedUrl {
  std::string url;
  // The texts that were signed. S3 answers a bad signature with SignatureDoesNotMatch and
  // its own CanonicalRequest and StringToSign: comparing them finds the difference.
  std::string canonical_request;
  std::string string_to_sign;
};

// Signs `request` for the object at `location`. The URL's query holds the canonical query
// (sorted) followed by X-Amz-Signature; its host is the one that was signed. The URL is a
// bearer credential until it expires: never log it (nor the canonical request, which holds
// any session token).
Result<PresignedUrl> presign_url(const S3Location& location, const S3Credentials& credentials,
                                 const PresignRequest& request);

struct SignRequest {
  std::string method;     // "GET", "HEAD" or "DELETE"
  std::string key;        // the object key, UTF-8, 1-1024 bytes
  std::int64_t now_s = 0; // signing time, Unix seconds; S3 refuses it 15 minutes either side
  // Headers to sign and send besides host, lower-case names, e.g. {"range", "bytes=0-9"}.
  std::vector<std::pair<std::string, std::string>> signed_headers;
  std::vector<std::pair<std::string, std::string>> query; // signed too
};

struct SignedRequest {
  std::string url; // scheme://host/path[?query]; its host is the one that was signed
  // To send with it, besides Host (which HTTP clients derive from the URL): the caller's
  // headers, x-amz-content-sha256, x-amz-date, x-amz-security-token (temporary credentials
  // only) and authorization, in that order, with lower-case names.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string canonical_request;
  std::string string_to_sign;
};

// Signs `request`, a request without a body, with an Authorization header (the payload hash
// is that of the empty body). The headers are credentials until the signing time is 15
// minutes past: never log them.
Result<SignedRequest> sign_request(const S3Location& location, const S3Credentials& credentials,
                                   const SignRequest& request);

// The SigV4 signing key (kSigning, 32 raw bytes) for `date` (yyyymmdd): HMAC-SHA256 chained
// over date, region, service and "aws4_request", starting from "AWS4" + secret.
std::string sigv4_signing_key(std::string_view secret_access_key, std::string_view date, std::string_view region,
                              std::string_view service);

} // namespace parley

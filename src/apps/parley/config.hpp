#pragma once
// The settings of the all-in-one `parley` server, declared once in kParleyOptions.

#include <array>
#include <cstdint>
#include <string>

#include "core/config.hpp"

namespace parley {

struct ParleyConfig {
  std::string listen;
  std::string data_dir;
  std::string web_dir;
  std::int64_t io_threads = 0;
  std::int64_t handler_threads = 0;
  std::int64_t node_id = 0;
  std::string log_level;
  std::string cors_origins;
  std::int64_t max_body_bytes = 0;
  std::int64_t max_header_bytes = 0;
  std::int64_t max_connections = 0;
  std::int64_t read_timeout_s = 0;
  std::int64_t idle_timeout_s = 0;
  std::int64_t shutdown_grace_s = 0;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string jwt_key_file;
  std::string jwt_issuer;
  std::int64_t access_ttl_s = 0;
  std::int64_t refresh_ttl_s = 0;
  std::int64_t otp_ttl_s = 0;
  std::int64_t otp_max_attempts = 0;
  std::int64_t otp_resend_cooldown_s = 0;
  std::int64_t rate_ip_per_min = 0;
  std::int64_t rate_account_per_min = 0;
  std::int64_t argon2_opslimit = 0;
  std::int64_t argon2_memlimit_kib = 0;
  std::string smtp_url;
  bool smtp_starttls = false;
  std::string smtp_username;
  std::string smtp_password;
  std::string mail_from;
  std::int64_t max_group_members = 0;
  std::int64_t ws_max_frame_bytes = 0;
  std::int64_t ws_queue_frames = 0;
  std::int64_t ws_idle_timeout_s = 0;
  std::int64_t ws_frames_per_sec = 0;
  std::int64_t ws_frame_burst = 0;
  std::int64_t ws_sync_limit = 0;
  std::int64_t send_per_min = 0;
  std::int64_t send_burst = 0;
  std::int64_t notify_delay_s = 0;
  bool notify_email_digest = false;
  std::int64_t notify_digest_after_s = 0;
  std::string public_url;
  std::int64_t media_max_bytes = 0;
  std::string media_types;
  std::int64_t media_upload_ttl_s = 0;
  std::int64_t media_download_ttl_s = 0;
  std::string media_storage;
  std::string s3_endpoint;
  std::string s3_bucket;
  std::string s3_region;
  bool s3_path_style = false;
  std::string s3_access_key_id;
  std::string s3_secret_access_key;
  std::string s3_session_token;
  std::int64_t s3_timeout_ms = 0;
};

using P = ParleyConfig;
inline constexpr std::array<ConfigOption<P>, 58> kParleyOptions{{
    {"PARLEY_LISTEN", "127.0.0.1:8080", "Address and port to serve HTTP on (port 0: any free port).", &P::listen},
    {"PARLEY_DATA_DIR", "./data", "Directory for the database, keys, mail and media.", &P::data_dir},
    {"PARLEY_WEB_DIR", "./web/dist", "The built web client, served at / (absent: only the API is served).",
     &P::web_dir},
    {"PARLEY_IO_THREADS", "0", "Network threads (0: one per core).", &P::io_threads, 0, 256},
    {"PARLEY_HANDLER_THREADS", "0", "Threads for request handlers (0: four per core).", &P::handler_threads, 0, 1024},
    {"PARLEY_NODE_ID", "0", "This node's id (0-1023), part of every generated id.", &P::node_id, 0, 1023},
    {"PARLEY_LOG_LEVEL", "info", "debug, info, warn or error.", &P::log_level},
    {"PARLEY_CORS_ORIGINS", "http://localhost:5173,http://127.0.0.1:5173",
     "Comma-separated origins allowed to call the API from a browser.", &P::cors_origins},
    {"PARLEY_MAX_BODY_BYTES", "1048576", "Largest accepted request body.", &P::max_body_bytes, 1024, 1LL << 30},
    {"PARLEY_MAX_HEADER_BYTES", "16384", "Largest accepted request header block.", &P::max_header_bytes, 1024, 1 << 20},
    {"PARLEY_MAX_CONNECTIONS", "18000", "Connections (HTTP and WebSocket) served at once; more are refused.",
     &P::max_connections, 1, 1000000},
    {"PARLEY_READ_TIMEOUT_S", "15", "Seconds to receive a whole request once it started.", &P::read_timeout_s, 1, 3600},
    {"PARLEY_IDLE_TIMEOUT_S", "60", "Seconds a kept-alive connection may wait for its next request.",
     &P::idle_timeout_s, 1, 86400},
    {"PARLEY_SHUTDOWN_GRACE_S", "10", "Seconds in-flight requests get to finish at shutdown.", &P::shutdown_grace_s, 0,
     600},
    {"PARLEY_TLS_CERT_FILE", "",
     "PEM certificate chain (the server's first): with PARLEY_TLS_KEY_FILE, HTTPS and WSS on PARLEY_LISTEN "
     "(empty: plain HTTP).",
     &P::tls_cert_file},
    {"PARLEY_TLS_KEY_FILE", "", "PEM private key of PARLEY_TLS_CERT_FILE's certificate.", &P::tls_key_file},
    {"PARLEY_JWT_KEY_FILE", "",
     "Ed25519 signing key file (empty: <data>/keys/jwt-ed25519.key, created on first start).", &P::jwt_key_file},
    {"PARLEY_JWT_ISSUER", "parley", "The iss claim of access tokens.", &P::jwt_issuer},
    {"PARLEY_ACCESS_TTL_S", "900", "Access token lifetime in seconds.", &P::access_ttl_s, 1, 86400},
    {"PARLEY_REFRESH_TTL_S", "2592000", "Refresh token lifetime in seconds.", &P::refresh_ttl_s, 60, 31536000},
    {"PARLEY_OTP_TTL_S", "600", "Lifetime of e-mailed codes in seconds.", &P::otp_ttl_s, 1, 86400},
    {"PARLEY_OTP_MAX_ATTEMPTS", "5", "Wrong guesses before a code is burnt.", &P::otp_max_attempts, 1, 100},
    {"PARLEY_OTP_RESEND_COOLDOWN_S", "60", "Seconds between verification mails to one address (0: none).",
     &P::otp_resend_cooldown_s, 0, 86400},
    {"PARLEY_RATE_IP_PER_MIN", "30", "Auth requests per minute per IP and route (token bucket).", &P::rate_ip_per_min,
     1, 1000000},
    {"PARLEY_RATE_ACCOUNT_PER_MIN", "10", "Auth requests per minute per e-mail and route.", &P::rate_account_per_min, 1,
     1000000},
    {"PARLEY_ARGON2_OPSLIMIT", "2", "Argon2id passes (libsodium opslimit).", &P::argon2_opslimit, 1, 64},
    {"PARLEY_ARGON2_MEMLIMIT_KIB", "65536", "Argon2id memory in KiB.", &P::argon2_memlimit_kib, 8, 4194304},
    {"PARLEY_SMTP_URL", "", "smtp://host:port or smtps://host:port (empty: mails are written to <data>/mail).",
     &P::smtp_url},
    {"PARLEY_SMTP_STARTTLS", "false", "Require STARTTLS on smtp:// URLs.", &P::smtp_starttls},
    {"PARLEY_SMTP_USERNAME", "", "SMTP user name.", &P::smtp_username},
    {"PARLEY_SMTP_PASSWORD", "", "SMTP password (never printed).", &P::smtp_password, 0, 0, true},
    {"PARLEY_MAIL_FROM", "no-reply@parley.local", "Sender address of Parley's mails.", &P::mail_from},
    {"PARLEY_MAX_GROUP_MEMBERS", "1000", "Members a group may have.", &P::max_group_members, 2, 100000},
    {"PARLEY_WS_MAX_FRAME_BYTES", "65536", "Largest WebSocket frame a client may send; larger ones close it.",
     &P::ws_max_frame_bytes, 1024, 16 << 20},
    {"PARLEY_WS_QUEUE_FRAMES", "1024",
     "Outbound frames queued per connection; a client that falls further behind is "
     "closed (4408) and catches up with sync.",
     &P::ws_queue_frames, 1, 1 << 20},
    {"PARLEY_WS_IDLE_TIMEOUT_S", "30", "Seconds of silence before a WebSocket is closed (a ping goes out after half).",
     &P::ws_idle_timeout_s, 2, 3600},
    {"PARLEY_WS_FRAMES_PER_SEC", "20", "Frames per second a connection may send (sustained).", &P::ws_frames_per_sec, 1,
     1000000},
    {"PARLEY_WS_FRAME_BURST", "60", "Frames a connection may send in a burst.", &P::ws_frame_burst, 1, 1000000},
    {"PARLEY_WS_SYNC_LIMIT", "500", "Missed messages per chat that sync replays; more answer resync_required.",
     &P::ws_sync_limit, 1, 100000},
    {"PARLEY_SEND_PER_MIN", "600",
     "Messages a user may send per minute (sustained), over all connections and REST together.", &P::send_per_min, 1,
     1000000},
    {"PARLEY_SEND_BURST", "120", "Messages a user may send in a burst.", &P::send_burst, 1, 1000000},
    {"PARLEY_NOTIFY_DELAY_S", "15", "Seconds an online member has to read a message before it becomes a notification.",
     &P::notify_delay_s, 0, 86400},
    {"PARLEY_NOTIFY_EMAIL_DIGEST", "false", "Mail offline users a digest of their unread notifications.",
     &P::notify_email_digest},
    {"PARLEY_NOTIFY_DIGEST_AFTER_S", "600", "Seconds a notification stays unread before it goes into a digest.",
     &P::notify_digest_after_s, 1, 604800},
    {"PARLEY_PUBLIC_URL", "", "How clients reach this server, for the URLs it hands out (empty: http://PARLEY_LISTEN).",
     &P::public_url},
    {"PARLEY_MEDIA_MAX_BYTES", "26214400", "Largest file that may be uploaded.", &P::media_max_bytes, 1, 1LL << 34},
    {"PARLEY_MEDIA_TYPES",
     "image/jpeg,image/png,image/gif,image/webp,image/heic,video/mp4,video/webm,video/quicktime,audio/mpeg,"
     "audio/ogg,audio/webm,audio/mp4,audio/wav,application/pdf,text/plain,text/csv,application/zip,"
     "application/msword,application/vnd.openxmlformats-officedocument.wordprocessingml.document,"
     "application/vnd.ms-excel,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,"
     "application/vnd.ms-powerpoint,application/vnd.openxmlformats-officedocument.presentationml.presentation,"
     "application/vnd.oasis.opendocument.text,application/vnd.oasis.opendocument.spreadsheet",
     "Comma-separated content types that may be uploaded.", &P::media_types},
    {"PARLEY_MEDIA_UPLOAD_TTL_S", "900", "Seconds an upload URL stays valid.", &P::media_upload_ttl_s, 1, 604800},
    {"PARLEY_MEDIA_DOWNLOAD_TTL_S", "3600", "Seconds a download URL stays valid.", &P::media_download_ttl_s, 1, 604800},
    {"PARLEY_MEDIA_STORAGE", "local",
     "Where uploads are stored: local (<data>/media, served by Parley) or s3 (an S3 or S3-compatible bucket).",
     &P::media_storage},
    {"PARLEY_S3_ENDPOINT", "", "S3 endpoint, scheme://host[:port] (empty: https://s3.<region>.amazonaws.com).",
     &P::s3_endpoint},
    {"PARLEY_S3_BUCKET", "", "The bucket uploads go to (required with s3).", &P::s3_bucket},
    {"PARLEY_S3_REGION", "us-east-1", "The bucket's region (MinIO: us-east-1 unless configured otherwise).",
     &P::s3_region},
    {"PARLEY_S3_PATH_STYLE", "false",
     "Address the bucket as endpoint/bucket/key (MinIO, IP endpoints) instead of bucket.endpoint/key.",
     &P::s3_path_style},
    {"PARLEY_S3_ACCESS_KEY_ID", "", "Access key id (required with s3).", &P::s3_access_key_id},
    {"PARLEY_S3_SECRET_ACCESS_KEY", "", "Secret access key (required with s3; never printed).",
     &P::s3_secret_access_key, 0, 0, true},
    {"PARLEY_S3_SESSION_TOKEN", "", "Session token of temporary credentials (never printed).", &P::s3_session_token, 0,
     0, true},
    {"PARLEY_S3_TIMEOUT_MS", "5000", "Milliseconds Parley waits for each of its own requests to S3 (stat, delete).",
     &P::s3_timeout_ms, 100, 600000},
}};

} // namespace parley

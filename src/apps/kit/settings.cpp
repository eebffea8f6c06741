#include "apps/kit/settings.hpp"

#include <filesystem>
#include <stdexcept>

#include "adapters/localfs/local_media_storage.hpp"
#include "adapters/mail/file_mailer.hpp"
#include "adapters/mail/smtp_mailer.hpp"
#include "adapters/media/s3_media_storage.hpp"
#include "transport/http/tls.hpp"

namespace parley {

http::ServerConfig server_config(const ParleyConfig& c) {
  http::ServerConfig s;
  if (!parse_host_port(c.listen, s.host, s.port))
    throw std::runtime_error("PARLEY_LISTEN must be host:port, with a port from 0 to 65535");
  s.io_threads = static_cast<int>(c.io_threads);
  s.handler_threads = static_cast<int>(c.handler_threads);
  s.max_body_bytes = static_cast<std::size_t>(c.max_body_bytes);
  s.max_header_bytes = static_cast<std::size_t>(c.max_header_bytes);
  s.max_connections = static_cast<std::size_t>(c.max_connections);
  s.read_timeout = std::chrono::seconds(c.read_timeout_s);
  s.idle_timeout = std::chrono::seconds(c.idle_timeout_s);
  s.shutdown_grace = std::chrono::seconds(c.shutdown_grace_s);
  s.cors_origins = split_list(c.cors_origins);
  s.large_body_prefixes = {{"/api/v1/media/blob/", static_cast<std::size_t>(c.media_max_bytes)}};
  s.tls = http::make_tls_context(c.tls_cert_file, c.tls_key_file);
  return s;
}

std::unique_ptr<Mailer> make_mailer(const ParleyConfig& c, const Clock& clock) {
  if (c.smtp_url.empty())
    return std::make_unique<FileMailer>(std::filesystem::path(c.data_dir) / "mail", c.mail_from, clock);
  return std::make_unique<SmtpMailer>(
      SmtpConfig{c.smtp_url, c.mail_from, c.smtp_username, c.smtp_password, c.smtp_starttls}, clock);
}

RealtimeConfig realtime_config(const ParleyConfig& c) {
  RealtimeConfig r;
  r.limits.max_frame_bytes = static_cast<std::size_t>(c.ws_max_frame_bytes);
  r.limits.max_queued_frames = static_cast<std::size_t>(c.ws_queue_frames);
  r.limits.idle_timeout = std::chrono::seconds(c.ws_idle_timeout_s);
  r.frames_per_sec = static_cast<double>(c.ws_frames_per_sec);
  r.frame_burst = static_cast<double>(c.ws_frame_burst);
  r.sync_limit = static_cast<int>(c.ws_sync_limit);
  return r;
}

AuthConfig auth_config(const ParleyConfig& c) {
  return {std::chrono::seconds(c.refresh_ttl_s), std::chrono::seconds(c.otp_ttl_s),
          static_cast<int>(c.otp_max_attempts),  std::chrono::seconds(c.otp_resend_cooldown_s),
          static_cast<int>(c.rate_ip_per_min),   static_cast<int>(c.rate_account_per_min)};
}

PasswordHasher password_hasher(const ParleyConfig& c) {
  return PasswordHasher(static_cast<unsigned long long>(c.argon2_opslimit),
                        static_cast<std::size_t>(c.argon2_memlimit_kib) * 1024);
}

std::filesystem::path signing_key_file(const ParleyConfig& c) {
  return c.jwt_key_file.empty() ? std::filesystem::path(c.data_dir) / "keys" / "jwt-ed25519.key"
                                : std::filesystem::path(c.jwt_key_file);
}

std::string public_url(const ParleyConfig& c) {
  if (!c.public_url.empty()) return c.public_url;
  return (c.tls_cert_file.empty() ? "http://" : "https://") + c.listen;
}

MediaConfig media_config(const ParleyConfig& c) {
  return {c.media_max_bytes, split_list(c.media_types), std::chrono::seconds(c.media_upload_ttl_s),
          std::chrono::seconds(c.media_download_ttl_s)};
}

namespace {

S3MediaConfig s3_media_config(const ParleyConfig& c) {
  return {{c.s3_endpoint.empty() ? "https://s3." + c.s3_region + ".amazonaws.com" : c.s3_endpoint, c.s3_bucket,
           c.s3_region, c.s3_path_style},
          {c.s3_access_key_id, c.s3_secret_access_key, c.s3_session_token},
          std::chrono::milliseconds(c.s3_timeout_ms)};
}

// The setting behind a code of S3MediaStorage::check().
std::string s3_setting(std::string_view code) {
  if (code == "s3_bad_endpoint") return "PARLEY_S3_ENDPOINT";
  if (code == "s3_bad_bucket") return "PARLEY_S3_BUCKET";
  if (code == "s3_bad_region") return "PARLEY_S3_REGION";
  if (code == "s3_bad_header") return "PARLEY_S3_SESSION_TOKEN"; // the only header taken from settings
  if (code == "s3_bad_credentials") return "PARLEY_S3_ACCESS_KEY_ID/PARLEY_S3_SECRET_ACCESS_KEY";
  return "PARLEY_S3_*";
}

} // namespace

std::vector<std::string> media_storage_problems(const ParleyConfig& c) {
  if (c.media_storage == "local") return {};
  if (c.media_storage != "s3") return {"PARLEY_MEDIA_STORAGE: expected local or s3, got '" + c.media_storage + "'"};
  std::vector<std::string> problems;
  for (const auto& [name, value] : {std::pair<std::string_view, const std::string*>{"PARLEY_S3_BUCKET", &c.s3_bucket},
                                    {"PARLEY_S3_ACCESS_KEY_ID", &c.s3_access_key_id},
                                    {"PARLEY_S3_SECRET_ACCESS_KEY", &c.s3_secret_access_key}}) {
    if (value->empty()) problems.push_back(std::string(name) + ": required with PARLEY_MEDIA_STORAGE=s3");
  }
  if (problems.empty()) {
    if (auto ok = S3MediaStorage::check(s3_media_config(c)); !ok)
      problems.push_back(s3_setting(ok.error().code) + ": " + ok.error().message);
  }
  return problems;
}

std::string media_upload_origin(const ParleyConfig& c) {
  return c.media_storage == "s3" ? S3MediaStorage::origin(s3_media_config(c)) : "";
}

std::unique_ptr<MediaStorage> make_media_storage(const ParleyConfig& c, std::string local_secret, const Clock& clock) {
  if (const auto problems = media_storage_problems(c); !problems.empty()) throw std::invalid_argument(problems.front());
  if (c.media_storage == "s3") return std::make_unique<S3MediaStorage>(s3_media_config(c), clock);
  return std::make_unique<LocalMediaStorage>(std::filesystem::path(c.data_dir) / "media", public_url(c),
                                             std::move(local_secret), clock);
}

NotificationConfig notification_config(const ParleyConfig& c) {
  return {std::chrono::seconds(c.notify_delay_s), c.notify_email_digest, std::chrono::seconds(c.notify_digest_after_s)};
}

} // namespace parley

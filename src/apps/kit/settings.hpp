#pragma once
// Settings turned into the services' and the server's own configuration structs, shared by
// the all-in-one `parley` and the per-service executables.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "apps/parley/config.hpp"
#include "core/clock.hpp"
#include "core/text.hpp"
#include "ports/mailer.hpp"
#include "ports/media_storage.hpp"
#include "services/auth/password_hasher.hpp"
#include "services/auth/service.hpp"
#include "services/media/service.hpp"
#include "services/notification/service.hpp"
#include "services/realtime/service.hpp"
#include "transport/http/server.hpp"

namespace parley {

// Throws std::runtime_error when PARLEY_LISTEN is not host:port with a port from 0 to 65535.
http::ServerConfig server_config(const ParleyConfig& c);
// SMTP when PARLEY_SMTP_URL is set, otherwise files under <data>/mail.
std::unique_ptr<Mailer> make_mailer(const ParleyConfig& c, const Clock& clock);
RealtimeConfig realtime_config(const ParleyConfig& c);
AuthConfig auth_config(const ParleyConfig& c);
PasswordHasher password_hasher(const ParleyConfig& c);
// PARLEY_JWT_KEY_FILE, or <data>/keys/jwt-ed25519.key
std::filesystem::path signing_key_file(const ParleyConfig& c);
std::string public_url(const ParleyConfig& c);
MediaConfig media_config(const ParleyConfig& c);
// What is wrong with the PARLEY_MEDIA_STORAGE and PARLEY_S3_* settings together (e.g. s3
// without a bucket), every problem found; empty when they are usable. Never quotes a secret.
std::vector<std::string> media_storage_problems(const ParleyConfig& c);
// The storage PARLEY_MEDIA_STORAGE names: the S3 bucket, or files under <data>/media whose
// URLs are signed with `local_secret`. Throws on settings media_storage_problems() refuses.
// Where browsers send uploads besides this server: the bucket's origin with s3, else "".
std::string media_upload_origin(const ParleyConfig& c);
std::unique_ptr<MediaStorage> make_media_storage(const ParleyConfig& c, std::string local_secret, const Clock& clock);
NotificationConfig notification_config(const ParleyConfig& c);

} // namespace parley

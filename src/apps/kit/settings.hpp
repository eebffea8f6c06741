#pragma once
// Settings turned into the services' and the server's own configuration structs, shared by
// the all-in-one `parley` and the per-service executables.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "apps/parley/config.hpp"
#include "core/clock.hpp"
#include "ports/mailer.hpp"
#include "services/auth/password_hasher.hpp"
#include "services/auth/service.hpp"
#include "services/media/service.hpp"
#include "services/notification/service.hpp"
#include "services/realtime/service.hpp"
#include "transport/http/server.hpp"

namespace parley {

// "a,b,,c" -> {"a", "b", "c"}
std::vector<std::string> split_list(const std::string& text);
// Throws std::runtime_error when PARLEY_LISTEN is not host:port.
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
NotificationConfig notification_config(const ParleyConfig& c);

} // namespace parley

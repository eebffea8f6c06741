#include "services/user/service.hpp"

#include "core/base64url.hpp"
#include "core/log.hpp"
#include "domain/validation.hpp"

namespace parley {
namespace {
const Logger kLog{"user"};
} // namespace

UserService::UserService(ProfileStore& profiles, AccountAdmin& accounts, const Clock& clock)
    : profiles_(profiles), accounts_(accounts), clock_(clock) {}

Result<Profile> UserService::get(std::string_view id) {
  auto found = profiles_.find_by_id(id);
  if (!found) return fail(found.error());
  if (!*found) return fail(Error::not_found("user_not_found", "no such user"));
  return std::move(**found);
}

Result<Profile> UserService::update(std::string_view id, const ProfilePatch& patch) {
  auto profile = get(id);
  if (!profile) return profile;
  if (patch.display_name) {
    auto name = domain::normalize_display_name(*patch.display_name);
    if (!name) return fail(name.error());
    profile->display_name = std::move(*name);
  }
  if (patch.bio) {
    if (auto ok = domain::check_bio(*patch.bio); !ok) return fail(ok.error());
    profile->bio = *patch.bio;
  }
  if (patch.avatar_url) {
    if (auto ok = domain::check_avatar_url(*patch.avatar_url); !ok) return fail(ok.error());
    profile->avatar_url = *patch.avatar_url;
  }
  profile->updated_at_ms = clock_.now_ms();
  if (auto ok = profiles_.update(*profile); !ok) return fail(ok.error());
  return profile;
}

Result<ProfilePage> UserService::search(std::string_view query, std::string_view cursor, int limit) {
  if (query.empty() || !domain::is_valid_utf8(query) || domain::utf8_length(query) > kMaxQuery)
    return fail(Error::invalid("invalid_query", "q must be 1-64 characters"));
  if (limit < 1 || limit > kMaxSearchLimit) return fail(Error::invalid("invalid_query", "limit must be 1-50"));
  std::string after;
  if (!cursor.empty()) {
    const auto decoded = base64url_decode(cursor);
    if (!decoded) return fail(Error::invalid("invalid_cursor", "the cursor is not valid"));
    after = *decoded;
  }
  // One extra row tells whether another page exists.
  auto rows = profiles_.search(query, after, limit + 1);
  if (!rows) return fail(rows.error());
  ProfilePage page;
  if (static_cast<int>(rows->size()) > limit) {
    rows->resize(static_cast<std::size_t>(limit));
    page.next_cursor = base64url_encode(rows->back().username);
  }
  page.items = std::move(*rows);
  return page;
}

Result<void> UserService::delete_account(std::string_view id, std::string_view password) {
  if (auto ok = accounts_.close_account(id, password); !ok) return ok;
  kLog.info("profile deleted", {{"user", std::string(id)}});
  return profiles_.remove(id);
}

Result<void> ProfileDirectory::create_profile(const NewProfile& p) {
  const auto now = clock_.now_ms();
  return profiles_.insert(Profile{p.id, p.username, p.email, p.display_name, "", "", now, now});
}

Result<void> ProfileDirectory::remove_profile(std::string_view id) { return profiles_.remove(id); }

} // namespace parley

namespace parley {

Result<bool> ProfileDirectory::exists(std::string_view id) {
  auto found = profiles_.find_by_id(id);
  if (!found) return fail(found.error());
  return found->has_value();
}

} // namespace parley

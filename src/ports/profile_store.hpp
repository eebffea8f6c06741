#pragma once
// User service's profiles: public identity of a user. Owned by the user service alone.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace parley {

struct Profile {
  std::string id;
  std::string username; // normalised lower-case, unique
  std::string email;    // contact address, shown to its owner only
  std::string display_name;
  std::string bio;
  std::string avatar_url;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
};

class ProfileStore {
 public:
  virtual ~ProfileStore() = default;
  // Fails with conflict "username_taken" when the username is used.
  virtual Result<void> insert(const Profile& profile) = 0;
  virtual Result<std::optional<Profile>> find_by_id(std::string_view id) = 0;
  virtual Result<std::optional<Profile>> find_by_username(std::string_view username) = 0;
  // Replaces display_name, bio, avatar_url and updated_at_ms of an existing profile.
  virtual Result<void> update(const Profile& profile) = 0;
  virtual Result<void> remove(std::string_view id) = 0;
  // Profiles whose username or display name starts with `prefix` (case-insensitive),
  // ordered by username, strictly after username `after` (empty: from the start).
  virtual Result<std::vector<Profile>> search(std::string_view prefix, std::string_view after, int limit) = 0;
};

} // namespace parley

#pragma once
// The user service: profiles, search, and account deletion (with the auth service).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "ports/account_admin.hpp"
#include "ports/profile_store.hpp"
#include "ports/user_directory.hpp"

namespace parley {

struct ProfilePatch {
  std::optional<std::string> display_name;
  std::optional<std::string> bio;
  std::optional<std::string> avatar_url;
};

struct ProfilePage {
  std::vector<Profile> items;
  std::optional<std::string> next_cursor; // opaque; absent on the last page
};

// What other services may do to profiles: create one at registration, remove it.
class ProfileDirectory final : public UserDirectory {
 public:
  ProfileDirectory(ProfileStore& profiles, const Clock& clock) : profiles_(profiles), clock_(clock) {}
  Result<void> create_profile(const NewProfile& profile) override;
  Result<void> remove_profile(std::string_view id) override;
  Result<bool> exists(std::string_view id) override;

 private:
  ProfileStore& profiles_;
  const Clock& clock_;
};

class UserService {
 public:
  static constexpr int kMaxSearchLimit = 50;
  static constexpr std::size_t kMaxQuery = 64; // characters, as display names are counted

  UserService(ProfileStore& profiles, AccountAdmin& accounts, const Clock& clock);

  Result<Profile> get(std::string_view id);
  Result<Profile> update(std::string_view id, const ProfilePatch& patch);
  // Prefix search over usernames and display names; `cursor` comes from a previous page.
  Result<ProfilePage> search(std::string_view query, std::string_view cursor, int limit);
  // Needs the password. The profile goes; the user's messages stay, shown as from a deleted user.
  Result<void> delete_account(std::string_view id, std::string_view password);

 private:
  ProfileStore& profiles_;
  AccountAdmin& accounts_;
  const Clock& clock_;
};

} // namespace parley

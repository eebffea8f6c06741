#pragma once
// ProfileStore on SQLite (table user_profiles).
// Search is case-insensitive for ASCII letters only: usernames are normalised by the
// caller, display names are matched through a lower-cased copy kept in the row.

#include "adapters/sqlite/database.hpp"
#include "ports/profile_store.hpp"

namespace parley {

class SqliteProfileStore final : public ProfileStore {
 public:
  explicit SqliteProfileStore(SqliteDatabase& db) : db_(db) {}

  Result<void> insert(const Profile& profile) override;
  Result<std::optional<Profile>> find_by_id(std::string_view id) override;
  Result<std::optional<Profile>> find_by_username(std::string_view username) override;
  // Fails with not_found "profile_not_found" when the id is unknown.
  Result<void> update(const Profile& profile) override;
  // Removing a missing profile is not an error.
  Result<void> remove(std::string_view id) override;
  // A limit <= 0 yields an empty page.
  Result<std::vector<Profile>> search(std::string_view prefix, std::string_view after, int limit) override;

 private:
  SqliteDatabase& db_;
};

} // namespace parley

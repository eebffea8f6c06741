#pragma once
// ProfileStore on MongoDB (database "parley_user" by default): collection profiles
// (unique username; display_name_lower is display_name case-folded by the store, so
// prefix search is case-insensitive). Search uses anchored regular expressions whose
// every ASCII punctuation character is escaped: the client's prefix is matched
// literally ("%", "_", ".", "\" and "$" included).

#include <string>

#include "adapters/mongo/mongo_client.hpp"
#include "ports/profile_store.hpp"

namespace parley {

class MongoProfileStore final : public ProfileStore {
 public:
  explicit MongoProfileStore(MongoPool& pool, std::string database = "parley_user") : db_(pool, std::move(database)) {}

  // Creates the collection's indexes (idempotent). Call once at start.
  Result<void> create_indexes();

  // Conflict "username_taken", or "profile_exists" for a taken id.
  Result<void> insert(const Profile& profile) override;
  Result<std::optional<Profile>> find_by_id(std::string_view id) override;
  Result<std::optional<Profile>> find_by_username(std::string_view username) override;
  // Fails with not_found "profile_not_found" when the id is unknown.
  Result<void> update(const Profile& profile) override;
  // Removing a missing profile is not an error.
  Result<void> remove(std::string_view id) override;
  // A limit <= 0 yields an empty page; a prefix holding a NUL byte matches nothing.
  Result<std::vector<Profile>> search(std::string_view prefix, std::string_view after, int limit) override;

 private:
  Result<std::optional<Profile>> find_one(const BsonDoc& filter);

  MongoDatabase db_;
};

} // namespace parley

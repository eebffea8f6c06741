#include "adapters/mongo/mongo_profile_store.hpp"

#include "core/text.hpp"

namespace parley {

namespace {

constexpr const char* kProfiles = "profiles";

Profile read_profile(const BsonDoc& d) {
  Profile p;
  p.id = d.get_str("_id");
  p.username = d.get_str("username");
  p.email = d.get_str("email");
  p.display_name = d.get_str("display_name");
  p.bio = d.get_str("bio");
  p.avatar_url = d.get_str("avatar_url");
  p.created_at_ms = d.get_i64("created_at_ms");
  p.updated_at_ms = d.get_i64("updated_at_ms");
  return p;
}

bool is_ascii_punctuation(char c) {
  return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') || (c >= '{' && c <= '~');
}

// "^" + `literal` with every ASCII punctuation character escaped: a literal prefix match
// in both PCRE (MongoDB) and RE2 (FerretDB), which both read "\" + punctuation as that
// character. Other bytes (letters, digits, spaces, UTF-8) stand for themselves.
std::string prefix_pattern(std::string_view literal) {
  std::string out = "^";
  for (char c : literal) {
    if (is_ascii_punctuation(c)) out += '\\';
    out += c;
  }
  return out;
}

BsonDoc starts_with(const char* field, const std::string& pattern) {
  BsonDoc regex;
  regex.str("$regex", pattern).str("$options", "");
  return bson_sub(field, regex);
}

} // namespace

Result<void> MongoProfileStore::create_indexes() {
  return db_.create_indexes(kProfiles, {{"username", {{"username", 1}}, true},
                                        {"display_name", {{"display_name_lower", 1}, {"username", 1}}}});
}

Result<void> MongoProfileStore::insert(const Profile& profile) {
  BsonDoc doc;
  doc.str("_id", profile.id)
      .str("username", profile.username)
      .str("email", profile.email)
      .str("display_name", profile.display_name)
      .str("display_name_lower", fold_case(profile.display_name))
      .str("bio", profile.bio)
      .str("avatar_url", profile.avatar_url)
      .i64("created_at_ms", profile.created_at_ms)
      .i64("updated_at_ms", profile.updated_at_ms);
  auto r = db_.insert_one(kProfiles, doc);
  if (r) return {};
  if (!is_duplicate_key(r.error())) return fail(r.error());
  auto taken = db_.count(kProfiles, bson_str("username", profile.username));
  if (!taken) return fail(taken.error());
  if (*taken > 0) return fail(Error::conflict("username_taken", "this username is already taken"));
  return fail(Error::conflict("profile_exists", "a profile with this id already exists"));
}

Result<std::optional<Profile>> MongoProfileStore::find_one(const BsonDoc& filter) {
  auto found = db_.find_one(kProfiles, filter);
  if (!found) return fail(found.error());
  if (!*found) return std::optional<Profile>();
  return std::optional<Profile>(read_profile(**found));
}

Result<std::optional<Profile>> MongoProfileStore::find_by_id(std::string_view id) {
  return find_one(bson_str("_id", id));
}

Result<std::optional<Profile>> MongoProfileStore::find_by_username(std::string_view username) {
  return find_one(bson_str("username", username));
}

Result<void> MongoProfileStore::update(const Profile& profile) {
  BsonDoc set;
  set.str("display_name", profile.display_name)
      .str("display_name_lower", fold_case(profile.display_name))
      .str("bio", profile.bio)
      .str("avatar_url", profile.avatar_url)
      .i64("updated_at_ms", profile.updated_at_ms);
  auto updated = db_.update_one(kProfiles, bson_str("_id", profile.id), bson_sub("$set", set));
  if (!updated) return fail(updated.error());
  if (updated->matched == 0) return fail(Error::not_found("profile_not_found", "no such profile"));
  return {};
}

Result<void> MongoProfileStore::remove(std::string_view id) {
  auto r = db_.delete_one(kProfiles, bson_str("_id", id));
  if (!r) return fail(r.error());
  return {};
}

Result<std::vector<Profile>> MongoProfileStore::search(std::string_view prefix, std::string_view after, int limit) {
  std::vector<Profile> page;
  if (limit <= 0 || prefix.find('\0') != std::string_view::npos) return page;
  const std::string lo = fold_case(prefix);
  BsonDoc filter = bson_sub("username", bson_str("$gt", after));
  if (!lo.empty()) {
    const std::string pattern = prefix_pattern(lo);
    std::vector<BsonDoc> either;
    either.push_back(starts_with("username", pattern));
    either.push_back(starts_with("display_name_lower", pattern));
    filter.docs("$or", either);
  }
  auto docs = db_.find(kProfiles, filter, MongoFind{{{"username", 1}}, limit, {}});
  if (!docs) return fail(docs.error());
  for (const auto& d : *docs) page.push_back(read_profile(d));
  return page;
}

} // namespace parley

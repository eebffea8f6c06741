#include "adapters/sqlite/sqlite_profile_store.hpp"

#include <optional>
#include <string>

#include "core/text.hpp"

namespace parley {

namespace {

constexpr const char* kColumns =
    "SELECT id, username, email, display_name, bio, avatar_url, created_at_ms, updated_at_ms FROM user_profiles ";

// The smallest string greater than every string starting with `prefix` (binary
// order), or nullopt when there is none. With it, "starts with" is the range
// [prefix, upper): it uses the indexes and gives `%`, `_` and `\` no special meaning.
std::optional<std::string> prefix_upper_bound(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xff) prefix.pop_back();
  if (prefix.empty()) return std::nullopt;
  prefix.back() = static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
  return prefix;
}

Profile read_profile(const Statement& st) {
  Profile p;
  p.id = st.column_text(0);
  p.username = st.column_text(1);
  p.email = st.column_text(2);
  p.display_name = st.column_text(3);
  p.bio = st.column_text(4);
  p.avatar_url = st.column_text(5);
  p.created_at_ms = st.column_int64(6);
  p.updated_at_ms = st.column_int64(7);
  return p;
}

Result<std::optional<Profile>> find_one(SqliteDatabase& db, const char* where, std::string_view value) {
  auto conn = db.lock();
  Statement st(conn, std::string(kColumns) + where);
  st.bind_text(1, value);
  auto row = st.step();
  if (!row) return fail(row.error());
  if (!*row) return std::optional<Profile>();
  return std::optional<Profile>(read_profile(st));
}

} // namespace

Result<void> SqliteProfileStore::insert(const Profile& profile) {
  auto conn = db_.lock();
  Statement st(conn,
               "INSERT INTO user_profiles (id, username, email, display_name, display_name_lower, bio, avatar_url, "
               "created_at_ms, updated_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  st.bind_text(1, profile.id)
      .bind_text(2, profile.username)
      .bind_text(3, profile.email)
      .bind_text(4, profile.display_name)
      .bind_text(5, fold_case(profile.display_name))
      .bind_text(6, profile.bio)
      .bind_text(7, profile.avatar_url)
      .bind_int64(8, profile.created_at_ms)
      .bind_int64(9, profile.updated_at_ms);
  if (auto r = st.run(); !r) {
    if (is_unique_violation(r.error(), "user_profiles.username")) {
      return fail(Error::conflict("username_taken", "this username is already taken"));
    }
    return fail(r.error());
  }
  return {};
}

Result<std::optional<Profile>> SqliteProfileStore::find_by_id(std::string_view id) {
  return find_one(db_, "WHERE id = ?", id);
}

Result<std::optional<Profile>> SqliteProfileStore::find_by_username(std::string_view username) {
  return find_one(db_, "WHERE username = ?", username);
}

Result<void> SqliteProfileStore::update(const Profile& profile) {
  auto conn = db_.lock();
  Statement st(conn,
               "UPDATE user_profiles SET display_name = ?, display_name_lower = ?, bio = ?, avatar_url = ?, "
               "updated_at_ms = ? WHERE id = ?");
  st.bind_text(1, profile.display_name)
      .bind_text(2, fold_case(profile.display_name))
      .bind_text(3, profile.bio)
      .bind_text(4, profile.avatar_url)
      .bind_int64(5, profile.updated_at_ms)
      .bind_text(6, profile.id);
  if (auto r = st.run(); !r) return fail(r.error());
  if (conn.changes() == 0) return fail(Error::not_found("profile_not_found", "no such profile"));
  return {};
}

Result<void> SqliteProfileStore::remove(std::string_view id) {
  auto conn = db_.lock();
  Statement st(conn, "DELETE FROM user_profiles WHERE id = ?");
  st.bind_text(1, id);
  return st.run();
}

Result<std::vector<Profile>> SqliteProfileStore::search(std::string_view prefix, std::string_view after, int limit) {
  std::vector<Profile> page;
  if (limit <= 0) return page;
  const std::string lo = fold_case(prefix);
  const auto hi = prefix_upper_bound(lo);
  // Three shapes: no prefix (everything), a prefix with an upper bound, and a prefix
  // of only 0xff bytes (no upper bound, never valid UTF-8 but handled anyway).
  std::string sql = kColumns;
  if (lo.empty()) {
    sql += "WHERE username > ?1 ";
  } else if (hi) {
    sql +=
        "WHERE username > ?1 AND ((username >= ?2 AND username < ?3) OR "
        "(display_name_lower >= ?2 AND display_name_lower < ?3)) ";
  } else {
    sql += "WHERE username > ?1 AND (username >= ?2 OR display_name_lower >= ?2) ";
  }
  sql += "ORDER BY username LIMIT ?4";
  auto conn = db_.lock();
  Statement st(conn, sql);
  st.bind_text(1, after).bind_int64(4, limit);
  if (!lo.empty()) st.bind_text(2, lo);
  if (hi) st.bind_text(3, *hi);
  for (;;) {
    auto row = st.step();
    if (!row) return fail(row.error());
    if (!*row) break;
    page.push_back(read_profile(st));
  }
  return page;
}

} // namespace parley

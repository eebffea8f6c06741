#pragma once
// Schema migrations, versioned in code. Each applies once, in order, inside its own
// transaction; the version reached is kept in PRAGMA user_version. Migrations are only
// ever appended: an applied migration is never edited.

#include <span>
#include <string_view>

struct sqlite3;

namespace parley {

struct Migration {
  int version; // 1, 2, 3, ... without gaps
  std::string_view description;
  std::string_view sql;
};

std::span<const Migration> sqlite_migrations();
int latest_schema_version();

// Brings the database up to latest_schema_version(). Throws std::runtime_error when a
// migration fails or the file was written by newer code (its user_version is higher
// than any known migration): refusing to start beats corrupting data.
void migrate(sqlite3* db);

} // namespace parley

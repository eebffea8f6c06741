#include "adapters/sqlite/migrations.hpp"

#include <sqlite3.h>

#include <array>
#include <stdexcept>
#include <string>

namespace parley {

namespace {

// Version 1: the tables of the auth service (auth_*) and the user service (user_*).
// Tables are prefixed by owning service so each service could move to its own file.
// No foreign keys cross services: sessions and codes do not reference auth_accounts,
// the owning service keeps them consistent (and a Mongo adapter could not enforce it).
constexpr std::string_view kV1 = R"sql(
CREATE TABLE auth_accounts (
  id            TEXT PRIMARY KEY,
  email         TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  verified      INTEGER NOT NULL DEFAULT 0,
  created_at_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE auth_sessions (
  id            TEXT PRIMARY KEY,
  user_id       TEXT NOT NULL,
  revoked       INTEGER NOT NULL DEFAULT 0,
  created_at_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX auth_sessions_by_user ON auth_sessions (user_id);

CREATE TABLE auth_refresh_tokens (
  token_hash    TEXT PRIMARY KEY,
  session_id    TEXT NOT NULL REFERENCES auth_sessions (id) ON DELETE CASCADE,
  user_id       TEXT NOT NULL,
  issued_at_ms  INTEGER NOT NULL,
  expires_at_ms INTEGER NOT NULL,
  rotated       INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX auth_refresh_tokens_by_session ON auth_refresh_tokens (session_id);

CREATE TABLE auth_otps (
  user_id       TEXT NOT NULL,
  purpose       TEXT NOT NULL,
  code_hash     TEXT NOT NULL,
  expires_at_ms INTEGER NOT NULL,
  sent_at_ms    INTEGER NOT NULL,
  attempts      INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, purpose)
) STRICT, WITHOUT ROWID;

-- display_name_lower is display_name with ASCII letters lower-cased, kept by the store
-- so prefix search can be a case-insensitive range scan on an index.
CREATE TABLE user_profiles (
  id                 TEXT PRIMARY KEY,
  username           TEXT NOT NULL UNIQUE,
  email              TEXT NOT NULL,
  display_name       TEXT NOT NULL,
  display_name_lower TEXT NOT NULL,
  bio                TEXT NOT NULL,
  avatar_url         TEXT NOT NULL,
  created_at_ms      INTEGER NOT NULL,
  updated_at_ms      INTEGER NOT NULL
) STRICT;
CREATE INDEX user_profiles_by_display_name ON user_profiles (display_name_lower, username);
)sql";

constexpr std::array kMigrations{
    Migration{1, "auth accounts, sessions, refresh tokens, one-time codes; user profiles", kV1},
};

// Runs `sql` (possibly several statements); throws with `what` on failure.
void exec_or_throw(sqlite3* db, const std::string& sql, const std::string& what) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string message = err ? err : sqlite3_errmsg(db);
    sqlite3_free(err);
    throw std::runtime_error("sqlite migration: " + what + ": " + message);
  }
}

int read_user_version(sqlite3* db) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, nullptr) != SQLITE_OK) {
    throw std::runtime_error(std::string("sqlite migration: cannot read user_version: ") + sqlite3_errmsg(db));
  }
  const int version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
  sqlite3_finalize(st);
  if (version < 0) throw std::runtime_error("sqlite migration: cannot read user_version");
  return version;
}

} // namespace

std::span<const Migration> sqlite_migrations() { return kMigrations; }

int latest_schema_version() { return kMigrations.back().version; }

void migrate(sqlite3* db) {
  for (std::size_t i = 0; i < kMigrations.size(); ++i) {
    if (kMigrations[i].version != static_cast<int>(i) + 1) {
      throw std::logic_error("sqlite migrations must be numbered 1, 2, 3, ... without gaps");
    }
  }
  const int found = read_user_version(db);
  if (found > latest_schema_version()) {
    throw std::runtime_error("sqlite: database schema version " + std::to_string(found) +
                             " is newer than this build knows (" + std::to_string(latest_schema_version()) +
                             "); refusing to open it");
  }
  for (const auto& m : kMigrations) {
    if (found >= m.version) continue;
    const std::string what = "version " + std::to_string(m.version) + " (" + std::string(m.description) + ")";
    // The version is re-read under the write lock: another process may have migrated
    // the same file between our check and our BEGIN.
    exec_or_throw(db, "BEGIN IMMEDIATE", what);
    try {
      if (read_user_version(db) < m.version) {
        exec_or_throw(db, std::string(m.sql), what);
        exec_or_throw(db, "PRAGMA user_version = " + std::to_string(m.version), what);
      }
      exec_or_throw(db, "COMMIT", what);
    } catch (...) {
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }
}

} // namespace parley

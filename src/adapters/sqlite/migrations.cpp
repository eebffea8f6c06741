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

// Version 2: the tables of the chat service (chat_*) and the message service (message_*).
// A direct chat holds the key of its unordered pair of users in direct_key (UNIQUE, so a
// pair has one chat); groups leave it NULL, which UNIQUE does not compare. Message seqs
// come from message_sequences (one row per chat, bumped inside the append transaction),
// so a rolled-back append consumes no seq; UNIQUE (chat_id, seq) and
// UNIQUE (chat_id, sender_id, client_id) back the ordering and idempotence guarantees.
// Mentions are a side table in mention order; mentions and reactions go with their
// message. deleted_at_ms records a tombstone's time (not part of domain::Message).
constexpr std::string_view kV2 = R"sql(
CREATE TABLE chat_chats (
  id               TEXT PRIMARY KEY,
  kind             TEXT NOT NULL CHECK (kind IN ('direct', 'group')),
  name             TEXT NOT NULL,
  avatar_url       TEXT NOT NULL,
  direct_key       TEXT UNIQUE,
  created_by       TEXT NOT NULL,
  created_at_ms    INTEGER NOT NULL,
  updated_at_ms    INTEGER NOT NULL,
  last_activity_ms INTEGER NOT NULL,
  CHECK ((kind = 'direct') = (direct_key IS NOT NULL))
) STRICT;

CREATE TABLE chat_members (
  chat_id      TEXT NOT NULL REFERENCES chat_chats (id) ON DELETE CASCADE,
  user_id      TEXT NOT NULL,
  role         TEXT NOT NULL CHECK (role IN ('member', 'admin', 'owner')),
  joined_at_ms INTEGER NOT NULL,
  PRIMARY KEY (chat_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX chat_members_by_user ON chat_members (user_id);

CREATE TABLE message_sequences (
  chat_id  TEXT PRIMARY KEY,
  last_seq INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE message_messages (
  id               TEXT PRIMARY KEY,
  chat_id          TEXT NOT NULL,
  seq              INTEGER NOT NULL,
  sender_id        TEXT NOT NULL,
  client_id        TEXT NOT NULL,
  body             TEXT NOT NULL,
  attachments_json TEXT NOT NULL,
  reply_to         TEXT NOT NULL,
  created_at_ms    INTEGER NOT NULL,
  edited_at_ms     INTEGER NOT NULL DEFAULT 0,
  deleted          INTEGER NOT NULL DEFAULT 0,
  deleted_at_ms    INTEGER NOT NULL DEFAULT 0,
  UNIQUE (chat_id, seq),
  UNIQUE (chat_id, sender_id, client_id)
) STRICT;

CREATE TABLE message_mentions (
  message_id TEXT NOT NULL REFERENCES message_messages (id) ON DELETE CASCADE,
  position   INTEGER NOT NULL,
  user_id    TEXT NOT NULL,
  PRIMARY KEY (message_id, position)
) STRICT, WITHOUT ROWID;

CREATE TABLE message_cursors (
  chat_id       TEXT NOT NULL,
  user_id       TEXT NOT NULL,
  read_seq      INTEGER NOT NULL,
  delivered_seq INTEGER NOT NULL,
  PRIMARY KEY (chat_id, user_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE message_reactions (
  message_id TEXT NOT NULL REFERENCES message_messages (id) ON DELETE CASCADE,
  user_id    TEXT NOT NULL,
  emoji      TEXT NOT NULL,
  PRIMARY KEY (message_id, user_id)
) STRICT, WITHOUT ROWID;
)sql";

// Version 3: the notification service. One unread "message" notification per user and
// chat at a time (the partial unique index) collects the messages that arrive meanwhile;
// notification_counted remembers the last seq counted per user and chat so that a check
// run twice counts once; notification_checks holds the delayed checks.
constexpr std::string_view kV3 = R"sql(
CREATE TABLE notification_notifications (
  id            TEXT PRIMARY KEY,
  user_id       TEXT NOT NULL,
  kind          TEXT NOT NULL,
  chat_id       TEXT NOT NULL,
  actor_id      TEXT NOT NULL,
  message_id    TEXT NOT NULL,
  seq           INTEGER NOT NULL,
  count         INTEGER NOT NULL,
  preview       TEXT NOT NULL,
  dedupe_key    TEXT UNIQUE,
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL,
  read_at_ms    INTEGER NOT NULL DEFAULT 0,
  mailed        INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX notification_by_user ON notification_notifications (user_id, updated_at_ms, id);
CREATE UNIQUE INDEX notification_open_message ON notification_notifications (user_id, chat_id)
  WHERE kind = 'message' AND read_at_ms = 0;
CREATE INDEX notification_unmailed ON notification_notifications (created_at_ms) WHERE mailed = 0 AND read_at_ms = 0;

CREATE TABLE notification_counted (
  user_id  TEXT NOT NULL,
  chat_id  TEXT NOT NULL,
  last_seq INTEGER NOT NULL,
  PRIMARY KEY (user_id, chat_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE notification_checks (
  user_id    TEXT NOT NULL,
  chat_id    TEXT NOT NULL,
  seq        INTEGER NOT NULL,
  message_id TEXT NOT NULL,
  actor_id   TEXT NOT NULL,
  preview    TEXT NOT NULL,
  due_ms     INTEGER NOT NULL,
  PRIMARY KEY (user_id, chat_id, seq)
) STRICT, WITHOUT ROWID;
CREATE INDEX notification_checks_due ON notification_checks (due_ms);
)sql";

// Which files each live message carries, so a download is allowed only through a chat the
// file was sent to. Filled from the messages already stored.
constexpr std::string_view kV4 = R"sql(
CREATE TABLE message_attachments (
  chat_id    TEXT NOT NULL,
  media_key  TEXT NOT NULL,
  message_id TEXT NOT NULL REFERENCES message_messages (id) ON DELETE CASCADE,
  PRIMARY KEY (chat_id, media_key, message_id)
) STRICT, WITHOUT ROWID;
INSERT OR IGNORE INTO message_attachments (chat_id, media_key, message_id)
  SELECT m.chat_id, json_extract(a.value, '$.key'), m.id
  FROM message_messages AS m, json_each(m.attachments_json) AS a
  WHERE m.deleted = 0 AND json_type(a.value, '$.key') = 'text';
)sql";

// One delayed message check per user and chat instead of one per message: the pending checks
// of a chat become one, due at the earliest of their times.
constexpr std::string_view kV5 = R"sql(
ALTER TABLE notification_checks RENAME TO notification_checks_v3;
DROP INDEX notification_checks_due;
CREATE TABLE notification_checks (
  user_id TEXT NOT NULL,
  chat_id TEXT NOT NULL,
  due_ms  INTEGER NOT NULL,
  PRIMARY KEY (user_id, chat_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX notification_checks_due ON notification_checks (due_ms);
INSERT INTO notification_checks (user_id, chat_id, due_ms)
  SELECT user_id, chat_id, MIN(due_ms) FROM notification_checks_v3 GROUP BY user_id, chat_id;
DROP TABLE notification_checks_v3;
)sql";

// A chat's pending checks, read at once: most members of a busy chat have one, due as early,
// so scheduling reads them rather than writing once per member.
constexpr std::string_view kV6 = R"sql(
CREATE INDEX notification_checks_chat ON notification_checks (chat_id, user_id, due_ms);
)sql";

constexpr std::array kMigrations{
    Migration{1, "auth accounts, sessions, refresh tokens, one-time codes; user profiles", kV1},
    Migration{2, "chats and members; messages, mentions, sequences, cursors, reactions", kV2},
    Migration{3, "notifications, counted message cursors, delayed message checks", kV3},
    Migration{4, "the media keys attached to each live message", kV4},
    Migration{5, "one delayed message check per user and chat", kV5},
    Migration{6, "the pending message checks by chat", kV6},
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

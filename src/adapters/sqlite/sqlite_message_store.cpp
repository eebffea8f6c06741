#include "adapters/sqlite/sqlite_message_store.hpp"

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <limits>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>

namespace parley {

namespace {

constexpr const char* kMessageColumns =
    "SELECT id, chat_id, seq, sender_id, client_id, body, attachments_json, reply_to, created_at_ms, edited_at_ms, "
    "deleted FROM message_messages ";

// Ids bound per reactions() query: well below SQLite's limit on host parameters.
constexpr std::size_t kIdsPerQuery = 500;
constexpr const char* kBySender = "WHERE chat_id = ?1 AND sender_id = ?2 AND client_id = ?3";

Message read_message(const Statement& st) {
  Message m;
  m.id = st.column_text(0);
  m.chat_id = st.column_text(1);
  m.seq = st.column_int64(2);
  m.sender_id = st.column_text(3);
  m.client_id = st.column_text(4);
  m.body = st.column_text(5);
  m.attachments_json = st.column_text(6);
  m.reply_to = st.column_text(7);
  m.created_at_ms = st.column_int64(8);
  m.edited_at_ms = st.column_int64(9);
  m.deleted = st.column_bool(10);
  return m;
}

Result<void> load_mentions(Connection& conn, Message& message) {
  Statement st(conn, "SELECT user_id FROM message_mentions WHERE message_id = ? ORDER BY position");
  st.bind_text(1, message.id);
  for (;;) {
    auto row = st.step();
    if (!row) return fail(row.error());
    if (!*row) return {};
    message.mentions.push_back(st.column_text(0));
  }
}

// The one message matching `where` (text parameters ?1, ?2, ...), mentions included.
Result<std::optional<Message>> select_message(Connection& conn, const char* where,
                                              std::initializer_list<std::string_view> params) {
  Statement st(conn, std::string(kMessageColumns) + where);
  int index = 0;
  for (auto p : params) st.bind_text(++index, p);
  auto row = st.step();
  if (!row) return fail(row.error());
  if (!*row) return std::optional<Message>();
  Message m = read_message(st);
  if (auto r = load_mentions(conn, m); !r) return fail(r.error());
  return std::optional<Message>(std::move(m));
}

Result<std::optional<Message>> select_by_id(Connection& conn, std::string_view chat_id, std::string_view id) {
  return select_message(conn, "WHERE chat_id = ?1 AND id = ?2", {chat_id, id});
}

Error message_not_found() { return Error::not_found("message_not_found", "no such message"); }

// The chat's next seq: bumps (or starts at 1) its row in message_sequences. Must run in
// the caller's transaction, so a rollback returns the seq. A read and a write rather than one
// upsert with RETURNING, which buffers its row in a temporary b-tree opened per call (profiled).
Result<std::int64_t> next_seq(Connection& conn, std::string_view chat_id) {
  Statement last(conn, "SELECT last_seq FROM message_sequences WHERE chat_id = ?");
  last.bind_text(1, chat_id);
  auto row = last.step();
  if (!row) return fail(row.error());
  const std::int64_t seq = (*row ? last.column_int64(0) : 0) + 1;
  Statement bump(conn, "INSERT OR REPLACE INTO message_sequences (chat_id, last_seq) VALUES (?, ?)");
  bump.bind_text(1, chat_id).bind_int64(2, seq);
  if (auto r = bump.run(); !r) return fail(r.error());
  return seq;
}

Result<void> insert_message(Connection& conn, const Message& m) {
  Statement st(conn,
               "INSERT INTO message_messages (id, chat_id, seq, sender_id, client_id, body, attachments_json, "
               "reply_to, created_at_ms, edited_at_ms, deleted, deleted_at_ms) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0)");
  st.bind_text(1, m.id)
      .bind_text(2, m.chat_id)
      .bind_int64(3, m.seq)
      .bind_text(4, m.sender_id)
      .bind_text(5, m.client_id)
      .bind_text(6, m.body)
      .bind_text(7, m.attachments_json)
      .bind_text(8, m.reply_to)
      .bind_int64(9, m.created_at_ms);
  if (auto r = st.run(); !r) {
    if (is_unique_violation(r.error(), "message_messages.id")) {
      return fail(Error::conflict("message_exists", "a message with this id already exists"));
    }
    return fail(r.error());
  }
  if (m.attachments_json != "[]") {
    // The keys are read by SQLite from the JSON the message service wrote.
    Statement keys(conn,
                   "INSERT OR IGNORE INTO message_attachments (chat_id, media_key, message_id) "
                   "SELECT ?1, json_extract(value, '$.key'), ?2 FROM json_each(?3) "
                   "WHERE json_type(value, '$.key') = 'text'");
    keys.bind_text(1, m.chat_id).bind_text(2, m.id).bind_text(3, m.attachments_json);
    if (auto r = keys.run(); !r) return fail(r.error());
  }
  Statement mention(conn, "INSERT INTO message_mentions (message_id, position, user_id) VALUES (?, ?, ?)");
  for (std::size_t i = 0; i < m.mentions.size(); ++i) {
    mention.reset();
    mention.bind_text(1, m.id).bind_int64(2, static_cast<std::int64_t>(i)).bind_text(3, m.mentions[i]);
    if (auto r = mention.run(); !r) return fail(r.error());
  }
  return {};
}

// One message of a batch, in the caller's transaction, inside a savepoint: a message that
// fails leaves no trace (its seq is given back) and the others go on.
Result<Appended> append_one(Connection& conn, const Message& message) {
  auto existing = select_message(conn, kBySender, {message.chat_id, message.sender_id, message.client_id});
  if (!existing) return fail(existing.error());
  if (*existing) return Appended{std::move(**existing), false};

  Message stored = message;
  stored.edited_at_ms = 0;
  stored.deleted = false;
  if (stored.attachments_json.empty()) stored.attachments_json = "[]";
  if (auto r = Statement(conn, "SAVEPOINT append_one").run(); !r) return fail(r.error());
  auto seq = next_seq(conn, stored.chat_id);
  if (seq) stored.seq = *seq;
  auto inserted = seq ? insert_message(conn, stored) : Result<void>(fail(seq.error()));
  if (!inserted) {
    (void)Statement(conn, "ROLLBACK TO append_one").run();
    (void)Statement(conn, "RELEASE append_one").run();
    return fail(inserted.error());
  }
  if (auto r = Statement(conn, "RELEASE append_one").run(); !r) return fail(r.error());
  return Appended{std::move(stored), true};
}

} // namespace

Result<Appended> SqliteMessageStore::append(const Message& message) { return std::move(append_all({message})[0]); }

std::vector<Result<Appended>> SqliteMessageStore::append_all(const std::vector<Message>& messages) {
  return each_in_transaction<Appended>(db_, messages, append_one);
}

Result<std::optional<Message>> SqliteMessageStore::find(std::string_view chat_id, std::string_view message_id) {
  auto conn = db_.lock();
  return select_by_id(conn, chat_id, message_id);
}

Result<std::optional<Message>> SqliteMessageStore::find_sent(std::string_view chat_id, std::string_view sender_id,
                                                             std::string_view client_id) {
  auto conn = db_.lock();
  return select_message(conn, kBySender, {chat_id, sender_id, client_id});
}

Result<Message> SqliteMessageStore::edit(std::string_view chat_id, std::string_view message_id, std::string_view body,
                                         std::int64_t edited_at_ms) {
  auto conn = db_.lock();
  auto tx = Transaction::begin(conn);
  if (!tx) return fail(tx.error());
  Statement st(conn,
               "UPDATE message_messages SET body = ?, edited_at_ms = ? WHERE chat_id = ? AND id = ? AND deleted = 0");
  st.bind_text(1, body).bind_int64(2, edited_at_ms).bind_text(3, chat_id).bind_text(4, message_id);
  if (auto r = st.run(); !r) return fail(r.error());
  if (conn.changes() == 0) return fail(message_not_found()); // unknown, or a tombstone
  auto edited = select_by_id(conn, chat_id, message_id);
  if (!edited) return fail(edited.error());
  if (!*edited) return fail(Error::internal("sqlite: edited message vanished"));
  if (auto r = tx->commit(); !r) return fail(r.error());
  return std::move(**edited);
}

Result<Message> SqliteMessageStore::remove(std::string_view chat_id, std::string_view message_id, std::int64_t at_ms) {
  auto conn = db_.lock();
  auto tx = Transaction::begin(conn);
  if (!tx) return fail(tx.error());
  auto found = select_by_id(conn, chat_id, message_id);
  if (!found) return fail(found.error());
  if (!*found) return fail(message_not_found());
  Message m = std::move(**found);
  if (m.deleted) return m; // already a tombstone: idempotent

  Statement st(conn,
               "UPDATE message_messages SET body = '', attachments_json = '[]', deleted = 1, deleted_at_ms = ? "
               "WHERE id = ?");
  st.bind_int64(1, at_ms).bind_text(2, message_id);
  if (auto r = st.run(); !r) return fail(r.error());
  for (const char* sql :
       {"DELETE FROM message_mentions WHERE message_id = ?", "DELETE FROM message_reactions WHERE message_id = ?",
        "DELETE FROM message_attachments WHERE message_id = ?"}) {
    Statement del(conn, sql);
    del.bind_text(1, message_id);
    if (auto r = del.run(); !r) return fail(r.error());
  }
  if (auto r = tx->commit(); !r) return fail(r.error());
  m.body.clear();
  m.attachments_json = "[]";
  m.mentions.clear();
  m.deleted = true;
  return m;
}

Result<bool> SqliteMessageStore::attached(std::string_view chat_id, std::string_view media_key) {
  auto conn = db_.lock();
  Statement st(conn, "SELECT 1 FROM message_attachments WHERE chat_id = ? AND media_key = ? LIMIT 1");
  st.bind_text(1, chat_id).bind_text(2, media_key);
  auto row = st.step();
  if (!row) return fail(row.error());
  return *row;
}

Result<std::vector<Message>> SqliteMessageStore::page(std::string_view chat_id, std::int64_t before, std::int64_t after,
                                                      int limit) {
  std::vector<Message> out;
  if (limit <= 0) return out;
  const std::int64_t upper = before > 0 ? before : std::numeric_limits<std::int64_t>::max();
  const std::int64_t lower = std::max<std::int64_t>(after, 0);
  const bool newest = before > 0 && lower == 0;
  std::string sql = std::string(kMessageColumns) + "WHERE chat_id = ?1 AND seq < ?2 AND seq > ?3 ORDER BY seq ";
  sql += newest ? "DESC" : "ASC";
  sql += " LIMIT ?4";

  auto conn = db_.lock();
  Statement st(conn, sql);
  st.bind_text(1, chat_id).bind_int64(2, upper).bind_int64(3, lower).bind_int64(4, limit);
  for (;;) {
    auto row = st.step();
    if (!row) return fail(row.error());
    if (!*row) break;
    out.push_back(read_message(st));
  }
  if (newest) std::reverse(out.begin(), out.end());
  if (out.empty()) return out;

  // Mentions of the whole page in one query.
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < out.size(); ++i) index.emplace(out[i].id, i);
  Statement mentions(conn,
                     "SELECT mm.message_id, mm.user_id FROM message_mentions mm "
                     "JOIN message_messages m ON m.id = mm.message_id "
                     "WHERE m.chat_id = ?1 AND m.seq >= ?2 AND m.seq <= ?3 ORDER BY mm.message_id, mm.position");
  mentions.bind_text(1, chat_id).bind_int64(2, out.front().seq).bind_int64(3, out.back().seq);
  for (;;) {
    auto row = mentions.step();
    if (!row) return fail(row.error());
    if (!*row) break;
    if (auto it = index.find(mentions.column_text(0)); it != index.end()) {
      out[it->second].mentions.push_back(mentions.column_text(1));
    }
  }
  return out;
}

Result<std::int64_t> SqliteMessageStore::last_seq(std::string_view chat_id) {
  auto conn = db_.lock();
  Statement st(conn, "SELECT last_seq FROM message_sequences WHERE chat_id = ?");
  st.bind_text(1, chat_id);
  auto row = st.step();
  if (!row) return fail(row.error());
  return *row ? st.column_int64(0) : 0;
}

Result<Cursor> SqliteMessageStore::cursor(std::string_view chat_id, std::string_view user_id) {
  auto conn = db_.lock();
  Statement st(conn, "SELECT read_seq, delivered_seq FROM message_cursors WHERE chat_id = ? AND user_id = ?");
  st.bind_text(1, chat_id).bind_text(2, user_id);
  auto row = st.step();
  if (!row) return fail(row.error());
  if (!*row) return Cursor{};
  return Cursor{st.column_int64(0), st.column_int64(1)};
}

namespace {

Result<Cursor> advance_one(Connection& conn, const CursorMove& move) {
  const std::int64_t read = std::max<std::int64_t>(move.read_seq, 0);
  const std::int64_t delivered = std::max(move.delivered_seq, read);
  // A read, and a write only when the cursor moves (a repeated receipt does not); no upsert
  // with RETURNING, which costs a temporary b-tree per call. The caller's transaction keeps
  // other writers out between the two.
  Statement current(conn, "SELECT read_seq, delivered_seq FROM message_cursors WHERE chat_id = ? AND user_id = ?");
  current.bind_text(1, move.chat_id).bind_text(2, move.user_id);
  auto row = current.step();
  if (!row) return fail(row.error());
  const Cursor before = *row ? Cursor{current.column_int64(0), current.column_int64(1)} : Cursor{};
  const Cursor after{std::max(before.read_seq, read), std::max(before.delivered_seq, delivered)};
  if (*row && after.read_seq == before.read_seq && after.delivered_seq == before.delivered_seq) return after;
  Statement write(conn,
                  "INSERT OR REPLACE INTO message_cursors (chat_id, user_id, read_seq, delivered_seq) "
                  "VALUES (?, ?, ?, ?)");
  write.bind_text(1, move.chat_id)
      .bind_text(2, move.user_id)
      .bind_int64(3, after.read_seq)
      .bind_int64(4, after.delivered_seq);
  if (auto r = write.run(); !r) return fail(r.error());
  return after;
}

} // namespace

Result<Cursor> SqliteMessageStore::advance(std::string_view chat_id, std::string_view user_id, std::int64_t read_seq,
                                           std::int64_t delivered_seq) {
  // In a transaction: the read and the write of the cursor must see no other writer between them.
  return std::move(advance_all({{std::string(chat_id), std::string(user_id), read_seq, delivered_seq}})[0]);
}

std::vector<Result<Cursor>> SqliteMessageStore::advance_all(const std::vector<CursorMove>& moves) {
  return each_in_transaction<Cursor>(db_, moves, advance_one);
}

Result<std::int64_t> SqliteMessageStore::count_unread(std::string_view chat_id, std::string_view user_id,
                                                      std::int64_t after_seq) {
  auto conn = db_.lock();
  Statement st(
      conn, "SELECT COUNT(*) FROM message_messages WHERE chat_id = ? AND seq > ? AND sender_id <> ? AND deleted = 0");
  st.bind_text(1, chat_id).bind_int64(2, after_seq).bind_text(3, user_id);
  auto row = st.step();
  if (!row) return fail(row.error());
  return *row ? st.column_int64(0) : 0;
}

Result<void> SqliteMessageStore::set_reaction(const Reaction& reaction) {
  auto conn = db_.lock();
  // One statement: the check that the message is live and the upsert cannot be split
  // by a concurrent remove(). An upsert that replaces counts as one change.
  Statement st(conn,
               "INSERT INTO message_reactions (message_id, user_id, emoji) SELECT ?1, ?2, ?3 "
               "WHERE EXISTS (SELECT 1 FROM message_messages WHERE id = ?1 AND deleted = 0) "
               "ON CONFLICT (message_id, user_id) DO UPDATE SET emoji = excluded.emoji");
  st.bind_text(1, reaction.message_id).bind_text(2, reaction.user_id).bind_text(3, reaction.emoji);
  if (auto r = st.run(); !r) return fail(r.error());
  if (conn.changes() == 0) return fail(message_not_found()); // unknown, or a tombstone
  return {};
}

Result<void> SqliteMessageStore::remove_reaction(std::string_view message_id, std::string_view user_id) {
  auto conn = db_.lock();
  Statement st(conn, "DELETE FROM message_reactions WHERE message_id = ? AND user_id = ?");
  st.bind_text(1, message_id).bind_text(2, user_id);
  return st.run();
}

Result<std::vector<Reaction>> SqliteMessageStore::reactions(const std::vector<std::string>& message_ids) {
  std::vector<Reaction> out;
  auto conn = db_.lock();
  for (std::size_t from = 0; from < message_ids.size(); from += kIdsPerQuery) {
    const std::size_t count = std::min(kIdsPerQuery, message_ids.size() - from);
    std::string sql = "SELECT message_id, user_id, emoji FROM message_reactions WHERE message_id IN (?";
    for (std::size_t i = 1; i < count; ++i) sql += ", ?";
    sql += ")";
    Statement st(conn, sql);
    for (std::size_t i = 0; i < count; ++i) st.bind_text(static_cast<int>(i) + 1, message_ids[from + i]);
    for (;;) {
      auto row = st.step();
      if (!row) return fail(row.error());
      if (!*row) break;
      out.push_back(Reaction{st.column_text(0), st.column_text(1), st.column_text(2)});
    }
  }
  std::sort(out.begin(), out.end(), [](const Reaction& a, const Reaction& b) {
    return std::tie(a.message_id, a.user_id) < std::tie(b.message_id, b.user_id);
  });
  // The same id given twice (in different chunks) must not list its reactions twice.
  out.erase(std::unique(out.begin(), out.end(),
                        [](const Reaction& a, const Reaction& b) {
                          return a.message_id == b.message_id && a.user_id == b.user_id;
                        }),
            out.end());
  return out;
}

} // namespace parley

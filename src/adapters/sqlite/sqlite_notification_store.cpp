#include "adapters/sqlite/sqlite_notification_store.hpp"

#include <algorithm>
#include <string>
#include <string_view>
#include <unordered_map>

namespace parley {

namespace {

constexpr const char* kColumns =
    "SELECT id, user_id, kind, chat_id, actor_id, message_id, seq, count, preview, created_at_ms, updated_at_ms, "
    "read_at_ms FROM notification_notifications ";

Notification read_notification(const Statement& st) {
  Notification n;
  n.id = st.column_text(0);
  n.user_id = st.column_text(1);
  n.kind = st.column_text(2);
  n.chat_id = st.column_text(3);
  n.actor_id = st.column_text(4);
  n.message_id = st.column_text(5);
  n.seq = st.column_int64(6);
  n.count = st.column_int64(7);
  n.preview = st.column_text(8);
  n.created_at_ms = st.column_int64(9);
  n.updated_at_ms = st.column_int64(10);
  n.read_at_ms = st.column_int64(11);
  return n;
}

Result<std::vector<Notification>> read_all(Statement& st) {
  std::vector<Notification> out;
  for (;;) {
    auto row = st.step();
    if (!row) return fail(row.error());
    if (!*row) return out;
    out.push_back(read_notification(st));
  }
}

Result<void> insert(Connection& conn, const Notification& n, std::string_view dedupe_key) {
  Statement st(conn,
               "INSERT INTO notification_notifications (id, user_id, kind, chat_id, actor_id, message_id, seq, count, "
               "preview, dedupe_key, created_at_ms, updated_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
               "?11, ?12)");
  st.bind_text(1, n.id).bind_text(2, n.user_id).bind_text(3, n.kind).bind_text(4, n.chat_id);
  st.bind_text(5, n.actor_id).bind_text(6, n.message_id).bind_int64(7, n.seq).bind_int64(8, n.count);
  st.bind_text(9, n.preview).bind_int64(11, n.created_at_ms).bind_int64(12, n.updated_at_ms);
  if (dedupe_key.empty())
    st.bind_null(10);
  else
    st.bind_text(10, dedupe_key);
  return st.run();
}

Result<std::int64_t> changed_rows(Connection& conn, Statement& st) {
  if (auto r = st.run(); !r) return fail(r.error());
  return static_cast<std::int64_t>(conn.changes());
}

} // namespace

Result<bool> SqliteNotificationStore::add(const Notification& n, std::string_view dedupe_key) {
  auto conn = db_.lock();
  auto r = insert(conn, n, dedupe_key);
  if (!r && is_unique_violation(r.error(), "notification_notifications.dedupe_key")) return false;
  if (!r) return fail(r.error());
  return true;
}

Result<void> SqliteNotificationStore::schedule(const std::vector<MessageCheck>& checks) {
  if (checks.empty()) return {};
  auto conn = db_.lock();
  auto tx = Transaction::begin(conn);
  if (!tx) return fail(tx.error());
  // Most members of a busy chat have a check pending, due as early: one read of the chat's
  // pending checks (an index range) spares a statement per member. The others are written;
  // a pending check due later is brought forward.
  Statement read(conn, "SELECT user_id, due_ms FROM notification_checks WHERE chat_id = ?1");
  Statement write(conn,
                  "INSERT INTO notification_checks (user_id, chat_id, due_ms) VALUES (?1, ?2, ?3) "
                  "ON CONFLICT (user_id, chat_id) DO UPDATE SET due_ms = excluded.due_ms "
                  "WHERE excluded.due_ms < due_ms");
  std::unordered_map<std::string_view, std::unordered_map<std::string, std::int64_t>> pending; // chat -> user -> due
  for (const auto& c : checks) {
    auto [chat, unread] = pending.try_emplace(c.chat_id);
    if (unread) {
      read.bind_text(1, c.chat_id);
      for (;;) {
        auto row = read.step();
        if (!row) return fail(row.error());
        if (!*row) break;
        chat->second.emplace(read.column_text(0), read.column_int64(1));
      }
      read.reset();
    }
    const auto [due, fresh] = chat->second.try_emplace(c.user_id, c.due_ms);
    if (!fresh && due->second <= c.due_ms) continue;
    due->second = c.due_ms;
    write.bind_text(1, c.user_id).bind_text(2, c.chat_id).bind_int64(3, c.due_ms);
    if (auto r = write.run(); !r) return fail(r.error());
    write.reset();
  }
  return tx->commit();
}

Result<std::vector<MessageCheck>> SqliteNotificationStore::due(std::int64_t now_ms, int limit) {
  auto conn = db_.lock();
  Statement st(conn,
               "SELECT user_id, chat_id, due_ms FROM notification_checks WHERE due_ms <= ?1 "
               "ORDER BY due_ms, chat_id, user_id LIMIT ?2");
  st.bind_int64(1, now_ms).bind_int64(2, limit);
  std::vector<MessageCheck> out;
  for (;;) {
    auto row = st.step();
    if (!row) return fail(row.error());
    if (!*row) return out;
    out.push_back({st.column_text(0), st.column_text(1), st.column_int64(2)});
  }
}

Result<std::optional<Notification>> SqliteNotificationStore::count(const MessageCheck& c, const LatestMessage& latest,
                                                                   std::int64_t read_seq, std::string_view new_id,
                                                                   std::int64_t now_ms) {
  const std::optional<Notification> nothing;
  auto conn = db_.lock();
  auto tx = Transaction::begin(conn);
  if (!tx) return fail(tx.error());
  Statement done(conn, "DELETE FROM notification_checks WHERE user_id = ?1 AND chat_id = ?2");
  done.bind_text(1, c.user_id).bind_text(2, c.chat_id);
  if (auto r = done.run(); !r) return fail(r.error());
  Statement last(conn, "SELECT last_seq FROM notification_counted WHERE user_id = ?1 AND chat_id = ?2");
  last.bind_text(1, c.user_id).bind_text(2, c.chat_id);
  auto row = last.step();
  if (!row) return fail(row.error());
  const auto counted_up_to = *row ? last.column_int64(0) : 0;
  const auto messages = latest.seq - std::max(counted_up_to, read_seq);
  if (messages <= 0) {
    if (auto r = tx->commit(); !r) return fail(r.error());
    return nothing;
  }
  Statement counted(conn,
                    "INSERT INTO notification_counted (user_id, chat_id, last_seq) VALUES (?1, ?2, ?3) "
                    "ON CONFLICT (user_id, chat_id) DO UPDATE SET last_seq = excluded.last_seq");
  counted.bind_text(1, c.user_id).bind_text(2, c.chat_id).bind_int64(3, latest.seq);
  if (auto r = counted.run(); !r) return fail(r.error());
  Statement bump(conn,
                 "UPDATE notification_notifications SET count = count + ?8, actor_id = ?3, message_id = ?4, seq = ?5, "
                 "preview = ?6, updated_at_ms = ?7 "
                 "WHERE user_id = ?1 AND chat_id = ?2 AND kind = 'message' AND read_at_ms = 0");
  bump.bind_text(1, c.user_id).bind_text(2, c.chat_id).bind_text(3, latest.actor_id).bind_text(4, latest.message_id);
  bump.bind_int64(5, latest.seq).bind_text(6, latest.preview).bind_int64(7, now_ms).bind_int64(8, messages);
  auto bumped = changed_rows(conn, bump);
  if (!bumped) return fail(bumped.error());
  if (*bumped == 0) {
    const Notification n{std::string(new_id), c.user_id, "message",      c.chat_id, latest.actor_id, latest.message_id,
                         latest.seq,          messages,  latest.preview, now_ms,    now_ms,          0};
    if (auto r = insert(conn, n, {}); !r) return fail(r.error());
  }
  Statement st(conn,
               std::string(kColumns) + "WHERE user_id = ?1 AND chat_id = ?2 AND kind = 'message' AND read_at_ms = 0");
  st.bind_text(1, c.user_id).bind_text(2, c.chat_id);
  auto found = read_all(st);
  if (!found) return fail(found.error());
  if (auto r = tx->commit(); !r) return fail(r.error());
  if (found->empty()) return nothing;
  return std::optional<Notification>{std::move(found->front())};
}

Result<std::vector<Notification>> SqliteNotificationStore::list(std::string_view user_id,
                                                                const std::optional<NotificationCursor>& after,
                                                                int limit) {
  if (limit <= 0) return std::vector<Notification>{};
  auto conn = db_.lock();
  std::string sql = std::string(kColumns) + "WHERE user_id = ?1 ";
  if (after) sql += "AND (updated_at_ms, id) < (?2, ?3) ";
  sql += "ORDER BY updated_at_ms DESC, id DESC LIMIT ?4";
  Statement st(conn, sql);
  st.bind_text(1, user_id).bind_int64(4, limit);
  if (after) st.bind_int64(2, after->updated_at_ms).bind_text(3, after->id);
  return read_all(st);
}

Result<std::int64_t> SqliteNotificationStore::unread_count(std::string_view user_id) {
  auto conn = db_.lock();
  Statement st(conn, "SELECT COUNT(*) FROM notification_notifications WHERE user_id = ?1 AND read_at_ms = 0");
  st.bind_text(1, user_id);
  auto row = st.step();
  if (!row) return fail(row.error());
  return st.column_int64(0);
}

Result<bool> SqliteNotificationStore::mark_read(std::string_view user_id, std::string_view id, std::int64_t now_ms) {
  auto conn = db_.lock();
  Statement st(conn,
               "UPDATE notification_notifications SET read_at_ms = CASE WHEN read_at_ms = 0 THEN ?3 ELSE read_at_ms "
               "END WHERE user_id = ?1 AND id = ?2");
  st.bind_text(1, user_id).bind_text(2, id).bind_int64(3, now_ms);
  auto n = changed_rows(conn, st);
  if (!n) return fail(n.error());
  return *n > 0;
}

Result<std::int64_t> SqliteNotificationStore::mark_all_read(std::string_view user_id, std::int64_t now_ms) {
  auto conn = db_.lock();
  Statement st(conn, "UPDATE notification_notifications SET read_at_ms = ?2 WHERE user_id = ?1 AND read_at_ms = 0");
  st.bind_text(1, user_id).bind_int64(2, now_ms);
  return changed_rows(conn, st);
}

Result<std::int64_t> SqliteNotificationStore::mark_chats_read(const std::vector<ChatRead>& reads, std::int64_t now_ms) {
  if (reads.empty()) return 0; // every batch of the consumer calls this, most with no reads
  auto conn = db_.lock();
  auto tx = Transaction::begin(conn);
  if (!tx) return fail(tx.error());
  Statement st(conn,
               "UPDATE notification_notifications SET read_at_ms = ?4 "
               "WHERE user_id = ?1 AND chat_id = ?2 AND read_at_ms = 0 AND seq > 0 AND seq <= ?3");
  std::int64_t marked = 0;
  for (const auto& read : reads) {
    st.reset();
    st.bind_text(1, read.user_id).bind_text(2, read.chat_id).bind_int64(3, read.up_to_seq).bind_int64(4, now_ms);
    auto n = changed_rows(conn, st);
    if (!n) return n;
    marked += *n;
  }
  if (auto r = tx->commit(); !r) return fail(r.error());
  return marked;
}

Result<std::vector<Notification>> SqliteNotificationStore::take_unmailed(std::int64_t before_ms, int limit) {
  auto conn = db_.lock();
  auto tx = Transaction::begin(conn);
  if (!tx) return fail(tx.error());
  Statement st(conn, std::string(kColumns) +
                         "WHERE mailed = 0 AND read_at_ms = 0 AND created_at_ms < ?1 ORDER BY created_at_ms, id "
                         "LIMIT ?2");
  st.bind_int64(1, before_ms).bind_int64(2, limit);
  auto taken = read_all(st);
  if (!taken) return fail(taken.error());
  Statement mark(conn, "UPDATE notification_notifications SET mailed = 1 WHERE id = ?1");
  for (const auto& n : *taken) {
    mark.bind_text(1, n.id);
    if (auto r = mark.run(); !r) return fail(r.error());
    mark.reset();
  }
  if (auto r = tx->commit(); !r) return fail(r.error());
  return taken;
}

} // namespace parley

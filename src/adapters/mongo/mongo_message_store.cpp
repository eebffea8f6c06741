#include "adapters/mongo/mongo_message_store.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <limits>
#include <random>
#include <thread>
#include <unordered_map>

namespace parley {

namespace {

constexpr const char* kMessages = "messages";
constexpr const char* kCursors = "cursors";
constexpr const char* kReactions = "reactions";
constexpr const char* kLastSeqs = "last_seqs"; // _id = chat id: a lower bound of its last seq

// Lost seq races tolerated by one append before it gives up (retryable).
constexpr int kMaxSeqAttempts = 200;

// Chats of one append_all written at the same time.
constexpr std::size_t kConcurrentChats = 8;

Message read_message(const BsonDoc& d) {
  Message m;
  m.id = d.get_str("_id");
  m.chat_id = d.get_str("chat_id");
  m.seq = d.get_i64("seq");
  m.sender_id = d.get_str("sender_id");
  m.client_id = d.get_str("client_id");
  m.body = d.get_str("body");
  m.attachments_json = d.get_str("attachments_json");
  m.reply_to = d.get_str("reply_to");
  m.mentions = d.get_strings("mentions");
  m.created_at_ms = d.get_i64("created_at_ms");
  m.edited_at_ms = d.get_i64("edited_at_ms");
  m.deleted = d.get_bool("deleted");
  return m;
}

// The keys of the attachments in `attachments_json` (the message service's JSON array).
std::vector<std::string> attachment_keys(const std::string& attachments_json) {
  std::vector<std::string> keys;
  auto wrapped = BsonDoc::from_json("{\"a\":" + (attachments_json.empty() ? "[]" : attachments_json) + "}");
  if (!wrapped) return keys;
  for (const auto& a : wrapped->get_docs("a"))
    if (auto key = a.get_str("key"); !key.empty()) keys.push_back(std::move(key));
  return keys;
}

BsonDoc message_doc(const Message& m) {
  BsonDoc d;
  d.str("_id", m.id)
      .str("chat_id", m.chat_id)
      .i64("seq", m.seq)
      .str("sender_id", m.sender_id)
      .str("client_id", m.client_id)
      .str("body", m.body)
      .str("attachments_json", m.attachments_json)
      .strings("attachment_keys", attachment_keys(m.attachments_json))
      .str("reply_to", m.reply_to)
      .strings("mentions", m.mentions)
      .i64("created_at_ms", m.created_at_ms)
      .i64("edited_at_ms", 0)
      .boolean("deleted", false)
      .i64("deleted_at_ms", 0);
  return d;
}

BsonDoc by_id(std::string_view chat_id, std::string_view message_id) {
  BsonDoc f;
  f.str("_id", message_id).str("chat_id", chat_id);
  return f;
}

BsonDoc by_sender(std::string_view chat_id, std::string_view sender_id, std::string_view client_id) {
  BsonDoc d;
  d.str("chat_id", chat_id).str("sender_id", sender_id).str("client_id", client_id);
  return d;
}

BsonDoc by_cursor(std::string_view chat_id, std::string_view user_id) {
  BsonDoc f;
  f.str("chat_id", chat_id).str("user_id", user_id);
  return f;
}

Error message_not_found() { return Error::not_found("message_not_found", "no such message"); }

// A short random pause after a lost seq race, growing with the attempts, so that
// appenders in other processes stop colliding in lockstep.
void back_off(int attempt) {
  thread_local std::minstd_rand rng{std::random_device{}()};
  const int cap_us = std::min(200 * (attempt + 1), 5000);
  std::uniform_int_distribution<int> pause(0, cap_us);
  std::this_thread::sleep_for(std::chrono::microseconds(pause(rng)));
}

} // namespace

Result<void> MongoMessageStore::create_indexes() {
  if (auto r = db_.create_indexes(kMessages,
                                  {{"chat_seq", {{"chat_id", 1}, {"seq", 1}}, true},
                                   {"chat_sender_client", {{"chat_id", 1}, {"sender_id", 1}, {"client_id", 1}}, true},
                                   {"chat_attachment", {{"chat_id", 1}, {"attachment_keys", 1}}, false}});
      !r) {
    return r;
  }
  if (auto r = add_attachment_keys(); !r) return r;
  if (auto r = db_.create_indexes(kCursors, {{"chat_user", {{"chat_id", 1}, {"user_id", 1}}, true}}); !r) return r;
  return db_.create_indexes(kReactions, {{"message_user", {{"message_id", 1}, {"user_id", 1}}, true}});
}

// Messages stored before attachment_keys existed get it, a batch at a time (idempotent:
// each start finishes what an interrupted one left).
Result<void> MongoMessageStore::add_attachment_keys() {
  BsonDoc missing;
  missing.doc("attachment_keys", BsonDoc().boolean("$exists", false));
  for (;;) {
    auto batch = db_.find(kMessages, missing, MongoFind{{}, 500, {"_id", "attachments_json", "deleted"}});
    if (!batch) return fail(batch.error());
    if (batch->empty()) return {};
    for (const auto& d : *batch) {
      const auto keys =
          d.get_bool("deleted") ? std::vector<std::string>{} : attachment_keys(d.get_str("attachments_json"));
      if (auto r = db_.update_one(kMessages, bson_str("_id", d.get_str("_id")),
                                  bson_sub("$set", bson_strings("attachment_keys", keys)));
          !r) {
        return fail(r.error());
      }
    }
  }
}

Result<bool> MongoMessageStore::attached(std::string_view chat_id, std::string_view media_key) {
  BsonDoc filter;
  filter.str("chat_id", chat_id).str("attachment_keys", media_key).boolean("deleted", false);
  auto n = db_.count(kMessages, filter);
  if (!n) return fail(n.error());
  return *n > 0;
}

std::mutex& MongoMessageStore::stripe(std::string_view chat_id) {
  return stripes_[std::hash<std::string_view>{}(chat_id) % stripes_.size()];
}

Result<std::optional<Message>> MongoMessageStore::find_where(const BsonDoc& filter) {
  auto found = db_.find_one(kMessages, filter);
  if (!found) return fail(found.error());
  if (!*found) return std::optional<Message>();
  return std::optional<Message>(read_message(**found));
}

Result<Appended> MongoMessageStore::append(const Message& message) {
  Message stored = message;
  stored.edited_at_ms = 0;
  stored.deleted = false;
  if (stored.attachments_json.empty()) stored.attachments_json = "[]";
  const BsonDoc same_client = by_sender(stored.chat_id, stored.sender_id, stored.client_id);

  std::lock_guard lock(stripe(stored.chat_id));
  auto last = last_seq(stored.chat_id);
  for (int attempt = 0; attempt < kMaxSeqAttempts; ++attempt) {
    if (!last) return fail(last.error());
    stored.seq = *last + 1;
    auto inserted = db_.insert_one(kMessages, message_doc(stored));
    if (inserted) {
      note_last_seq(stored.chat_id, stored.seq);
      return Appended{std::move(stored), true};
    }
    if (!is_duplicate_key(inserted.error())) return fail(inserted.error());

    // Which unique index refused it? FerretDB's error does not say, so ask the data:
    // the same client_id (a retry), the same id (a clash), or else the seq was taken.
    auto existing = find_where(same_client);
    if (!existing) return fail(existing.error());
    if (*existing) return Appended{std::move(**existing), false};
    auto same_id = db_.count(kMessages, bson_str("_id", stored.id));
    if (!same_id) return fail(same_id.error());
    if (*same_id > 0) return fail(Error::conflict("message_exists", "a message with this id already exists"));
    back_off(attempt);
    last = stored_last_seq(stored.chat_id); // the hint was behind: another appender won
  }
  return fail(Error::unavailable("seq_contention", "too many concurrent appends to this chat; retry"));
}

std::vector<Result<Appended>> MongoMessageStore::append_all(const std::vector<Message>& messages) {
  std::vector<std::vector<std::size_t>> chats; // each chat's messages, in order
  std::unordered_map<std::string_view, std::size_t> chat_of;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const auto [at, fresh] = chat_of.try_emplace(messages[i].chat_id, chats.size());
    if (fresh) chats.emplace_back();
    chats[at->second].push_back(i);
  }
  std::vector<std::optional<Result<Appended>>> results(messages.size());
  std::atomic<std::size_t> next{0};
  auto write_chats = [&] {
    for (std::size_t c = next++; c < chats.size(); c = next++)
      for (const auto i : chats[c]) results[i] = append(messages[i]);
  };
  {
    std::vector<std::jthread> writers;
    const auto extra = std::min(chats.size(), kConcurrentChats) - (chats.empty() ? 0 : 1);
    for (std::size_t w = 0; w < extra; ++w) writers.emplace_back(write_chats);
    write_chats();
  }
  std::vector<Result<Appended>> out;
  out.reserve(messages.size());
  for (auto& r : results) out.push_back(std::move(*r));
  return out;
}

Result<std::optional<Message>> MongoMessageStore::find(std::string_view chat_id, std::string_view message_id) {
  return find_where(by_id(chat_id, message_id));
}

Result<std::optional<Message>> MongoMessageStore::find_sent(std::string_view chat_id, std::string_view sender_id,
                                                            std::string_view client_id) {
  return find_where(by_sender(chat_id, sender_id, client_id));
}

Result<Message> MongoMessageStore::edit(std::string_view chat_id, std::string_view message_id, std::string_view body,
                                        std::int64_t edited_at_ms) {
  BsonDoc live = by_id(chat_id, message_id);
  live.boolean("deleted", false);
  BsonDoc set;
  set.str("body", body).i64("edited_at_ms", edited_at_ms);
  auto updated = db_.update_one(kMessages, live, bson_sub("$set", set));
  if (!updated) return fail(updated.error());
  if (updated->matched == 0) return fail(message_not_found()); // unknown, or a tombstone
  auto edited = find(chat_id, message_id);
  if (!edited) return fail(edited.error());
  if (!*edited) return fail(message_not_found()); // gone meanwhile
  return std::move(**edited);
}

Result<Message> MongoMessageStore::remove(std::string_view chat_id, std::string_view message_id, std::int64_t at_ms) {
  auto found = find(chat_id, message_id);
  if (!found) return fail(found.error());
  if (!*found) return fail(message_not_found());
  Message m = std::move(**found);
  if (!m.deleted) {
    BsonDoc live = by_id(chat_id, message_id);
    live.boolean("deleted", false);
    BsonDoc set;
    set.str("body", "")
        .str("attachments_json", "[]")
        .strings("attachment_keys", {})
        .strings("mentions", {})
        .boolean("deleted", true)
        .i64("deleted_at_ms", at_ms);
    if (auto r = db_.update_one(kMessages, live, bson_sub("$set", set)); !r) return fail(r.error());
  }
  // Also for a tombstone: finishes a remove that failed after marking the message.
  if (auto r = db_.delete_many(kReactions, bson_str("message_id", message_id)); !r) return fail(r.error());
  if (m.deleted) return m;
  m.body.clear();
  m.attachments_json = "[]";
  m.mentions.clear();
  m.deleted = true;
  return m;
}

Result<std::vector<Message>> MongoMessageStore::page(std::string_view chat_id, std::int64_t before, std::int64_t after,
                                                     int limit) {
  std::vector<Message> out;
  if (limit <= 0) return out;
  const std::int64_t upper = before > 0 ? before : std::numeric_limits<std::int64_t>::max();
  const std::int64_t lower = std::max<std::int64_t>(after, 0);
  const bool newest = before > 0 && lower == 0;
  BsonDoc range;
  range.i64("$lt", upper).i64("$gt", lower);
  BsonDoc filter;
  filter.str("chat_id", chat_id).doc("seq", range);
  auto found = db_.find(kMessages, filter, MongoFind{{{"seq", newest ? -1 : 1}}, limit, {}});
  if (!found) return fail(found.error());
  for (const auto& d : *found) out.push_back(read_message(d));
  if (newest) std::reverse(out.begin(), out.end());
  return out;
}

Result<std::int64_t> MongoMessageStore::last_seq(std::string_view chat_id) {
  auto hint = db_.find_one(kLastSeqs, bson_str("_id", chat_id));
  if (!hint) return fail(hint.error());
  if (*hint) return (*hint)->get_i64("seq");
  return stored_last_seq(chat_id); // a chat whose messages predate last_seqs, or has none
}

Result<std::int64_t> MongoMessageStore::stored_last_seq(std::string_view chat_id) {
  auto last = db_.find_one(kMessages, bson_str("chat_id", chat_id), MongoFind{{{"seq", -1}}, 1, {"seq"}});
  if (!last) return fail(last.error());
  const std::int64_t seq = *last ? (*last)->get_i64("seq") : 0;
  if (seq > 0) note_last_seq(chat_id, seq);
  return seq;
}

// Best effort: a hint that stays behind costs the next append one lost insert, no more.
void MongoMessageStore::note_last_seq(std::string_view chat_id, std::int64_t seq) {
  const BsonDoc update = bson_sub("$max", bson_i64("seq", seq));
  auto r = db_.update_one(kLastSeqs, bson_str("_id", chat_id), update, true);
  if (!r && is_duplicate_key(r.error())) (void)db_.update_one(kLastSeqs, bson_str("_id", chat_id), update, true);
}

Result<Cursor> MongoMessageStore::cursor(std::string_view chat_id, std::string_view user_id) {
  auto found = db_.find_one(kCursors, by_cursor(chat_id, user_id));
  if (!found) return fail(found.error());
  if (!*found) return Cursor{};
  return Cursor{(*found)->get_i64("read_seq"), (*found)->get_i64("delivered_seq")};
}

Result<Cursor> MongoMessageStore::advance(std::string_view chat_id, std::string_view user_id, std::int64_t read_seq,
                                          std::int64_t delivered_seq) {
  const std::int64_t read = std::max<std::int64_t>(read_seq, 0);
  const std::int64_t delivered = std::max(delivered_seq, read);
  BsonDoc max;
  max.i64("read_seq", read).i64("delivered_seq", delivered);
  const BsonDoc update = bson_sub("$max", max);
  auto updated = db_.update_one(kCursors, by_cursor(chat_id, user_id), update, true);
  // Two first advances may both try to insert; the loser finds the document now.
  if (!updated && is_duplicate_key(updated.error())) {
    updated = db_.update_one(kCursors, by_cursor(chat_id, user_id), update, true);
  }
  if (!updated) return fail(updated.error());
  return cursor(chat_id, user_id);
}

Result<std::int64_t> MongoMessageStore::count_unread(std::string_view chat_id, std::string_view user_id,
                                                     std::int64_t after_seq) {
  BsonDoc filter;
  filter.str("chat_id", chat_id)
      .doc("seq", bson_i64("$gt", after_seq))
      .doc("sender_id", bson_str("$ne", user_id))
      .boolean("deleted", false);
  return db_.count(kMessages, filter);
}

Result<bool> MongoMessageStore::is_live(std::string_view message_id) {
  BsonDoc filter;
  filter.str("_id", message_id).boolean("deleted", false);
  auto n = db_.count(kMessages, filter);
  if (!n) return fail(n.error());
  return *n > 0;
}

Result<void> MongoMessageStore::set_reaction(const Reaction& reaction) {
  auto live = is_live(reaction.message_id);
  if (!live) return fail(live.error());
  if (!*live) return fail(message_not_found());
  BsonDoc key;
  key.str("message_id", reaction.message_id).str("user_id", reaction.user_id);
  const BsonDoc update = bson_sub("$set", bson_str("emoji", reaction.emoji));
  auto set = db_.update_one(kReactions, key, update, true);
  if (!set && is_duplicate_key(set.error())) set = db_.update_one(kReactions, key, update, true);
  if (!set) return fail(set.error());
  // remove() marks the message, then deletes its reactions: a reaction written after
  // that delete is seen here (the message is no longer live) and taken back.
  live = is_live(reaction.message_id);
  if (!live) return fail(live.error());
  if (!*live) {
    if (auto r = db_.delete_one(kReactions, key); !r) return fail(r.error());
    return fail(message_not_found());
  }
  return {};
}

Result<void> MongoMessageStore::remove_reaction(std::string_view message_id, std::string_view user_id) {
  BsonDoc key;
  key.str("message_id", message_id).str("user_id", user_id);
  auto r = db_.delete_one(kReactions, key);
  if (!r) return fail(r.error());
  return {};
}

Result<std::vector<Reaction>> MongoMessageStore::reactions(const std::vector<std::string>& message_ids) {
  std::vector<Reaction> out;
  if (message_ids.empty()) return out;
  BsonDoc filter;
  filter.doc("message_id", bson_strings("$in", message_ids));
  auto found = db_.find(kReactions, filter, MongoFind{{{"message_id", 1}, {"user_id", 1}}, 0, {}});
  if (!found) return fail(found.error());
  for (const auto& d : *found)
    out.push_back(Reaction{d.get_str("message_id"), d.get_str("user_id"), d.get_str("emoji")});
  return out;
}

} // namespace parley

#include "services/notification/service.hpp"

#include <algorithm>
#include <map>

#include <boost/json.hpp>

#include "core/log.hpp"
#include "core/text.hpp"
#include "services/notification/notification_json.hpp"

namespace parley {
namespace {

namespace json = boost::json;

const Logger kLog{"notify"};

std::string text_of(const json::object& obj, std::string_view key) {
  const auto* v = obj.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::int64_t int_of(const json::object& obj, std::string_view key) {
  const auto* v = obj.if_contains(key);
  return v && v->is_int64() ? v->as_int64() : 0;
}

std::vector<std::string> strings_of(const json::object& obj, std::string_view key) {
  std::vector<std::string> out;
  if (const auto* v = obj.if_contains(key); v && v->is_array())
    for (const auto& item : v->as_array())
      if (item.is_string()) out.emplace_back(item.as_string());
  return out;
}

// A malformed event is skipped, not retried forever: retrying cannot fix it.
Result<json::object> parse_payload(const DomainEvent& event) {
  boost::system::error_code ec;
  auto value = json::parse(event.payload, ec);
  if (ec || !value.is_object()) return fail(Error::invalid("bad_event", "event payload is not a JSON object"));
  return std::move(value.as_object());
}

const char* kind_of_change(std::string_view change) {
  if (change == "member_added") return "member_added";
  if (change == "member_removed") return "member_removed";
  if (change == "owner_changed") return "owner_changed";
  return nullptr;
}

} // namespace

NotificationService::NotificationService(NotificationConfig config, Ports ports) : config_(config), ports_(ports) {}

Result<void> NotificationService::handle(std::span<const DomainEvent> events) {
  Pending pending;
  for (const auto& event : events) {
    Result<void> r;
    if (event.type == "message.created") {
      r = on_message(event, pending);
    } else if (event.type == "message.read") {
      r = on_read(event, pending);
    } else if (event.type == "chat.updated") {
      // What the messages before it left to do is done first: the batch stays in order.
      if (auto written = write(pending); !written) return written;
      r = on_chat_change(event);
    }
    if (!r && r.error().code == "bad_event") {
      kLog.error("event skipped", {{"event", event.id}, {"type", event.type}, {"error", r.error().message}});
      continue;
    }
    if (!r) return r;
  }
  return write(pending);
}

Result<void> NotificationService::write(Pending& pending) {
  std::vector<MessageCheck> checks;
  for (const auto& [chat, members] : pending.due)
    for (const auto& [user, due] : members) checks.push_back({user, chat, due});
  if (auto ok = ports_.store.schedule(checks); !ok) return ok;
  // What was read (message.read) and what was sent (the message service moves the sender's
  // read cursor to the sent message without a message.read event) marks notifications read.
  std::vector<ChatRead> reads;
  reads.reserve(pending.read.size());
  for (const auto& [key, seq] : pending.read) reads.push_back({key.first, key.second, seq});
  if (auto marked = ports_.store.mark_chats_read(reads, ports_.clock.now_ms()); !marked) return fail(marked.error());
  pending = {};
  return {};
}

Result<void> NotificationService::on_message(const DomainEvent& event, Pending& pending) {
  auto payload = parse_payload(event);
  if (!payload) return fail(payload.error());
  const auto* m = payload->if_contains("message");
  if (!m || !m->is_object()) return fail(Error::invalid("bad_event", "message.created without a message"));
  const auto& message = m->as_object();
  const auto sender = text_of(message, "sender_id");
  const auto mentions = strings_of(message, "mentions");
  auto members = strings_of(*payload, "member_ids");
  std::erase(members, sender);
  auto presence = ports_.presence.states(members);
  if (!presence) return fail(presence.error());

  const auto now = ports_.clock.now_ms();
  const auto chat_id = text_of(message, "chat_id");
  const auto seq = int_of(message, "seq");
  const auto message_id = text_of(message, "id");
  const auto preview = std::string(utf8_prefix(text_of(message, "body"), kPreviewBytes));
  auto& chat_due = pending.due.try_emplace(chat_id).first->second;
  for (std::size_t i = 0; i < members.size(); ++i) {
    const auto& user = members[i];
    if (std::find(mentions.begin(), mentions.end(), user) != mentions.end()) {
      Notification n{ports_.ids.next(), user, "mention", chat_id, sender, message_id, seq, 1, preview, now, now, 0};
      if (auto ok = notify_once(std::move(n), "mention:" + message_id + ":" + user); !ok) return ok;
      continue;
    }
    const auto due = (*presence)[i].online ? now + config_.read_delay.count() : now;
    const auto [at, fresh] = chat_due.try_emplace(user, due);
    if (!fresh) at->second = std::min(at->second, due);
  }
  auto& read = pending.read[{sender, chat_id}];
  read = std::max(read, seq);
  return {};
}

Result<void> NotificationService::on_chat_change(const DomainEvent& event) {
  auto payload = parse_payload(event);
  if (!payload) return fail(payload.error());
  const auto change = text_of(*payload, "change");
  const auto actor = text_of(*payload, "actor_id");
  const auto chat_id = text_of(*payload, "chat_id");
  std::vector<std::string> told;
  std::string kind;
  if (const char* k = kind_of_change(change)) {
    kind = k;
    told.push_back(text_of(*payload, "user_id"));
  } else if (change == "created") { // the first members of a group were added by its creator
    const auto* chat = payload->if_contains("chat");
    if (chat && chat->is_object() && text_of(chat->as_object(), "kind") == "group") {
      kind = "member_added";
      if (const auto* ms = chat->as_object().if_contains("members"); ms && ms->is_array())
        for (const auto& member : ms->as_array())
          if (member.is_object()) told.push_back(text_of(member.as_object(), "user_id"));
    }
  }
  const auto now = ports_.clock.now_ms();
  for (const auto& user : told) {
    if (user.empty() || user == actor) continue; // nobody is told of what they did themselves
    Notification n{ports_.ids.next(), user, kind, chat_id, actor, "", 0, 1, "", now, now, 0};
    if (auto ok = notify_once(std::move(n), event.id + ":" + user); !ok) return ok;
  }
  return {};
}

// Merged with the batch's other reads: scheduling checks and marking notifications read up to
// a seq commute (a check only creates a notification when it runs, later).
Result<void> NotificationService::on_read(const DomainEvent& event, Pending& pending) {
  auto payload = parse_payload(event);
  if (!payload) return fail(payload.error());
  auto& seq = pending.read[{text_of(*payload, "user_id"), text_of(*payload, "chat_id")}];
  seq = std::max(seq, int_of(*payload, "read_seq"));
  return {};
}

Result<void> NotificationService::notify_once(Notification n, const std::string& dedupe_key) {
  auto added = ports_.store.add(n, dedupe_key);
  if (!added) return fail(added.error());
  if (*added) push(n);
  return {};
}

void NotificationService::push(const Notification& n) {
  ports_.live.publish({"notification", n.chat_id, json::serialize(notification_json(n)), {n.user_id}, ""});
}

Result<int> NotificationService::run_due_checks(int limit) {
  const auto now = ports_.clock.now_ms();
  auto due = ports_.store.due(now, limit);
  if (!due) return fail(due.error());
  for (const auto& check : *due) {
    auto digest = ports_.digests.digest(check.chat_id, check.user_id);
    if (!digest) return fail(digest.error());
    auto role = ports_.members.role_of(check.chat_id, check.user_id);
    if (!role) return fail(role.error());
    LatestMessage latest{*role ? digest->last_seq : 0, "", "", ""}; // a former member: nothing to count
    if (const auto& m = digest->last_message; m && *role) {
      latest.message_id = m->id;
      latest.actor_id = m->sender_id;
      latest.preview = std::string(utf8_prefix(m->body, kPreviewBytes)); // empty once deleted
    }
    auto counted = ports_.store.count(check, latest, digest->read_seq, ports_.ids.next(), now);
    if (!counted) return fail(counted.error());
    if (*counted) push(**counted);
    // A message stored while this ran found the check pending and scheduled nothing: look again.
    auto after = ports_.digests.digest(check.chat_id, check.user_id);
    if (!after) return fail(after.error());
    if (after->last_seq > latest.seq) {
      if (auto ok = ports_.store.schedule({{check.user_id, check.chat_id, now}}); !ok) return fail(ok.error());
    }
  }
  return static_cast<int>(due->size());
}

Result<int> NotificationService::send_digests() {
  if (!config_.email_digest) return 0;
  auto pending = ports_.store.take_unmailed(ports_.clock.now_ms() - config_.digest_after.count(), kChecksPerRun);
  if (!pending) return fail(pending.error());
  std::map<std::string, std::vector<Notification>> by_user;
  for (auto& n : *pending) by_user[n.user_id].push_back(std::move(n));
  int sent = 0;
  for (const auto& [user, items] : by_user) {
    auto state = ports_.presence.states({user});
    if (!state) return fail(state.error());
    if ((*state)[0].online) continue; // they see them in the app
    auto email = ports_.addresses.email_of(user);
    if (!email) return fail(email.error());
    if (!*email) continue;
    std::string text = "You have unread notifications on Parley:\n\n";
    for (const auto& n : items) {
      text += "- " + n.kind;
      if (n.count > 1) text += " (" + std::to_string(n.count) + " messages)";
      if (!n.preview.empty()) text += ": " + n.preview;
      text += "\n";
    }
    Mail mail{**email, "Unread on Parley: " + std::to_string(items.size()) + " notification(s)", text, ""};
    if (auto ok = ports_.mailer.send(mail); !ok) {
      kLog.warn("digest not sent", {{"user", user}, {"error", ok.error().message}});
      continue;
    }
    ++sent;
  }
  return sent;
}

Result<NotificationPage> NotificationService::list(std::string_view me, const std::optional<NotificationCursor>& after,
                                                   int limit) {
  if (limit < 1 || limit > kMaxPage) return fail(Error::invalid("invalid_query", "limit must be 1-100"));
  auto items = ports_.store.list(me, after, limit + 1);
  if (!items) return fail(items.error());
  NotificationPage page;
  if (static_cast<int>(items->size()) > limit) {
    items->resize(static_cast<std::size_t>(limit));
    page.next = NotificationCursor{items->back().updated_at_ms, items->back().id};
  }
  page.items = std::move(*items);
  return page;
}

Result<std::int64_t> NotificationService::unread_count(std::string_view me) { return ports_.store.unread_count(me); }

Result<void> NotificationService::mark_read(std::string_view me, std::string_view id) {
  auto found = ports_.store.mark_read(me, id, ports_.clock.now_ms());
  if (!found) return fail(found.error());
  if (!*found) return fail(Error::not_found("notification_not_found", "no such notification"));
  return {};
}

Result<std::int64_t> NotificationService::mark_all_read(std::string_view me) {
  return ports_.store.mark_all_read(me, ports_.clock.now_ms());
}

} // namespace parley

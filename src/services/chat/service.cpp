#include "services/chat/service.hpp"

#include <algorithm>
#include <set>

#include <boost/json/serialize.hpp>

#include "core/log.hpp"
#include "domain/validation.hpp"
#include "services/chat/chat_json.hpp"

namespace parley {
namespace {

using domain::Role;

const Logger kLog{"chat"};

Error chat_not_found() { return Error::not_found("chat_not_found", "no such chat"); }
Error not_allowed(std::string message) { return Error::forbidden("not_allowed", std::move(message)); }

Result<std::string> group_name(std::string_view name) {
  auto n = domain::normalize_display_name(name);
  if (!n) return fail(Error::unprocessable("invalid_name", "group names are 1-64 characters"));
  return n;
}

} // namespace

Result<std::optional<Role>> ChatDirectory::role_of(std::string_view chat_id, std::string_view user_id) {
  auto m = chats_.member(chat_id, user_id);
  if (!m) return fail(m.error());
  if (!*m) return std::optional<Role>{};
  return std::optional<Role>{(*m)->role};
}

Result<std::vector<std::string>> ChatDirectory::member_ids(std::string_view chat_id) {
  auto members = chats_.members(chat_id);
  if (!members) return fail(members.error());
  std::vector<std::string> ids;
  ids.reserve(members->size());
  for (auto& m : *members) ids.push_back(std::move(m.user_id));
  return ids;
}

Result<std::vector<std::string>> ChatDirectory::contacts(std::string_view user_id) {
  return chats_.contacts_of(user_id);
}

Result<void> ChatDirectory::touch(std::string_view chat_id, std::int64_t at_ms) { return chats_.touch(chat_id, at_ms); }

ChatService::ChatService(ChatConfig config, Ports ports)
    : config_(config),
      chats_(ports.chats),
      users_(ports.users),
      digests_(ports.digests),
      presence_(ports.presence),
      live_(ports.live),
      events_(ports.events),
      clock_(ports.clock),
      ids_(ports.ids) {}

std::vector<PresenceState> ChatService::presence_of(const std::vector<std::string>& user_ids) {
  auto states = presence_.states(user_ids);
  if (states) return std::move(*states);
  // Presence is decoration: without it the chat is still served, everyone shown offline.
  kLog.warn("presence unavailable", {{"error", states.error().message}});
  return std::vector<PresenceState>(user_ids.size());
}

Result<ChatView> ChatService::changed(Chat chat, std::string_view change, std::string_view actor,
                                      std::string_view subject, std::string_view gone) {
  auto v = view(std::move(chat));
  if (v) announce(*v, change, actor, subject, gone);
  return v;
}

void ChatService::announce(const ChatView& v, std::string_view change, std::string_view actor, std::string_view subject,
                           std::string_view gone) {
  boost::json::object data{{"change", change},
                           {"chat_id", v.chat.id},
                           {"actor_id", actor},
                           {"user_id", subject.empty() ? boost::json::value(nullptr) : boost::json::value(subject)}};
  if (!gone.empty()) {
    data["chat"] = nullptr;
    live_.publish({"chat.updated", v.chat.id, boost::json::serialize(data), {std::string(gone)}, {}});
  }
  std::vector<std::string> members;
  members.reserve(v.members.size());
  for (const auto& m : v.members) members.push_back(m.user_id);
  data["chat"] = view_json(v);
  auto payload = boost::json::serialize(data);
  events_.append({ids_.next(), "chat.updated", v.chat.id, payload});
  live_.publish({"chat.updated", v.chat.id, std::move(payload), std::move(members), {}});
}

Result<void> ChatService::require_user(std::string_view user_id) {
  auto exists = users_.exists(user_id);
  if (!exists) return fail(exists.error());
  if (!*exists) return fail(Error::not_found("user_not_found", "no such user"));
  return {};
}

Result<ChatView> ChatService::view(Chat chat) {
  auto members = chats_.members(chat.id);
  if (!members) return fail(members.error());
  std::vector<std::string> ids;
  ids.reserve(members->size());
  for (const auto& m : *members) ids.push_back(m.user_id);
  return ChatView{std::move(chat), std::move(*members), presence_of(ids)};
}

Result<std::pair<Chat, Member>> ChatService::visible(std::string_view me, std::string_view chat_id) {
  auto member = chats_.member(chat_id, me);
  if (!member) return fail(member.error());
  if (!*member) return fail(chat_not_found());
  auto chat = chats_.find(chat_id);
  if (!chat) return fail(chat.error());
  if (!*chat) return fail(chat_not_found());
  return std::pair{std::move(**chat), std::move(**member)};
}

Result<std::pair<Chat, Member>> ChatService::group_for_admin(std::string_view me, std::string_view chat_id) {
  auto found = visible(me, chat_id);
  if (!found) return found;
  if (found->first.kind != domain::ChatKind::group)
    return fail(Error::unprocessable("not_a_group", "only groups have this operation"));
  if (found->second.role < Role::admin) return fail(not_allowed("only group admins may do this"));
  return found;
}

Result<std::pair<ChatView, bool>> ChatService::open_direct(std::string_view me, std::string_view other) {
  if (me == other) return fail(Error::unprocessable("invalid_member", "a 1:1 chat needs another user"));
  if (auto ok = require_user(other); !ok) return fail(ok.error());
  const auto now = clock_.now_ms();
  Chat chat;
  chat.id = ids_.next();
  chat.kind = domain::ChatKind::direct;
  chat.direct_key = domain::direct_key(me, other);
  chat.created_by = std::string(me);
  chat.created_at_ms = chat.updated_at_ms = chat.last_activity_ms = now;
  auto stored = chats_.create_direct(chat, {chat.id, std::string(me), Role::member, now},
                                     {chat.id, std::string(other), Role::member, now});
  if (!stored) return fail(stored.error());
  const bool created = stored->id == chat.id;
  auto v = created ? changed(std::move(*stored), "created", me, {}) : view(std::move(*stored));
  if (!v) return fail(v.error());
  return std::pair{std::move(*v), created};
}

Result<ChatView> ChatService::create_group(std::string_view me, const GroupInput& input) {
  auto name = group_name(input.name);
  if (!name) return fail(name.error());
  if (auto ok = domain::check_avatar_url(input.avatar_url); !ok) return fail(ok.error());
  std::set<std::string> ids(input.member_ids.begin(), input.member_ids.end());
  ids.erase(std::string(me));
  if (static_cast<std::int64_t>(ids.size()) + 1 > config_.max_members)
    return fail(Error::unprocessable("too_many_members",
                                     "a group has at most " + std::to_string(config_.max_members) + " members"));
  for (const auto& id : ids)
    if (auto ok = require_user(id); !ok) return fail(ok.error());
  const auto now = clock_.now_ms();
  Chat chat;
  chat.id = ids_.next();
  chat.kind = domain::ChatKind::group;
  chat.name = std::move(*name);
  chat.avatar_url = input.avatar_url;
  chat.created_by = std::string(me);
  chat.created_at_ms = chat.updated_at_ms = chat.last_activity_ms = now;
  std::vector<Member> members{{chat.id, std::string(me), Role::owner, now}};
  for (const auto& id : ids) members.push_back({chat.id, id, Role::member, now});
  if (auto ok = chats_.create_group(chat, members); !ok) return fail(ok.error());
  kLog.info("group created", {{"chat", chat.id}, {"user", std::string(me)}, {"members", members.size()}});
  return changed(std::move(chat), "created", me, {});
}

Result<ChatView> ChatService::get(std::string_view me, std::string_view chat_id) {
  auto found = visible(me, chat_id);
  if (!found) return fail(found.error());
  return view(std::move(found->first));
}

Result<ChatView> ChatService::update_group(std::string_view me, std::string_view chat_id,
                                           const std::optional<std::string>& name,
                                           const std::optional<std::string>& avatar_url) {
  auto found = group_for_admin(me, chat_id);
  if (!found) return fail(found.error());
  Chat& chat = found->first;
  if (name) {
    auto n = group_name(*name);
    if (!n) return fail(n.error());
    chat.name = std::move(*n);
  }
  if (avatar_url) {
    if (auto ok = domain::check_avatar_url(*avatar_url); !ok) return fail(ok.error());
    chat.avatar_url = *avatar_url;
  }
  chat.updated_at_ms = clock_.now_ms();
  if (auto ok = chats_.update(chat); !ok) return fail(ok.error());
  (void)chats_.touch(chat.id, chat.updated_at_ms);
  return changed(std::move(chat), "updated", me, {});
}

Result<ChatView> ChatService::add_member(std::string_view me, std::string_view chat_id, std::string_view user_id) {
  auto found = group_for_admin(me, chat_id);
  if (!found) return fail(found.error());
  if (auto ok = require_user(user_id); !ok) return fail(ok.error());
  auto count = chats_.member_count(chat_id);
  if (!count) return fail(count.error());
  if (*count >= config_.max_members) return fail(Error::unprocessable("too_many_members", "the group is full"));
  if (auto ok = chats_.add_member({std::string(chat_id), std::string(user_id), Role::member, clock_.now_ms()}); !ok)
    return fail(ok.error());
  return changed(std::move(found->first), "member_added", me, user_id);
}

Result<void> ChatService::remove_member(std::string_view me, std::string_view chat_id, std::string_view user_id) {
  auto found = visible(me, chat_id);
  if (!found) return fail(found.error());
  if (found->first.kind != domain::ChatKind::group)
    return fail(Error::unprocessable("not_a_group", "1:1 chats have no members to remove"));
  const bool self = me == user_id;
  auto target = chats_.member(chat_id, user_id);
  if (!target) return fail(target.error());
  if (!*target) return fail(Error::not_found("member_not_found", "not a member of this chat"));
  if (self && (*target)->role == Role::owner)
    return fail(Error::unprocessable("owner_must_transfer", "hand ownership over before leaving"));
  if (!domain::may_remove(found->second.role, (*target)->role, self))
    return fail(not_allowed("you may not remove this member"));
  if (auto ok = chats_.remove_member(chat_id, user_id); !ok) return ok;
  (void)changed(std::move(found->first), self ? "member_left" : "member_removed", me, user_id, user_id);
  return {};
}

Result<ChatView> ChatService::set_role(std::string_view me, std::string_view chat_id, std::string_view user_id,
                                       Role role) {
  auto found = group_for_admin(me, chat_id);
  if (!found) return fail(found.error());
  auto target = chats_.member(chat_id, user_id);
  if (!target) return fail(target.error());
  if (!*target) return fail(Error::not_found("member_not_found", "not a member of this chat"));
  if (!domain::may_set_role(found->second.role, (*target)->role, role))
    return fail(not_allowed("only the owner changes roles; ownership moves by hand-over"));
  if (auto ok = chats_.set_role(chat_id, user_id, role); !ok) return fail(ok.error());
  return changed(std::move(found->first), "role_changed", me, user_id);
}

Result<ChatView> ChatService::transfer_ownership(std::string_view me, std::string_view chat_id, std::string_view to) {
  auto found = group_for_admin(me, chat_id);
  if (!found) return fail(found.error());
  if (found->second.role != Role::owner) return fail(not_allowed("only the owner hands ownership over"));
  auto target = chats_.member(chat_id, to);
  if (!target) return fail(target.error());
  if (!*target || to == me) return fail(Error::not_found("member_not_found", "the new owner must be another member"));
  if (auto ok = chats_.transfer_ownership(chat_id, me, to); !ok) return fail(ok.error());
  return changed(std::move(found->first), "owner_changed", me, to);
}

Result<ChatPage> ChatService::list(std::string_view me, const std::optional<ChatListCursor>& after, int limit) {
  if (limit < 1 || limit > kMaxPage) return fail(Error::invalid("invalid_query", "limit must be 1-100"));
  auto chats = chats_.chats_of(me, after, limit + 1);
  if (!chats) return fail(chats.error());
  ChatPage page;
  if (static_cast<int>(chats->size()) > limit) {
    chats->resize(static_cast<std::size_t>(limit));
    page.next = ChatListCursor{chats->back().last_activity_ms, chats->back().id};
  }
  std::vector<std::string> partners;
  for (auto& chat : *chats) {
    auto digest = digests_.digest(chat.id, me);
    if (!digest) return fail(digest.error());
    ChatListItem item{std::move(chat), std::move(*digest), {}, {}, {}};
    if (item.chat.kind == domain::ChatKind::direct) {
      auto members = chats_.members(item.chat.id);
      if (!members) return fail(members.error());
      for (auto& m : *members) {
        if (m.user_id != me) item.partner_id = m.user_id;
        item.member_ids.push_back(std::move(m.user_id));
      }
      partners.push_back(item.partner_id);
    }
    page.items.push_back(std::move(item));
  }
  // One presence lookup for the whole page.
  auto states = presence_of(partners);
  std::size_t next = 0;
  for (auto& item : page.items)
    if (!item.partner_id.empty() && next < states.size()) item.partner = states[next++];
  return page;
}

} // namespace parley

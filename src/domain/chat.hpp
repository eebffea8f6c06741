#pragma once
// Chats, members and roles: the entities of the chat service, and its rules (no I/O).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parley::domain {

enum class ChatKind { direct, group };
enum class Role { member = 0, admin = 1, owner = 2 }; // ordered: a higher role can do what a lower can

constexpr std::string_view to_string(ChatKind k) { return k == ChatKind::direct ? "direct" : "group"; }
constexpr std::string_view to_string(Role r) {
  return r == Role::owner ? "owner" : r == Role::admin ? "admin" : "member";
}
std::optional<Role> parse_role(std::string_view text);

// A chat's newest activity (a message), which orders chat lists.
struct ChatActivity {
  std::string chat_id;
  std::int64_t at_ms = 0;
};

// The key that makes a 1:1 chat unique for an unordered pair of users.
std::string direct_key(std::string_view user_a, std::string_view user_b);

// Whether `actor` may remove `target` from a group: admins remove members, the owner
// removes anyone; nobody removes the owner; anyone may remove themselves (leave), but
// the owner must hand over ownership first.
bool may_remove(Role actor, Role target, bool self);
// Whether `actor` may give `target` the role `to`: only the owner changes roles, and
// ownership moves only by hand-over.
bool may_set_role(Role actor, Role target, Role to);

} // namespace parley::domain

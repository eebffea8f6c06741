#include "domain/chat.hpp"

namespace parley::domain {

std::optional<Role> parse_role(std::string_view text) {
  if (text == "member") return Role::member;
  if (text == "admin") return Role::admin;
  if (text == "owner") return Role::owner;
  return std::nullopt;
}

std::string direct_key(std::string_view a, std::string_view b) {
  return a < b ? std::string(a) + ":" + std::string(b) : std::string(b) + ":" + std::string(a);
}

bool may_remove(Role actor, Role target, bool self) {
  if (target == Role::owner) return false;
  if (self) return true;
  return actor == Role::owner || (actor == Role::admin && target == Role::member);
}

bool may_set_role(Role actor, Role target, Role to) {
  return actor == Role::owner && target != Role::owner && to != Role::owner;
}

} // namespace parley::domain

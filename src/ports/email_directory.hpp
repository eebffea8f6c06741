#pragma once
// The auth service as mail-sending services see it: where to write to a user.

#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace parley {

class EmailDirectory {
 public:
  virtual ~EmailDirectory() = default;
  // The user's e-mail address when verified; nullopt otherwise (or no such user).
  virtual Result<std::optional<std::string>> email_of(std::string_view user_id) = 0;
};

} // namespace parley

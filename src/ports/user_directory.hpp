#pragma once
// The user service as other services see it (in-process now, HTTP between processes).

#include <string>
#include <string_view>

#include "core/error.hpp"

namespace parley {

struct NewProfile {
  std::string id;
  std::string username; // normalised
  std::string email;    // normalised
  std::string display_name;
};

class UserDirectory {
 public:
  virtual ~UserDirectory() = default;
  // Fails with conflict "username_taken".
  virtual Result<void> create_profile(const NewProfile& profile) = 0;
  virtual Result<bool> exists(std::string_view id) = 0;
  // Removing a missing profile is not an error.
  virtual Result<void> remove_profile(std::string_view id) = 0;
};

} // namespace parley

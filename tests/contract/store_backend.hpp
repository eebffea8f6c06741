#pragma once
// What a contract suite needs from an adapter: a fresh, empty set of stores per test.
// Each adapter's test file (sqlite_contract_test.cpp, mongo_contract_test.cpp)
// implements StoreBackend and instantiates the suites with a BackendParam.

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include "ports/account_store.hpp"
#include "ports/chat_store.hpp"
#include "ports/message_store.hpp"
#include "ports/notification_store.hpp"
#include "ports/otp_store.hpp"
#include "ports/profile_store.hpp"
#include "ports/session_store.hpp"

namespace parley::contract {

class StoreBackend {
 public:
  virtual ~StoreBackend() = default;
  virtual AccountStore& accounts() = 0;
  virtual SessionStore& sessions() = 0;
  virtual OtpStore& otps() = 0;
  virtual ProfileStore& profiles() = 0;
  // A session store on its own connection to the same data, for cross-connection
  // concurrency tests; nullptr when the backend cannot open one (in-memory).
  virtual std::shared_ptr<SessionStore> open_session_store() = 0;
  virtual ChatStore& chats() = 0;
  virtual MessageStore& messages() = 0;
  virtual NotificationStore& notifications() = 0;
  // Like open_session_store(), for the chat and message stores.
  virtual std::shared_ptr<ChatStore> open_chat_store() = 0;
  virtual std::shared_ptr<MessageStore> open_message_store() = 0;
};

struct BackendParam {
  std::string name; // test-name suffix: letters, digits and '_' only
  std::function<std::unique_ptr<StoreBackend>()> make;
};

inline std::ostream& operator<<(std::ostream& os, const BackendParam& p) { return os << p.name; }

inline std::string backend_name(const testing::TestParamInfo<BackendParam>& info) { return info.param.name; }

// Fixture base: one fresh backend per test.
class StoreContract : public testing::TestWithParam<BackendParam> {
 protected:
  // A backend that needs a server the environment does not name makes nullptr: skipped.
  void SetUp() override {
    backend_ = GetParam().make();
    if (!backend_) GTEST_SKIP() << "backend not configured";
  }
  void TearDown() override { backend_.reset(); }
  StoreBackend& backend() { return *backend_; }

 private:
  std::unique_ptr<StoreBackend> backend_;
};

} // namespace parley::contract

#pragma once
// The groups of the ceiling server: who is in which, and sending a frame to all of them. The
// frame is shared by every recipient; the member list is copied under the lock and the frame
// queued to each member after releasing it, so a broadcast never waits for a socket.

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace ceiling {

class Session;
using Frame = std::shared_ptr<const std::string>;

class Groups {
 public:
  void join(const std::string& group, const std::shared_ptr<Session>& session);
  void leave(const std::string& group, const Session* session);
  // Queues `frame` to every member of `group`, the sender included.
  void broadcast(const std::string& group, const Frame& frame);

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, std::vector<std::shared_ptr<Session>>> members_;
};

} // namespace ceiling

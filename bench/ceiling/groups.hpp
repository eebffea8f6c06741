#pragma once
// The groups of the ceiling server: who is in which, and sending a frame to all of them. The
// frame is shared by every recipient; the member list is copied under the lock and the frame
// queued to each member after releasing it, so a broadcast never waits for a socket.
//
// The frames a network thread reads in one turn of its loop are delivered together: each
// member gets them in one send, hence one write, as Parley delivers the publications of one
// store commit.

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

namespace ceiling {

class Session;
using Frame = std::shared_ptr<const std::string>;

class Groups {
 public:
  void join(const std::string& group, const std::shared_ptr<Session>& session);
  void leave(const std::string& group, const Session* session);
  // Queues `frame` to every member of `group`, the sender included, once the frames read with
  // it have been gathered; called on a network thread, `ex` the reading connection's executor.
  void broadcast(const std::string& group, Frame frame, const boost::asio::any_io_executor& ex);

 private:
  // Sends this thread's pending frames once no more came since the last round.
  void flush(const boost::asio::any_io_executor& ex, int round);

  std::mutex mutex_;
  std::unordered_map<std::string, std::vector<std::shared_ptr<Session>>> members_;
};

} // namespace ceiling

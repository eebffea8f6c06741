#include "ceiling/groups.hpp"

#include <algorithm>
#include <utility>

#include <boost/asio/post.hpp>

#include "ceiling/session.hpp"

namespace ceiling {

void Groups::join(const std::string& group, const std::shared_ptr<Session>& session) {
  std::lock_guard lock(mutex_);
  members_[group].push_back(session);
}

void Groups::leave(const std::string& group, const Session* session) {
  std::lock_guard lock(mutex_);
  const auto it = members_.find(group);
  if (it == members_.end()) return;
  std::erase_if(it->second, [session](const auto& s) { return s.get() == session; });
  if (it->second.empty()) members_.erase(it);
}

namespace {
// This network thread's frames not yet delivered, per group, in the order read, and how many
// of them came since the delivering handler was last queued.
thread_local std::vector<std::pair<std::string, std::vector<Frame>>> t_pending;
thread_local std::size_t t_fresh = 0;
// A reader's next message, already received, completes in a handler of its own: the
// delivering handler queues itself again behind those while frames keep coming, this often.
constexpr int kMaxRounds = 8;
} // namespace

void Groups::broadcast(const std::string& group, Frame frame, const boost::asio::any_io_executor& ex) {
  // Delivered by a handler queued behind the reads already completed on this thread.
  if (t_pending.empty()) boost::asio::post(ex, [this, ex] { flush(ex, 1); });
  ++t_fresh;
  auto it = std::find_if(t_pending.begin(), t_pending.end(), [&](const auto& p) { return p.first == group; });
  if (it == t_pending.end()) it = t_pending.insert(t_pending.end(), {group, {}});
  it->second.push_back(std::move(frame));
}

void Groups::flush(const boost::asio::any_io_executor& ex, int round) {
  if (std::exchange(t_fresh, 0) > 0 && round < kMaxRounds)
    return boost::asio::post(ex, [this, ex, round] { flush(ex, round + 1); });
  auto pending = std::exchange(t_pending, {});
  for (const auto& [group, frames] : pending) {
    std::vector<std::shared_ptr<Session>> targets;
    {
      std::lock_guard lock(mutex_);
      const auto it = members_.find(group);
      if (it == members_.end()) continue;
      targets = it->second;
    }
    for (const auto& s : targets) s->send(frames);
  }
}

} // namespace ceiling

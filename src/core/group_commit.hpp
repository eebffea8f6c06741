#pragma once
// Group commit without a thread of its own: concurrent callers' requests are written together.
// The first caller in writes what queued (its own request included) with one call of the write
// function; callers arriving meanwhile queue and wait, and the next of them writes their batch
// once the first is done. A lone caller writes alone, without waiting for company.
//
// `write` gets the requests in arrival order and returns one answer per request, in that order.
// If it throws, every caller of that batch gets the exception.

#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

namespace parley {

template <class Request, class Answer>
class GroupCommit {
 public:
  using Write = std::function<std::vector<Answer>(const std::vector<Request>&)>;

  explicit GroupCommit(Write write) : write_(std::move(write)) {}

  Answer run(Request request) {
    Slot slot;
    std::unique_lock lock(mutex_);
    queue_.push_back({std::move(request), &slot});
    while (!slot.answer && !slot.error) {
      if (writing_) {
        written_.wait(lock);
        continue;
      }
      writing_ = true;
      auto batch = std::exchange(queue_, {});
      lock.unlock();
      std::vector<Request> requests;
      requests.reserve(batch.size());
      for (auto& queued : batch) requests.push_back(std::move(queued.request));
      std::vector<Answer> answers;
      std::exception_ptr error;
      try {
        answers = write_(requests);
        if (answers.size() != batch.size()) throw std::logic_error("group commit: one answer per request expected");
      } catch (...) {
        error = std::current_exception();
      }
      lock.lock();
      for (std::size_t i = 0; i < batch.size(); ++i) {
        if (error)
          batch[i].slot->error = error;
        else
          batch[i].slot->answer.emplace(std::move(answers[i]));
      }
      writing_ = false;
      written_.notify_all();
    }
    if (slot.error) std::rethrow_exception(slot.error);
    return std::move(*slot.answer);
  }

  // Requests queued and not yet being written (for tests).
  std::size_t queued() const {
    std::lock_guard lock(mutex_);
    return queue_.size();
  }

 private:
  struct Slot {
    std::optional<Answer> answer;
    std::exception_ptr error;
  };
  struct Queued {
    Request request;
    Slot* slot; // on its caller's stack, which waits until it is filled
  };

  Write write_;
  mutable std::mutex mutex_;
  std::condition_variable written_;
  std::vector<Queued> queue_;
  bool writing_ = false;
};

} // namespace parley

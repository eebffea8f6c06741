#include "loadgen/workers.hpp"

#include <future>

#include <boost/asio/post.hpp>

namespace loadgen {

Workers::Workers(int threads) {
  for (int i = 0; i < threads; ++i) {
    contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
    guards_.emplace_back(boost::asio::make_work_guard(*contexts_.back()));
  }
  for (auto& ctx : contexts_) threads_.emplace_back([&ctx] { ctx->run(); });
}

Workers::~Workers() { stop(); }

void Workers::run_on_each(const std::function<void(int)>& f) {
  std::vector<std::future<void>> done;
  for (int i = 0; i < size(); ++i) {
    auto task = std::make_shared<std::packaged_task<void()>>([&f, i] { f(i); });
    done.push_back(task->get_future());
    boost::asio::post(context(i), [task] { (*task)(); });
  }
  for (auto& d : done) d.get();
}

void Workers::stop() {
  for (auto& g : guards_) g.reset();
  for (auto& ctx : contexts_) ctx->stop();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

} // namespace loadgen

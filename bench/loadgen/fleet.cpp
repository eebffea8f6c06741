#include "loadgen/fleet.hpp"

#include <algorithm>
#include <cmath>
#include <thread>
#include <unordered_set>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace loadgen {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

void FleetStats::merge(const FleetStats& other) {
  attempted += other.attempted;
  established += other.established;
  failed += other.failed;
  dropped += other.dropped;
  frames += other.frames;
  pings += other.pings;
  open_us.merge(other.open_us);
  dropped_after_us.merge(other.dropped_after_us);
  for (const auto& [k, n] : other.failures) failures[k] += n;
  for (const auto& [k, n] : other.drops) drops[k] += n;
  first_start = std::min(first_start, other.first_start);
  last_done = std::max(last_done, other.last_done);
}

double FleetStats::open_seconds() const {
  if (last_done < first_start) return 0;
  return std::chrono::duration<double>(last_done - first_start).count();
}

boost::json::object FleetStats::to_json() const {
  boost::json::object fails, lost;
  for (const auto& [k, n] : failures) fails[k] = n;
  for (const auto& [k, n] : drops) lost[k] = n;
  const double seconds = open_seconds();
  return {{"attempted", attempted},
          {"established", established},
          {"failed", failed},
          {"dropped", dropped},
          {"frames", frames},
          {"pings", pings},
          {"failures", std::move(fails)},
          {"drops", std::move(lost)},
          {"open_started_ns", established + failed ? monotonic_ns(first_start) : 0},
          {"open_finished_ns", established + failed ? monotonic_ns(last_done) : 0},
          {"open_seconds", seconds},
          {"open_rate_per_s", seconds > 0 ? static_cast<double>(established) / seconds : 0.0},
          {"open_latency_ms", open_us.to_json(1000.0)},
          {"dropped_after_ms", dropped_after_us.to_json(1000.0)}};
}

// Touched only on its own thread (the atomics in Fleet aside).
struct Fleet::Shard {
  Shard(Fleet& f, int i, long n) : fleet(f), index(i), count(n), ctx(f.ctx_.workers.context(i)), slot(ctx) {}

  Fleet& fleet;
  int index;
  long count; // connections this thread opens
  asio::io_context& ctx;
  asio::steady_timer slot; // the launcher waits here for an attempt to finish
  long max_in_flight = 1;
  double rate = 0; // attempts per second on this thread
  long in_flight = 0;
  bool stopping = false;
  bool launcher_done = false;
  std::unordered_set<WsSession*> live;
  FleetStats stats;

  asio::awaitable<void> launch();
  asio::awaitable<void> connection(const Credential& who, Source source);
};

asio::awaitable<void> Fleet::Shard::launch() {
  const auto& creds = fleet.ctx_.credentials;
  const auto threads = static_cast<long>(fleet.shards_.size());
  asio::steady_timer pace(ctx);
  const auto start = Clock::now();
  boost::system::error_code ec;
  for (long j = 0; j < count && !stopping; ++j) {
    while (in_flight >= max_in_flight && !stopping) {
      slot.expires_at(asio::steady_timer::time_point::max());
      co_await slot.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (rate > 0) {
      pace.expires_at(start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(j / rate)));
      co_await pace.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (stopping) break;
    const long global = index + j * threads;
    const auto& who = creds[static_cast<std::size_t>((fleet.ctx_.options.first_credential + global) %
                                                     static_cast<long>(creds.size()))];
    Source source;
    if (!fleet.sources_.empty()) source = fleet.sources_[static_cast<std::size_t>(global) % fleet.sources_.size()];
    ++in_flight;
    ++stats.attempted;
    asio::co_spawn(ctx, connection(who, source), asio::detached);
  }
  launcher_done = true;
}

asio::awaitable<void> Fleet::Shard::connection(const Credential& who, Source source) {
  WsSession session(ctx, fleet.ctx_.protocol);
  live.insert(&session);
  const auto started = Clock::now();
  stats.first_start = std::min(stats.first_start, started);
  const auto failure = co_await session.open(fleet.ctx_.target, source, who, fleet.ctx_.options.timeout);
  const auto done = Clock::now();
  stats.last_done = std::max(stats.last_done, done);
  --in_flight;
  slot.cancel_one();
  if (!failure.phase.empty()) {
    ++stats.failed;
    ++stats.failures[stopping ? "stopped before established" : failure.key()];
    ++fleet.failed_;
  } else {
    stats.open_us.record(
        static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(done - started).count()));
    ++stats.established;
    ++fleet.established_;
    const int thread = index;
    const auto& on_frame = fleet.on_frame_;
    const auto ended = co_await session.read_loop(
        [this, thread, &on_frame](std::string_view frame) {
          ++stats.frames;
          if (on_frame) on_frame(thread, frame);
        },
        [this] { ++stats.pings; });
    if (!stopping) {
      stats.dropped_after_us.record(static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - done).count()));
      ++stats.dropped;
      ++stats.drops[ended.key()];
      ++fleet.dropped_;
    }
  }
  live.erase(&session);
}

Fleet::Fleet(Context& ctx, OnFrame on_frame)
    : ctx_(ctx), on_frame_(std::move(on_frame)), total_(ctx.options.connections) {
  for (const auto& ip : ctx_.options.source_ips) sources_.push_back(asio::ip::make_address(ip));
  const int threads = ctx_.workers.size();
  const long per_thread_in_flight =
      std::max(1L, static_cast<long>(std::ceil(static_cast<double>(ctx_.options.concurrency) / threads)));
  for (int i = 0; i < threads; ++i) {
    const long count = total_ / threads + (i < total_ % threads ? 1 : 0);
    auto shard = std::make_unique<Shard>(*this, i, count);
    shard->max_in_flight = per_thread_in_flight;
    shard->rate = ctx_.options.rate / threads;
    shards_.push_back(std::move(shard));
  }
}

Fleet::~Fleet() {
  // The shards' timers belong to the workers' io_contexts: stop the threads first.
  ctx_.workers.stop();
}

void Fleet::start() {
  for (auto& shard : shards_) asio::co_spawn(shard->ctx, shard->launch(), asio::detached);
}

FleetStats Fleet::stop(std::chrono::milliseconds drain) {
  ctx_.workers.run_on_each([this](int i) {
    auto& s = *shards_[static_cast<std::size_t>(i)];
    s.stopping = true;
    s.slot.cancel();
    for (auto* session : s.live) session->abort();
  });
  const auto deadline = Clock::now() + drain;
  for (;;) {
    std::atomic<bool> idle{true};
    ctx_.workers.run_on_each([this, &idle](int i) {
      const auto& s = *shards_[static_cast<std::size_t>(i)];
      if (!s.live.empty() || !s.launcher_done) idle = false;
    });
    if (idle || Clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::vector<FleetStats> parts(shards_.size());
  ctx_.workers.run_on_each(
      [this, &parts](int i) { parts[static_cast<std::size_t>(i)] = shards_[static_cast<std::size_t>(i)]->stats; });
  FleetStats merged;
  for (const auto& part : parts) merged.merge(part);
  return merged;
}

} // namespace loadgen

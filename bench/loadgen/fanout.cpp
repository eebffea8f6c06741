// Scenario "fanout": every member of some groups connected, a few of them publishing, and
// each publication timed from the publisher to every member. What to do comes from --plan,
// a JSON file the harness writes for each generator process (bench/harness/fanout.py):
//
//   {"connections": [{"credential": 0, "group": "G", "tag": 3}, ...],  // tag: publishers only
//    "phases": [{"name": "fixed", "rate": 200, "warmup_s": 2, "duration_s": 5}, ...],
//    "gap_s": 1.5, "window": 500, "body_bytes": 48, "go_file": "/tmp/.../go"}
//
// 1. Every connection opens (at most --concurrency at once) and joins its group (Centrifugo:
//    subscribe; Parley and the ceiling: nothing). Then `ready` is emitted.
// 2. The harness writes a start time (CLOCK_MONOTONIC nanoseconds, shared by every process
//    on the host) to go_file once all generators are ready; each polls for it.
// 3. The phases follow one another from that time: publishers send for warmup_s + duration_s
//    (at `rate` publications/s for this process, spread over its publishers; 0: as fast as
//    `window` allows), then nobody sends for gap_s so that what is in flight lands. Only
//    the last duration_s of a phase is measured.
// 4. `window` bounds the publications this process has sent without their final answer
//    (Parley: `stored` or an error; Centrifugo: the publish reply; the ceiling: the
//    publisher's own copy), split evenly over its publishers, so a server is never buried.
//
// A body is "SENT_NS TAG SEQ xxxx..." (body_bytes long): every member that receives it records
// (receipt time - SENT_NS) in its thread's histogram if the receipt falls in a measured
// window, and counts it. The report has per phase: publications sent, deliveries, their
// bytes and latency; per run: connections, drops and errors.

#include <atomic>
#include <cmath>
#include <deque>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>
#include <unordered_set>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "loadgen/histogram.hpp"
#include "loadgen/json_scan.hpp"
#include "loadgen/scenario.hpp"

namespace loadgen {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

// Request ids: Centrifugo's connect is 1, the join 2; publications count from here.
constexpr std::uint64_t kJoinId = 2;
constexpr std::uint64_t kFirstPublishId = 3;

struct Phase {
  std::string name;
  double rate = 0; // publications per second, this process; 0: as fast as the window allows
  double warmup_s = 0;
  double duration_s = 0;
  Clock::time_point begin, from, to; // sending: [begin, to); measured: [from, to)
};

struct Plan {
  struct Connection {
    std::size_t credential = 0;
    std::string group;
    std::int64_t tag = -1; // >= 0: a publisher, and the tag in its bodies
  };
  std::vector<Connection> connections;
  std::vector<Phase> phases;
  double gap_s = 1;
  std::size_t window = 500;
  std::size_t body_bytes = 48;
  std::string go_file;
  std::size_t publishers = 0;
};

Plan load_plan(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read --plan " + path);
  std::stringstream text;
  text << in.rdbuf();
  const auto doc = json::parse(text.str()).as_object();
  Plan plan;
  for (const auto& c : doc.at("connections").as_array()) {
    const auto& o = c.as_object();
    Plan::Connection conn{static_cast<std::size_t>(o.at("credential").to_number<std::int64_t>()),
                          json::value_to<std::string>(o.at("group")), -1};
    if (const auto* tag = o.if_contains("tag")) conn.tag = tag->to_number<std::int64_t>();
    if (conn.tag >= 0) ++plan.publishers;
    plan.connections.push_back(std::move(conn));
  }
  for (const auto& p : doc.at("phases").as_array()) {
    const auto& o = p.as_object();
    plan.phases.push_back({json::value_to<std::string>(o.at("name")), o.at("rate").to_number<double>(),
                           o.at("warmup_s").to_number<double>(), o.at("duration_s").to_number<double>()});
  }
  plan.gap_s = doc.at("gap_s").to_number<double>();
  plan.window = static_cast<std::size_t>(std::max<std::int64_t>(1, doc.at("window").to_number<std::int64_t>()));
  plan.body_bytes = static_cast<std::size_t>(doc.at("body_bytes").to_number<std::int64_t>());
  plan.go_file = json::value_to<std::string>(doc.at("go_file"));
  if (plan.connections.empty()) throw std::invalid_argument("--plan: no connections");
  return plan;
}

Clock::duration seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

struct PhaseStats {
  Histogram latency_us;        // receipt - send, for receipts in the measured window
  std::uint64_t published = 0; // sends made in the measured window
  std::uint64_t deliveries = 0;
  std::uint64_t frames = 0; // frames that carried them (Centrifugo batches)
  std::uint64_t bytes = 0;
};

// One worker thread's counts (its connections live on it: no locking).
struct Stats {
  std::vector<PhaseStats> phases;
  std::uint64_t established = 0, joined = 0, failed = 0, dropped = 0;
  std::uint64_t sent = 0, answered = 0, delivered = 0, keepalives = 0;
  std::map<std::string, std::uint64_t> failures; // "phase: reason" of failed or dropped connections
  std::map<std::string, std::uint64_t> errors;   // error answers to publications, by code
};

// What all clients share; read-only once the timeline is set (start_ns != 0).
struct Shared {
  Context& ctx;
  Plan plan;
  std::atomic<std::int64_t> start_ns{0};
  std::atomic<bool> stopping{false};
  std::atomic<long> opening{0}, settled{0}; // attempts in flight; connections ready or failed
};

// Which measured window `now` falls in, or -1.
int phase_at(const std::vector<Phase>& phases, Clock::time_point now) {
  for (std::size_t i = 0; i < phases.size(); ++i)
    if (now >= phases[i].from && now < phases[i].to) return static_cast<int>(i);
  return -1;
}

class Client : public std::enable_shared_from_this<Client> {
 public:
  Client(asio::io_context& io, Shared& shared, const Plan::Connection& conn, Source source, Stats& stats)
      : io_(io),
        shared_(shared),
        conn_(conn),
        source_(std::move(source)),
        stats_(stats),
        session_(io, shared.ctx.protocol),
        wake_(io),
        writer_wake_(io) {
    const auto publishers = std::max<std::size_t>(1, shared.plan.publishers);
    window_ = std::max<std::size_t>(1, shared.plan.window / publishers);
    share_ = 1.0 / static_cast<double>(publishers);
  }

  // The client lives as long as its coroutines (each holds it).
  static asio::awaitable<void> run(std::shared_ptr<Client> self) { co_await self->live(); }

  // Closes the socket; the coroutines end.
  void abort() {
    closed_ = true;
    session_.abort();
    wake_.cancel();
    writer_wake_.cancel();
  }

 private:
  const Protocol& protocol() const { return shared_.ctx.protocol; }

  asio::awaitable<void> live() {
    auto& ctx = shared_.ctx;
    const auto& who = ctx.credentials[conn_.credential % ctx.credentials.size()];
    const auto failure = co_await session_.open(ctx.target, source_, who, ctx.options.timeout);
    --shared_.opening;
    if (!failure.phase.empty()) {
      ++stats_.failed;
      ++stats_.failures[failure.key()];
      ++shared_.settled;
      co_return;
    }
    ++stats_.established;
    asio::co_spawn(io_, reader(shared_from_this()), asio::detached);
    asio::co_spawn(io_, writer(shared_from_this()), asio::detached);
    if (auto join = protocol().join_frame(conn_.group, kJoinId); !join.empty()) {
      queue(std::move(join));
      const auto deadline = Clock::now() + ctx.options.timeout;
      while (!joined_ && join_error_.empty() && !closed_ && Clock::now() < deadline) co_await pause_until(deadline);
      if (!joined_) {
        ++stats_.failed;
        ++stats_
              .failures[join_error_.empty() ? (closed_ ? "join: closed" : "join: timed out") : "join: " + join_error_];
        ++shared_.settled;
        abort();
        co_return;
      }
    }
    joined_ = true;
    ++stats_.joined;
    ++shared_.settled;
    if (conn_.tag < 0) co_return; // a member only: the reader does the rest
    while (shared_.start_ns.load(std::memory_order_acquire) == 0 && !closed_ && !shared_.stopping)
      co_await pause_until(Clock::now() + std::chrono::milliseconds(10));
    for (std::size_t i = 0; i < shared_.plan.phases.size() && !closed_ && !shared_.stopping; ++i)
      co_await publish(shared_.plan.phases[i], stats_.phases[i]);
  }

  asio::awaitable<void> pause_until(Clock::time_point t) {
    boost::system::error_code ec;
    wake_.expires_at(t);
    co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }

  asio::awaitable<void> publish(const Phase& phase, PhaseStats& measured) {
    const double rate = phase.rate * share_; // this publisher's
    const auto interval = rate > 0 ? seconds(1 / rate) : Clock::duration::zero();
    auto next = phase.begin;
    if (rate > 0) {
      // Publishers start spread over one interval, not all at once: tag t at the fractional part
      // of t times the golden ratio, which places consecutive tags far apart whatever their count.
      const double offset = std::fmod(static_cast<double>(conn_.tag + 1) * 0.6180339887498949, 1.0);
      next += std::chrono::duration_cast<Clock::duration>(interval * offset);
    }
    while (Clock::now() < phase.begin && !closed_) co_await pause_until(phase.begin);
    while (!closed_ && !shared_.stopping) {
      const auto now = Clock::now();
      if (now >= phase.to) break;
      if (pending_.size() >= window_) { // an answer wakes us
        co_await pause_until(phase.to);
        continue;
      }
      if (rate > 0 && now < next) {
        co_await pause_until(next);
        continue;
      }
      const auto id = next_id_++;
      std::string body =
          std::to_string(std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count());
      body.append(" ").append(std::to_string(conn_.tag)).append(" ").append(std::to_string(id)).append(" ");
      if (body.size() < shared_.plan.body_bytes) body.append(shared_.plan.body_bytes - body.size(), 'x');
      queue(protocol().publish_frame(conn_.group, id, body));
      pending_.insert(id);
      ++stats_.sent;
      if (now >= phase.from) ++measured.published;
      if (rate > 0) {
        next += interval;
        if (next < now - std::chrono::seconds(1)) next = now; // after a stall: no burst to catch up
      }
    }
  }

  void settle(std::uint64_t id) {
    if (pending_.erase(id) == 0) return;
    ++stats_.answered;
    if (pending_.size() + 1 == window_) wake_.cancel(); // the publisher waits for room
  }

  void queue(std::string frame) {
    outbox_.push_back(std::move(frame));
    writer_wake_.cancel();
  }

  // One write at a time, in order: publications, joins and keep-alive answers share it.
  asio::awaitable<void> writer(std::shared_ptr<Client> /*self*/) {
    boost::system::error_code ec;
    while (!closed_) {
      if (outbox_.empty()) {
        writer_wake_.expires_at(Clock::time_point::max());
        co_await writer_wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      const auto failure = co_await session_.write(outbox_.front());
      outbox_.pop_front();
      if (!failure.phase.empty()) break; // the reader sees the end too
    }
  }

  asio::awaitable<void> reader(std::shared_ptr<Client> /*self*/) {
    const auto end = co_await session_.read_loop([this](std::string_view frame) { on_frame(frame); },
                                                 [this] { ++stats_.keepalives; });
    if (!closed_ && !shared_.stopping) {
      ++stats_.dropped;
      ++stats_.failures[end.key()];
    }
    closed_ = true;
    wake_.cancel();
    writer_wake_.cancel();
  }

  void on_frame(std::string_view frame) {
    const auto now = Clock::now();
    const int phase = shared_.start_ns.load(std::memory_order_acquire) ? phase_at(shared_.plan.phases, now) : -1;
    const auto now_ns = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count());
    bool delivery = false;
    protocol().read_items(frame, [&](const Item& item) {
      switch (item.kind) {
        case Item::Kind::delivery: {
          auto body = item.body;
          const auto sent = leading_uint(body);
          const auto tag = leading_uint(body);
          const auto seq = leading_uint(body);
          if (!sent || !tag || !seq) return;
          delivery = true;
          ++stats_.delivered;
          if (phase >= 0) {
            auto& p = stats_.phases[static_cast<std::size_t>(phase)];
            ++p.deliveries;
            p.latency_us.record(now_ns > *sent ? (now_ns - *sent) / 1000 : 0);
          }
          if (!protocol().answers_publish() && static_cast<std::int64_t>(*tag) == conn_.tag) settle(*seq);
          return;
        }
        case Item::Kind::answer:
          if (item.id == kJoinId && !joined_) {
            if (item.error.empty())
              joined_ = true;
            else
              join_error_ = "error " + std::string(item.error);
            wake_.cancel();
            return;
          }
          if (!item.error.empty()) ++stats_.errors[std::string(item.error)];
          if (item.id >= kFirstPublishId) settle(item.id);
          return;
        case Item::Kind::keepalive: // batched with other items: answered here, not by read_loop
          ++stats_.keepalives;
          queue("{}");
          return;
        case Item::Kind::other:
          return;
      }
    });
    if (delivery && phase >= 0) {
      auto& p = stats_.phases[static_cast<std::size_t>(phase)];
      ++p.frames;
      p.bytes += frame.size();
    }
  }

  asio::io_context& io_;
  Shared& shared_;
  const Plan::Connection& conn_;
  Source source_;
  Stats& stats_;
  WsSession session_;
  asio::steady_timer wake_;        // the publisher's and the joiner's pause
  asio::steady_timer writer_wake_; // the writer's, when the outbox is empty
  std::deque<std::string> outbox_;
  std::unordered_set<std::uint64_t> pending_; // publications without their final answer
  std::size_t window_ = 1;
  double share_ = 1; // of the process's rate
  std::uint64_t next_id_ = kFirstPublishId;
  bool joined_ = false, closed_ = false;
  std::string join_error_;
};

json::object phase_json(const Phase& phase, const PhaseStats& s) {
  return {{"name", phase.name},
          {"rate", phase.rate},
          {"from_ns", monotonic_ns(phase.from)},
          {"to_ns", monotonic_ns(phase.to)},
          {"seconds", phase.duration_s},
          {"published", s.published},
          {"deliveries", s.deliveries},
          {"frames", s.frames},
          {"bytes", s.bytes},
          {"latency_ms", s.latency_us.to_json(1000.0)}};
}

} // namespace

json::object run_fanout(Context& ctx) {
  const auto& opt = ctx.options;
  if (opt.plan.empty()) throw std::invalid_argument("fanout: --plan is required");
  Shared shared{ctx, load_plan(opt.plan)};
  const auto& plan = shared.plan;
  const int threads = ctx.workers.size();
  std::vector<Stats> stats(static_cast<std::size_t>(threads));
  for (auto& s : stats) s.phases.resize(plan.phases.size());
  std::vector<std::vector<std::shared_ptr<Client>>> clients(static_cast<std::size_t>(threads)); // per thread
  std::vector<asio::ip::address> sources;
  for (const auto& ip : opt.source_ips) sources.push_back(asio::ip::make_address(ip));

  const long total = static_cast<long>(plan.connections.size());
  for (long i = 0; i < total && !ctx.stop.received(); ++i) {
    while (shared.opening.load() >= opt.concurrency && !ctx.stop.wait_for(std::chrono::milliseconds(1))) {
    }
    const int w = static_cast<int>(i % threads);
    Source source;
    if (!sources.empty()) source = sources[static_cast<std::size_t>(i) % sources.size()];
    auto client =
        std::make_shared<Client>(ctx.workers.context(w), shared, plan.connections[static_cast<std::size_t>(i)], source,
                                 stats[static_cast<std::size_t>(w)]);
    ++shared.opening;
    asio::co_spawn(
        ctx.workers.context(w),
        [client, &list = clients[static_cast<std::size_t>(w)]]() -> asio::awaitable<void> {
          list.push_back(client);
          co_await Client::run(client);
        },
        asio::detached);
  }
  while (shared.settled.load() < total && !ctx.stop.wait_for(std::chrono::milliseconds(10))) {
  }
  Stats ready;
  ctx.workers.run_on_each([&](int w) {
    ready.joined += stats[static_cast<std::size_t>(w)].joined;
    ready.failed += stats[static_cast<std::size_t>(w)].failed;
  });
  ctx.emit({{"event", "ready"}, {"joined", ready.joined}, {"failed", ready.failed}});
  ctx.progress("ready: " + std::to_string(ready.joined) + " joined, " + std::to_string(ready.failed) + " failed");

  // The start time, from the harness, once every generator is ready.
  std::int64_t start_ns = 0;
  while (!ctx.stop.received()) {
    std::ifstream go(plan.go_file);
    if (go >> start_ns && start_ns > 0) break;
    ctx.stop.wait_for(std::chrono::milliseconds(10));
  }
  const Clock::time_point start{std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(start_ns))};
  auto t = start;
  for (auto& phase : shared.plan.phases) {
    phase.begin = t;
    phase.from = t + seconds(phase.warmup_s);
    phase.to = phase.from + seconds(phase.duration_s);
    t = phase.to + seconds(plan.gap_s);
  }
  shared.start_ns.store(start_ns, std::memory_order_release);
  const auto late = Clock::now() > start ? std::chrono::duration<double>(Clock::now() - start).count() : 0.0;
  for (const auto& phase : plan.phases) {
    if (ctx.stop.received()) break;
    std::this_thread::sleep_until(phase.begin);
    ctx.progress("phase " + phase.name +
                 (phase.rate > 0 ? " at " + std::to_string(phase.rate) + "/s" : " at max rate"));
  }
  while (Clock::now() < t && !ctx.stop.wait_for(std::chrono::milliseconds(20))) {
  }

  shared.stopping = true;
  Stats total_stats;
  total_stats.phases.resize(plan.phases.size());
  ctx.workers.run_on_each([&](int w) {
    for (auto& c : clients[static_cast<std::size_t>(w)]) c->abort();
    const auto& s = stats[static_cast<std::size_t>(w)];
    for (std::size_t i = 0; i < s.phases.size(); ++i) {
      auto& p = total_stats.phases[i];
      p.latency_us.merge(s.phases[i].latency_us);
      p.published += s.phases[i].published;
      p.deliveries += s.phases[i].deliveries;
      p.frames += s.phases[i].frames;
      p.bytes += s.phases[i].bytes;
    }
    using Count = std::uint64_t Stats::*;
    for (Count f : {&Stats::established, &Stats::joined, &Stats::failed, &Stats::dropped, &Stats::sent,
                    &Stats::answered, &Stats::delivered, &Stats::keepalives})
      total_stats.*f += s.*f;
    for (const auto& [k, v] : s.failures) total_stats.failures[k] += v;
    for (const auto& [k, v] : s.errors) total_stats.errors[k] += v;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100)); // aborted coroutines unwind
  ctx.workers.stop();

  json::array phases;
  for (std::size_t i = 0; i < plan.phases.size(); ++i)
    phases.push_back(phase_json(plan.phases[i], total_stats.phases[i]));
  json::object failures, errors;
  for (const auto& [k, v] : total_stats.failures) failures[k] = v;
  for (const auto& [k, v] : total_stats.errors) errors[k] = v;
  ctx.progress("done: " + std::to_string(total_stats.sent) + " published, " + std::to_string(total_stats.delivered) +
               " delivered, " + std::to_string(total_stats.dropped) + " dropped");
  return {{"event", "report"},
          {"scenario", "fanout"},
          {"protocol", std::string(ctx.protocol.name())},
          {"connections", total},
          {"publishers", plan.publishers},
          {"established", total_stats.established},
          {"joined", total_stats.joined},
          {"failed", total_stats.failed},
          {"dropped", total_stats.dropped},
          {"sent", total_stats.sent},
          {"answered", total_stats.answered},
          {"delivered", total_stats.delivered},
          {"keepalives", total_stats.keepalives},
          {"late_s", late},
          {"phases", std::move(phases)},
          {"failures", std::move(failures)},
          {"errors", std::move(errors)}};
}

} // namespace loadgen

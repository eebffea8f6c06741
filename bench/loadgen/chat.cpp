// Scenario "chat": chat traffic as people make it, against Parley. One connection per user
// (--credentials, one after the other from --first-credential); every user sends to the
// chats --chats lists them in (round robin), keeping at most --window sends unanswered, at
// --send-rate sends per second for the whole process (0: as fast as the acks come back),
// with a typing frame before one send in ten and a receipt.read after one message.new in
// five. After --warmup seconds of traffic, for --duration seconds: every `stored` ack's
// latency (send -> ack) goes into a histogram, and stored acks are counted.
//
// Connections open first (at most --concurrency at once); traffic starts for all of them at
// once, a second after the last one opened.

#include <atomic>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <unordered_map>

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

constexpr int kTypingEvery = 10; // sends
constexpr int kReceiptEvery = 5; // message.new frames received

// "CHAT_ID MEMBER_ID..." per line.
std::map<std::string, std::vector<std::string>> load_chats(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::map<std::string, std::vector<std::string>> chats_of; // user -> chats
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string chat, member;
    if (!(words >> chat)) continue;
    while (words >> member) chats_of[member].push_back(chat);
  }
  return chats_of;
}

// The value of "key":"..." in a frame, or "".
std::string_view field(std::string_view frame, std::string_view key) {
  return string_field(frame, key).value_or(std::string_view{});
}

// What one worker thread counts (its connections live on it: no locking).
struct Stats {
  Histogram ack_us; // stored acks of sends made inside the window
  std::uint64_t sent = 0, stored = 0, stored_in_window = 0, news = 0, receipts = 0, typing = 0;
  std::uint64_t established = 0, failed = 0, ended = 0;
  std::map<std::string, std::uint64_t> errors, failures;
};

struct Window {
  std::atomic<std::int64_t> start_ns{0}; // traffic starts; 0 until every connection opened
  Clock::time_point from, to;            // measured: set with start_ns
};

class Client : public std::enable_shared_from_this<Client> {
 public:
  Client(asio::io_context& io, const Protocol& protocol, Credential who, std::vector<std::string> chats, Stats& stats)
      : session_(io, protocol), who_(std::move(who)), chats_(std::move(chats)), stats_(stats), wake_(io) {}

  // The client lives as long as this coroutine (its parameter keeps it).
  static asio::awaitable<void> run(std::shared_ptr<Client> self, Context& ctx, const Window& window,
                                   std::atomic<long>& opening, double per_client_rate) {
    co_await self->run(ctx, window, opening, per_client_rate);
  }

 private:
  asio::awaitable<void> run(Context& ctx, const Window& window, std::atomic<long>& opening, double per_client_rate) {
    const auto failure = co_await session_.open(ctx.target, std::nullopt, who_, ctx.options.timeout);
    --opening;
    if (!failure.phase.empty()) {
      ++stats_.failed;
      ++stats_.failures[failure.key()];
      co_return;
    }
    ++stats_.established;
    asio::co_spawn(wake_.get_executor(), read(shared_from_this()), asio::detached);
    while (window.start_ns.load() == 0 && !ctx.stop.received()) co_await pause(std::chrono::milliseconds(10));
    co_await send_loop(ctx, window, per_client_rate);
    aborting_ = true;
    session_.abort();
  }

  asio::awaitable<void> pause(std::chrono::nanoseconds d) {
    boost::system::error_code ec;
    wake_.expires_after(d);
    co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }

  asio::awaitable<void> send_loop(Context& ctx, const Window& window, double rate) {
    const auto interval = rate > 0
                              ? std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1 / rate))
                              : Clock::duration::zero();
    auto next =
        window.from - std::chrono::seconds(ctx.options.warmup) +
        (rate > 0 ? Clock::duration(std::rand() % std::max<Clock::rep>(1, interval.count())) : Clock::duration{});
    std::size_t turn = 0;
    measure_from_ = window.from;
    measure_to_ = window.to;
    while (!ctx.stop.received() && !closed_ && Clock::now() < window.to) {
      while (!outbox_.empty()) { // receipts owed
        const auto frame = std::move(outbox_.front());
        outbox_.erase(outbox_.begin());
        if (!(co_await session_.write(frame)).phase.empty()) co_return;
        ++stats_.receipts;
      }
      const auto now = Clock::now();
      if (pending_.size() >= ctx.options.window || now < next || chats_.empty()) {
        co_await pause(pending_.size() >= ctx.options.window || chats_.empty() ? std::chrono::milliseconds(50)
                                                                               : next - now);
        continue;
      }
      const auto& chat = chats_[turn++ % chats_.size()];
      if (turn % kTypingEvery == 0) {
        if (!(co_await session_.write(R"({"type":"typing","chat_id":")" + chat + "\"}")).phase.empty()) co_return;
        ++stats_.typing;
      }
      const auto id = ++last_id_;
      const auto key = who_.user_id + "-" + std::to_string(id);
      pending_[id] = Clock::now();
      ++stats_.sent;
      const auto frame = R"({"type":"message.send","id":"s)" + std::to_string(id) + R"(","chat_id":")" + chat +
                         R"(","client_id":")" + key + R"(","body":"a message of some thirty bytes"})";
      if (!(co_await session_.write(frame)).phase.empty()) co_return;
      next = rate > 0 ? next + interval : Clock::now();
    }
  }

  // `self` keeps the client while the read loop runs.
  asio::awaitable<void> read(std::shared_ptr<Client> /*self*/) {
    const auto end = co_await session_.read_loop(
        [this](std::string_view frame) {
          for_each_line(frame, [this](std::string_view message) {
            on_message(message);
            return true;
          });
        },
        {});
    closed_ = true;
    if (!aborting_) { // the server ended it
      ++stats_.ended;
      ++stats_.failures[end.key()];
    }
    wake_.cancel();
  }

  void on_message(std::string_view frame) {
    const auto type = field(frame, "type");
    if (type == "ack" || type == "error") {
      if (type == "error") ++stats_.errors[std::string(field(frame, "code"))];
      const auto rid = field(frame, "id");
      if (rid.size() < 2 || rid[0] != 's') return;
      const auto status = field(frame, "status");
      if (type == "ack" && status == "accepted") return;
      std::uint64_t id = 0;
      std::from_chars(rid.data() + 1, rid.data() + rid.size(), id);
      const auto sent = pending_.find(id);
      if (sent == pending_.end()) return;
      const auto now = Clock::now();
      if (type == "ack") {
        ++stats_.stored;
        if (now >= measure_from_ && now <= measure_to_) { // acks the window saw, whenever sent
          ++stats_.stored_in_window;
          stats_.ack_us.record(static_cast<std::uint64_t>(
              std::chrono::duration_cast<std::chrono::microseconds>(now - sent->second).count()));
        }
      }
      pending_.erase(sent);
      wake_.cancel();
    } else if (type == "message.new") {
      ++stats_.news;
      if (++received_ % kReceiptEvery != 0) return;
      boost::system::error_code ec;
      const auto value = json::parse(frame, ec);
      const auto* data = ec ? nullptr : value.as_object().if_contains("data");
      if (!data || !data->is_object()) return;
      const auto& m = data->as_object();
      outbox_.push_back(R"({"type":"receipt.read","chat_id":)" + json::serialize(m.at("chat_id")) + R"(,"seq":)" +
                        json::serialize(m.at("seq")) + "}");
    }
  }

  WsSession session_;
  Credential who_;
  std::vector<std::string> chats_;
  Stats& stats_;
  asio::steady_timer wake_; // the sender's pause; cancelled when an answer frees the window
  std::unordered_map<std::uint64_t, Clock::time_point> pending_; // send id -> sent at
  std::vector<std::string> outbox_;                              // receipts to send
  std::uint64_t last_id_ = 0, received_ = 0;
  Clock::time_point measure_from_{Clock::time_point::max()}, measure_to_{};
  bool closed_ = false, aborting_ = false;
};

} // namespace

boost::json::object run_chat(Context& ctx) {
  const auto& opt = ctx.options;
  if (opt.chats.empty()) throw std::invalid_argument("chat: --chats is required");
  const auto chats_of = load_chats(opt.chats);
  std::vector<Stats> stats(static_cast<std::size_t>(ctx.workers.size()));
  Window window;
  std::atomic<long> opening{0};
  const double per_client = opt.send_rate > 0 ? opt.send_rate / static_cast<double>(opt.connections) : 0;
  for (long i = 0; i < opt.connections; ++i) {
    const auto& who = ctx.credentials[static_cast<std::size_t>(opt.first_credential + i) % ctx.credentials.size()];
    const auto chats = chats_of.find(who.user_id);
    const int w = static_cast<int>(i % ctx.workers.size());
    auto client = std::make_shared<Client>(ctx.workers.context(w), ctx.protocol, who,
                                           chats == chats_of.end() ? std::vector<std::string>{} : chats->second,
                                           stats[static_cast<std::size_t>(w)]);
    while (opening.load() >= opt.concurrency) ctx.stop.wait_for(std::chrono::milliseconds(1));
    ++opening;
    asio::co_spawn(ctx.workers.context(w), Client::run(std::move(client), ctx, window, opening, per_client),
                   asio::detached);
  }
  while (opening.load() > 0 && !ctx.stop.wait_for(std::chrono::milliseconds(20))) {
  }
  const auto start = Clock::now() + std::chrono::seconds(1);
  window.from = start + std::chrono::seconds(opt.warmup);
  window.to = window.from + std::chrono::seconds(opt.duration);
  window.start_ns.store(start.time_since_epoch().count());
  ctx.emit({{"event", "ready"}});
  ctx.progress("traffic for " + std::to_string(opt.warmup + opt.duration) + " s");
  while (Clock::now() < window.to + std::chrono::seconds(2) && !ctx.stop.wait_for(std::chrono::milliseconds(50))) {
  }

  Stats total;
  ctx.workers.run_on_each([&](int w) {
    const auto& s = stats[static_cast<std::size_t>(w)];
    total.ack_us.merge(s.ack_us);
    using Count = std::uint64_t Stats::*;
    for (Count f : {&Stats::sent, &Stats::stored, &Stats::stored_in_window, &Stats::news, &Stats::receipts,
                    &Stats::typing, &Stats::established, &Stats::failed, &Stats::ended})
      total.*f += s.*f;
    for (const auto& [k, v] : s.errors) total.errors[k] += v;
    for (const auto& [k, v] : s.failures) total.failures[k] += v;
  });
  ctx.workers.stop();
  json::object errors, failures;
  for (const auto& [k, v] : total.errors) errors[k] = v;
  for (const auto& [k, v] : total.failures) failures[k] = v;
  return {{"event", "report"},
          {"established", total.established},
          {"failed", total.failed},
          {"ended_early", total.ended},
          {"sent", total.sent},
          {"stored", total.stored},
          {"stored_in_window", total.stored_in_window},
          {"window_s", opt.duration},
          {"stored_per_s", static_cast<double>(total.stored_in_window) / static_cast<double>(opt.duration)},
          {"ack_ms", total.ack_us.to_json(1000.0)},
          {"message_new", total.news},
          {"receipts", total.receipts},
          {"typing", total.typing},
          {"errors", std::move(errors)},
          {"failures", std::move(failures)}};
}

} // namespace loadgen

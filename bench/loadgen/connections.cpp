// Scenario "connections": open --connections idle authenticated connections as fast as
// --concurrency (or --rate) allows, announce "ready" once every attempt has finished,
// hold them idle for --hold (answering the server's pings), then close them and report.
// The server-side figures (memory and descriptors per connection) are taken by whoever
// runs this (bench/run.sh) between "ready" and the end of the hold.

#include <cstdio>
#include <string>

#include <unistd.h>

#include "loadgen/fleet.hpp"
#include "loadgen/scenario.hpp"

namespace loadgen {

namespace {
using Clock = std::chrono::steady_clock;

std::string counts(const Fleet& fleet) {
  return std::to_string(fleet.established()) + " established, " + std::to_string(fleet.failed()) + " failed, " +
         std::to_string(fleet.dropped()) + " dropped";
}
} // namespace

boost::json::object run_connections(Context& ctx) {
  const auto& opt = ctx.options;
  Fleet fleet(ctx);
  const auto began = Clock::now();
  fleet.start();

  auto last_progress = began;
  std::uint64_t last_established = 0;
  while (!fleet.attempts_done() && !ctx.stop.wait_for(std::chrono::milliseconds(20))) {
    const auto now = Clock::now();
    if (now - last_progress >= std::chrono::seconds(1)) {
      const double dt = std::chrono::duration<double>(now - last_progress).count();
      const auto est = fleet.established();
      char rate[32];
      std::snprintf(rate, sizeof rate, "%.0f/s", static_cast<double>(est - last_established) / dt);
      ctx.progress("opening: " + counts(fleet) + " (" + rate + ")");
      last_progress = now;
      last_established = est;
    }
  }
  const auto ready_at = Clock::now();
  const double ramp_s = std::chrono::duration<double>(ready_at - began).count();
  ctx.emit({{"event", "ready"},
            {"established", fleet.established()},
            {"failed", fleet.failed()},
            {"seconds", ramp_s},
            {"interrupted", ctx.stop.received()}});
  ctx.progress("ready: " + counts(fleet) + " in " + std::to_string(ramp_s) + " s");

  // Hold: until the deadline, or until a signal when --hold is 0. A status line every
  // 500 ms lets a driver know how many were alive when it measured the server.
  const auto hold_until = ready_at + opt.hold;
  auto next_note = ready_at + std::chrono::seconds(10);
  auto next_status = ready_at;
  while (!ctx.stop.received()) {
    const auto now = Clock::now();
    if (opt.hold.count() > 0 && now >= hold_until) break;
    if (now >= next_status) {
      ctx.emit({{"event", "status"},
                {"established", fleet.established()},
                {"failed", fleet.failed()},
                {"dropped", fleet.dropped()},
                {"seconds", std::chrono::duration<double>(now - ready_at).count()}});
      next_status += std::chrono::milliseconds(500);
    }
    if (now >= next_note) {
      ctx.progress("holding: " + counts(fleet));
      next_note += std::chrono::seconds(10);
    }
    ctx.stop.wait_for(std::chrono::milliseconds(50));
  }
  const double held_s = std::chrono::duration<double>(Clock::now() - ready_at).count();
  const auto self = sample_self(); // while every connection is still open and idle
  const auto stats = fleet.stop();

  auto report = stats.to_json();
  report["event"] = "report";
  report["scenario"] = "connections";
  report["protocol"] = std::string(ctx.protocol.name());
  report["requested"] = opt.connections;
  report["alive_at_end"] = stats.established - stats.dropped;
  report["held_seconds"] = held_s;
  report["interrupted"] = ctx.stop.received() && opt.hold.count() > 0 && held_s < static_cast<double>(opt.hold.count());
  report["process"] = {{"pid", static_cast<std::int64_t>(getpid())},
                       {"threads", ctx.workers.size()},
                       {"rss_kib", self.rss_kib},
                       {"hwm_kib", self.hwm_kib},
                       {"fds", self.fds}};
  ctx.progress("done: " + std::to_string(stats.established) + " established (" +
               std::to_string(static_cast<long>(report["open_rate_per_s"].as_double())) + "/s), " +
               std::to_string(stats.failed) + " failed, " + std::to_string(stats.dropped) + " dropped; p50 " +
               std::to_string(stats.open_us.percentile(0.5) / 1000.0) + " ms, p99 " +
               std::to_string(stats.open_us.percentile(0.99) / 1000.0) + " ms; own RSS " +
               std::to_string(self.rss_kib) + " KiB");
  return report;
}

} // namespace loadgen

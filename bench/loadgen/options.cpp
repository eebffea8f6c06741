#include "loadgen/options.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <functional>
#include <iostream>
#include <stdexcept>
#include <string_view>

namespace loadgen {
namespace {

template <class T>
T number(std::string_view text, std::string_view flag) {
  T value{};
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || ptr != end)
    throw std::invalid_argument(std::string(flag) + ": not a number: " + std::string(text));
  return value;
}

template <class T>
T at_least(T value, T low, std::string_view flag) {
  if (value < low) throw std::invalid_argument(std::string(flag) + " must be at least " + std::to_string(low));
  return value;
}

struct Flag {
  std::string_view name;
  std::string_view metavar; // empty: a switch without a value
  std::string_view help;
  std::function<void(Options&, std::string_view)> set;
};

const std::array<Flag, 20> kFlags{{
    {"--url", "ws://HOST:PORT", "Server to connect to (required).", [](Options& o, std::string_view v) { o.url = v; }},
    {"--protocol", "NAME", "Wire protocol: parley (default), centrifugo or ceiling.",
     [](Options& o, std::string_view v) { o.protocol = v; }},
    {"--credentials", "FILE", "One `[USER_ID ]TOKEN` per line; connections take them round-robin (required).",
     [](Options& o, std::string_view v) { o.credentials = v; }},
    {"--first-credential", "K", "Index of the credential the first connection uses (default 0).",
     [](Options& o, std::string_view v) {
       o.first_credential = at_least(number<long>(v, "--first-credential"), 0L, "--first-credential");
     }},
    {"--connections", "N", "Connections this process opens (default 1000).",
     [](Options& o, std::string_view v) {
       o.connections = at_least(number<long>(v, "--connections"), 1L, "--connections");
     }},
    {"--threads", "T", "Threads, each with its own io_context (default 1).",
     [](Options& o, std::string_view v) { o.threads = at_least(number<int>(v, "--threads"), 1, "--threads"); }},
    {"--concurrency", "C", "Attempts in flight at once, whole process (default 256).",
     [](Options& o, std::string_view v) {
       o.concurrency = at_least(number<long>(v, "--concurrency"), 1L, "--concurrency");
     }},
    {"--rate", "R", "Attempts started per second (default 0: as fast as --concurrency allows).",
     [](Options& o, std::string_view v) { o.rate = at_least(number<double>(v, "--rate"), 0.0, "--rate"); }},
    {"--timeout-ms", "MS", "Budget per attempt for connect, upgrade and opening frame (default 10000).",
     [](Options& o, std::string_view v) {
       o.timeout = std::chrono::milliseconds(at_least(number<long>(v, "--timeout-ms"), 1L, "--timeout-ms"));
     }},
    {"--hold", "S", "Seconds to hold the connections after the last attempt (default 5; 0: until SIGINT/SIGTERM).",
     [](Options& o, std::string_view v) {
       o.hold = std::chrono::seconds(at_least(number<long>(v, "--hold"), 0L, "--hold"));
     }},
    {"--source-ips", "A,B,...",
     "Local addresses to connect from, round-robin; each gives another ~14k ports per server "
     "(e.g. 127.0.1.1,127.0.1.2 for a loopback server; default: the kernel's choice).",
     [](Options& o, std::string_view v) {
       o.source_ips.clear();
       for (std::size_t start = 0; start <= v.size();) {
         const auto comma = std::min(v.find(',', start), v.size());
         if (comma > start) o.source_ips.emplace_back(v.substr(start, comma - start));
         start = comma + 1;
       }
     }},
    {"--report", "FILE", "Also write the final report (JSON) to FILE.",
     [](Options& o, std::string_view v) { o.report = v; }},
    {"--plan", "FILE", "fanout: groups, publishers and phases (JSON written by bench/harness/fanout.py).",
     [](Options& o, std::string_view v) { o.plan = v; }},
    {"--quiet", "", "No progress lines on stderr.", [](Options& o, std::string_view) { o.quiet = true; }},
    {"--chats", "FILE", "chat: one `CHAT_ID MEMBER_ID...` per line; users send to their chats.",
     [](Options& o, std::string_view v) { o.chats = v; }},
    {"--send-rate", "R", "chat: sends per second, whole process (default 0: as fast as the acks come back).",
     [](Options& o, std::string_view v) {
       o.send_rate = at_least(number<double>(v, "--send-rate"), 0.0, "--send-rate");
     }},
    {"--window", "W", "chat: unanswered sends per connection at most (default 4).",
     [](Options& o, std::string_view v) {
       o.window = at_least(number<std::size_t>(v, "--window"), std::size_t{1}, "--window");
     }},
    {"--warmup", "S", "chat: seconds of traffic before measuring (default 3).",
     [](Options& o, std::string_view v) { o.warmup = at_least(number<long>(v, "--warmup"), 0L, "--warmup"); }},
    {"--duration", "S", "chat: seconds measured (default 10).",
     [](Options& o, std::string_view v) { o.duration = at_least(number<long>(v, "--duration"), 1L, "--duration"); }},
    {"--help", "", "This text.", [](Options&, std::string_view) {}},
}};

void usage(std::ostream& out) {
  out << "usage: parley-loadgen SCENARIO --url ws://HOST:PORT --credentials FILE [options]\n\n"
         "Scenarios:\n"
         "  connections  open --connections idle authenticated WebSocket connections, hold them,\n"
         "               report connect rate, attempt latency and errors\n"
         "  fanout       members of groups connected, some publishing (--plan); report deliveries/s\n"
         "               and delivery latency (publisher's send -> each member's receipt)\n\n"
         "Options:\n";
  for (const auto& f : kFlags) {
    // Streamed piecewise: GCC 12 warns (-Wrestrict, a false positive) on "lit" + string at -O3.
    std::size_t width = 2 + f.name.size();
    out << "  " << f.name;
    if (!f.metavar.empty()) {
      out << ' ' << f.metavar;
      width += 1 + f.metavar.size();
    }
    out << std::string(width < 28 ? 28 - width : 1, ' ') << f.help << "\n";
  }
  out << "\nOn stdout, one JSON object per line: {\"event\":\"ready\",...} once every attempt has finished,\n"
         "{\"event\":\"status\",...} every 500 ms while holding, then {\"event\":\"report\",...} when the\n"
         "hold ends. Progress for people goes to stderr.\n";
}

} // namespace

std::optional<Options> parse_options(int argc, char** argv, int* exit_code) {
  Options o;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string_view arg = argv[i];
      if (arg == "--help" || arg == "-h") {
        usage(std::cout);
        *exit_code = 0;
        return std::nullopt;
      }
      if (!arg.starts_with("--")) {
        if (!o.scenario.empty()) throw std::invalid_argument("unexpected argument: " + std::string(arg));
        o.scenario = arg;
        continue;
      }
      std::string_view name = arg, value;
      bool inline_value = false;
      if (const auto eq = arg.find('='); eq != std::string_view::npos) {
        name = arg.substr(0, eq);
        value = arg.substr(eq + 1);
        inline_value = true;
      }
      const Flag* flag = nullptr;
      for (const auto& f : kFlags)
        if (f.name == name) flag = &f;
      if (!flag) throw std::invalid_argument("unknown option: " + std::string(name));
      if (!flag->metavar.empty() && !inline_value) {
        if (i + 1 >= argc) throw std::invalid_argument(std::string(name) + " needs a value");
        value = argv[++i];
      }
      flag->set(o, value);
    }
    if (o.scenario.empty()) throw std::invalid_argument("no scenario given");
    if (o.url.empty()) throw std::invalid_argument("--url is required");
    if (o.credentials.empty()) throw std::invalid_argument("--credentials is required");
  } catch (const std::invalid_argument& e) {
    std::cerr << "parley-loadgen: " << e.what() << "\n\n";
    usage(std::cerr);
    *exit_code = 2;
    return std::nullopt;
  }
  return o;
}

} // namespace loadgen

#pragma once
// The load generator's command line, declared once in a table (options.cpp) from which
// parsing and --help follow.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace loadgen {

struct Options {
  std::string scenario; // first positional argument, e.g. "connections"
  std::string url;      // ws://HOST:PORT
  std::string protocol = "parley";
  std::string credentials;                  // file: one `[USER_ID ]TOKEN` per line
  long first_credential = 0;                // index of the credential the first connection uses
  long connections = 1000;                  // connections this process opens
  int threads = 1;                          // io_context threads
  long concurrency = 256;                   // attempts in flight at once (whole process)
  double rate = 0;                          // attempts per second (0: as fast as concurrency allows)
  std::chrono::milliseconds timeout{10000}; // per attempt: connect + upgrade + opening frame
  std::chrono::seconds hold{5};             // after the last attempt; 0: until SIGINT/SIGTERM
  std::vector<std::string> source_ips;      // local addresses to connect from, round-robin (empty: the kernel's choice)
  std::string report;                       // also write the final report here
  std::string plan;                         // scenario "fanout": its plan (JSON, see fanout.cpp)
  // Scenario "chat":
  std::string chats;      // file: one `CHAT_ID MEMBER_ID...` per line
  double send_rate = 0;   // sends per second, whole process (0: as fast as acks allow)
  std::size_t window = 4; // unanswered sends per connection at most
  long warmup = 3;        // seconds of traffic before measuring
  long duration = 10;     // seconds measured
  bool quiet = false;     // no progress lines on stderr
};

// Parses argv; prints usage and returns nullopt (with *exit_code set) for --help or an
// error.
std::optional<Options> parse_options(int argc, char** argv, int* exit_code);

} // namespace loadgen

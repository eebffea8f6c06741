// parley-loadgen: a WebSocket load generator for Parley (and, through Protocol, other
// servers). Parses the command line, resolves the target, starts the worker threads and
// runs one scenario; the scenario's report is the last JSON line on stdout.

#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>

#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json/serialize.hpp>

#include "loadgen/options.hpp"
#include "loadgen/process.hpp"
#include "loadgen/protocol.hpp"
#include "loadgen/scenario.hpp"
#include "loadgen/workers.hpp"

namespace {

// ws://HOST:PORT[/...] -> host and port (the path is the protocol's business).
loadgen::Target resolve(const std::string& url) {
  std::string rest = url;
  if (rest.starts_with("ws://"))
    rest = rest.substr(5);
  else
    throw std::invalid_argument("--url must start with ws:// (TLS is not supported yet)");
  rest = rest.substr(0, rest.find('/'));
  const auto colon = rest.rfind(':');
  if (colon == std::string::npos) throw std::invalid_argument("--url needs a port: " + url);
  const auto host = rest.substr(0, colon);
  const auto port = rest.substr(colon + 1);
  boost::asio::io_context ctx;
  boost::asio::ip::tcp::resolver resolver(ctx);
  const auto results = resolver.resolve(host, port);
  if (results.empty()) throw std::invalid_argument("cannot resolve " + host);
  return {results.begin()->endpoint(), rest};
}

} // namespace

int main(int argc, char** argv) {
  int exit_code = 0;
  const auto options = loadgen::parse_options(argc, argv, &exit_code);
  if (!options) return exit_code;
  try {
    const auto* scenario = loadgen::find_scenario(options->scenario);
    if (!scenario) throw std::invalid_argument("unknown scenario '" + options->scenario + "'");
    const auto protocol = loadgen::make_protocol(options->protocol);
    const auto credentials = loadgen::load_credentials(options->credentials);
    const auto target = resolve(options->url);

    loadgen::StopSignal stop; // before any thread starts: they inherit the blocked signals
    loadgen::Workers workers(options->threads);
    std::mutex out_mutex;
    loadgen::Context ctx{*options,
                         *protocol,
                         credentials,
                         target,
                         workers,
                         stop,
                         [&out_mutex](boost::json::object event) {
                           std::lock_guard lock(out_mutex);
                           std::cout << boost::json::serialize(event) << std::endl;
                         },
                         [quiet = options->quiet](std::string_view line) {
                           if (!quiet) std::cerr << "[loadgen " << getpid() << "] " << line << std::endl;
                         }};
    auto report = scenario->run(ctx);
    if (!options->report.empty()) {
      std::ofstream out(options->report);
      out << boost::json::serialize(report) << "\n";
      if (!out.flush()) throw std::runtime_error("cannot write " + options->report);
    }
    ctx.emit(std::move(report));
    workers.stop();
  } catch (const std::exception& e) {
    std::cerr << "parley-loadgen: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}

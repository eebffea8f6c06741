// WebSocket frames: what a client sends on /ws, each input one text frame, read by the real
// connection (ws::Connection) and handled by the real RealtimeService (on_frame/handle: the
// JSON parse, the frame's fields, and the calls they turn into) on the real message and chat
// services over an in-memory SQLite database. One connection, over loopback, serves every
// input (a new one when the server closed it, e.g. for invalid UTF-8); after each input a
// `ping` frame and its `pong` mark the input as handled.
// Contract under test: every frame is answered or ignored as docs/protocol.md says, and the
// server survives every frame (ASan, UBSan, and a hang is a failure).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "adapters/inproc/inproc_event_bus.hpp"
#include "adapters/inproc/inproc_event_log.hpp"
#include "adapters/inproc/memory_presence.hpp"
#include "adapters/sqlite/database.hpp"
#include "adapters/sqlite/sqlite_chat_store.hpp"
#include "adapters/sqlite/sqlite_message_store.hpp"
#include "adapters/sqlite/sqlite_profile_store.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "services/auth/jwt.hpp"
#include "services/chat/service.hpp"
#include "services/message/service.hpp"
#include "services/realtime/service.hpp"
#include "services/user/service.hpp"

namespace {

using namespace parley;
namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

void check(bool ok) {
  if (!ok) std::abort();
}

// Attachments are the media service's (fuzzed through its routes); here nothing was uploaded.
class NoUploads final : public AttachmentCheck {
 public:
  Result<void> check(std::string_view, const std::vector<domain::Attachment>&) override {
    return fail(Error::unprocessable("invalid_attachment", "nothing was uploaded"));
  }
};

RealtimeConfig realtime_config() {
  RealtimeConfig c;
  c.frames_per_sec = 1e9; // the rate limit is not under test: every frame is handled
  c.frame_burst = 1e9;
  return c;
}

struct Fixture {
  ManualClock clock;
  SnowflakeIdGen ids{clock, 1};
  SqliteDatabase db{":memory:"};
  SqliteProfileStore profiles{db};
  SqliteChatStore chat_store{db};
  SqliteMessageStore message_store{db};
  InprocEventBus bus;
  InprocEventLog log;
  MemoryPresence presence;
  NoUploads no_uploads;
  ProfileDirectory users{profiles, clock};
  ChatDirectory membership{chat_store};
  MessageService messages{{message_store, membership, bus, log, no_uploads, clock, ids}};
  ChatService chats{ChatConfig{100}, {chat_store, users, messages, presence, bus, log, clock, ids}};
  JwtSigner signer{generate_signing_key(), "parley", clock, std::chrono::hours(24 * 365)};
  RealtimeService realtime{realtime_config(), {signer, messages, membership, presence, bus, clock}};
  http::Upgrade upgrade = realtime.upgrade();
  asio::io_context ioc; // one thread: the server's network and blocking work, and the client
  // Never out of work, so that run_one_for() waits rather than returns when nothing is ready.
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(ioc);
  tcp::acceptor acceptor{ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  std::unique_ptr<beast::websocket::stream<tcp::socket>> client;
  beast::flat_buffer read_buffer;
  std::uint64_t pings = 0;

  Fixture() {
    Logger::set_level(LogLevel::error); // the services' info lines are noise here
    for (const char* id : {"ann", "bob"})
      if (!users.create_profile({id, id, std::string(id) + "@example.com", id})) std::abort();
    // The chat the seeds name: ids are deterministic with a manual clock.
    auto group = chats.create_group("ann", {"Team", "", {"bob"}});
    if (!group) std::abort();
    if (std::getenv("PARLEY_FUZZ_LIST")) std::fprintf(stderr, "chat %s\n", group->chat.id.c_str());
    connect();
  }
  ~Fixture() { log.close(); }

  // Runs the io_context until `done`; a server that stops answering is a failure.
  template <class Done>
  void run_until(const Done& done) {
    while (!done())
      if (ioc.run_one_for(std::chrono::seconds(10)) == 0) std::abort();
  }

  void connect() {
    client = std::make_unique<beast::websocket::stream<tcp::socket>>(ioc);
    client->next_layer().connect(acceptor.local_endpoint());
    client->next_layer().set_option(tcp::no_delay(true)); // two small frames per input
    beast::tcp_stream server(acceptor.accept());
    server.socket().set_option(tcp::no_delay(true));
    bool shaken = false;
    beast::error_code error;
    client->async_handshake("127.0.0.1", "/ws?access_token=" + signer.sign("ann", "session-1"),
                            [&](beast::error_code ec) { shaken = true, error = ec; });
    // What the HTTP server does before it hands an upgrade over.
    beast::flat_buffer buffer;
    http::BeastRequest request;
    bool read = false;
    beast::http::async_read(server, buffer, request, [&](beast::error_code ec, std::size_t) {
      check(!ec);
      read = true;
    });
    run_until([&] { return read; });
    upgrade.accept(std::move(server), std::move(request), ioc.get_executor(), nullptr);
    run_until([&] { return shaken; });
    check(!error);
    read_buffer.clear();
  }

  // Sends `text`, then a ping, and reads until its pong. False when the server closed the
  // connection.
  bool exchange(std::string_view text) {
    beast::error_code ec;
    client->text(true);
    client->write(asio::buffer(text.data(), text.size()), ec);
    if (ec) return false;
    const std::string id = "fuzz-ping-" + std::to_string(++pings);
    client->write(asio::buffer("{\"type\":\"ping\",\"id\":\"" + id + "\"}"), ec);
    if (ec) return false;
    for (;;) {
      bool done = false;
      read_buffer.clear();
      client->async_read(read_buffer, [&](beast::error_code e, std::size_t) { done = true, ec = e; });
      run_until([&] { return done; });
      if (ec) return false;
      if (beast::buffers_to_string(read_buffer.data()).find(id) != std::string::npos) return true;
    }
  }
};

// Never destroyed: the connection's coroutines, timers and the services' threads end with the
// process, in no order that teardown would have to get right.
Fixture& fixture() {
  static Fixture& f = *new Fixture;
  return f;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto& f = fixture();
  if (!f.exchange(std::string_view(reinterpret_cast<const char*>(data), size))) {
    // Closed (invalid UTF-8, a frame too large): the server must still take a new connection.
    f.client.reset();
    f.connect();
  }
  return 0;
}

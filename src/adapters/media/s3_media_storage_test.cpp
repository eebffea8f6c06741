#include "adapters/media/s3_media_storage.hpp"

#include <gtest/gtest.h>

#include <boost/asio.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "core/url.hpp"

namespace parley {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// A stand-in for the store on 127.0.0.1: answers each connection's one request with the
// next queued response (or by holding the connection open until the client gives up) and
// keeps the request heads it received. It checks no signature: what is signed is checked
// against AWS's published examples and an independent signer in sigv4_test and
// tests/sigv4, and against an independent verifier in tests/integration/test_media_s3.py.
class FakeStore {
 public:
  static constexpr std::string_view kHang = "hang";

  FakeStore() : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeStore() {
    stopping_ = true;
    boost::system::error_code ec;
    tcp::socket wake(io_);
    wake.connect(acceptor_.local_endpoint(), ec);
    thread_.join();
  }

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }
  void answer(std::string response) {
    std::lock_guard lock(mutex_);
    responses_.push_back(std::move(response));
  }
  std::vector<std::string> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void serve() {
    while (true) {
      tcp::socket socket(io_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (stopping_) return;
      if (ec) continue;
      std::string head;
      asio::read_until(socket, asio::dynamic_buffer(head), "\r\n\r\n", ec);
      if (ec) continue;
      std::string response = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n";
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(head);
        if (!responses_.empty()) {
          response = std::move(responses_.front());
          responses_.pop_front();
        }
      }
      if (response == kHang) {
        char byte;
        socket.read_some(asio::buffer(&byte, 1), ec); // returns once the client closes
        continue;
      }
      asio::write(socket, asio::buffer(response), ec);
      socket.shutdown(tcp::socket::shutdown_both, ec);
    }
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::deque<std::string> responses_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

// A response; Content-Length is the body's unless `headers` give one (a HEAD answer's).
std::string reply(std::string status, std::string headers = "", std::string body = "") {
  if (headers.find("Content-Length:") == std::string::npos)
    headers += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  return "HTTP/1.1 " + status + "\r\nConnection: close\r\n" + headers + "\r\n" + body;
}

// The query parameters of a URL, still percent-encoded.
std::map<std::string, std::string> query_of(const std::string& url) {
  std::map<std::string, std::string> out;
  std::string_view rest = std::string_view(url).substr(url.find('?') + 1);
  while (!rest.empty()) {
    const auto pair = rest.substr(0, rest.find('&'));
    const auto eq = pair.find('=');
    out[std::string(pair.substr(0, eq))] = std::string(pair.substr(eq + 1));
    rest.remove_prefix(std::min(rest.size(), pair.size() + 1));
  }
  return out;
}

// The value of `name` (lower case) in a raw request head, or "<none>".
std::string header_in(const std::string& head, const std::string& name) {
  std::string lower = head;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto at = lower.find("\r\n" + name + ":");
  if (at == std::string::npos) return "<none>";
  const auto start = head.find_first_not_of(' ', at + name.size() + 3);
  return head.substr(start, head.find("\r\n", start) - start);
}

const S3Credentials kCredentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};

class S3MediaStorageTest : public ::testing::Test {
 protected:
  S3MediaConfig config(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    return {{store_.endpoint(), "media", "us-east-1", true}, kCredentials, timeout};
  }

  ManualClock clock_;
  FakeStore store_;
  S3MediaStorage storage_{config(), clock_};
};

TEST_F(S3MediaStorageTest, UploadUrlSignsTypeAndLength) {
  const auto upload = storage_.presign_upload({"u1_abc", "image/png", 5}, clock_.now_ms() + 900'000);
  ASSERT_TRUE(upload) << upload.error().message;
  EXPECT_TRUE(upload->url.starts_with(store_.endpoint() + "/media/u1_abc?")) << upload->url;
  const auto q = query_of(upload->url);
  EXPECT_EQ(q.at("X-Amz-SignedHeaders"), "content-length%3Bcontent-type%3Bhost");
  EXPECT_EQ(q.at("X-Amz-Expires"), "900");
  const std::vector<std::pair<std::string, std::string>> headers{{"Content-Type", "image/png"},
                                                                 {"Content-Length", "5"}};
  EXPECT_EQ(upload->headers, headers);
  EXPECT_EQ(upload->expires_at_ms, clock_.now_ms() + 900'000);
  // Exactly the URL that signing these header values gives: a PUT with another type or
  // length computes another signature at S3.
  const auto expected =
      presign_url(config().location, kCredentials,
                  {"PUT", "u1_abc", clock_.now_s(), 900, {{"content-type", "image/png"}, {"content-length", "5"}}, {}});
  EXPECT_EQ(upload->url, expected->url);
  for (const MediaObject& other : {MediaObject{"u1_abc", "image/gif", 5}, MediaObject{"u1_abc", "image/png", 6}}) {
    EXPECT_NE(query_of(storage_.presign_upload(other, clock_.now_ms() + 900'000)->url).at("X-Amz-Signature"),
              q.at("X-Amz-Signature"));
  }
}

TEST_F(S3MediaStorageTest, ExpiryIsWholeSecondsRoundedUpWithinS3Limits) {
  clock_.advance_ms(400);
  auto upload = storage_.presign_upload({"k", "image/png", 1}, clock_.now_ms() + 60'000);
  EXPECT_EQ(query_of(upload->url).at("X-Amz-Expires"), "61");
  EXPECT_EQ(upload->expires_at_ms, (clock_.now_s() + 61) * 1000);
  EXPECT_GE(upload->expires_at_ms, clock_.now_ms() + 60'000);
  upload = storage_.presign_upload({"k", "image/png", 1}, clock_.now_ms() + 30LL * 24 * 3600 * 1000);
  EXPECT_EQ(query_of(upload->url).at("X-Amz-Expires"), "604800");
  upload = storage_.presign_upload({"k", "image/png", 1}, clock_.now_ms() - 5000);
  EXPECT_EQ(query_of(upload->url).at("X-Amz-Expires"), "1");
  const auto download = storage_.presign_download({"k", "image/png", 1}, "a.png", clock_.now_ms() + 3'600'000);
  EXPECT_EQ(query_of(*download).at("X-Amz-Expires"), "3601");
}

TEST_F(S3MediaStorageTest, DownloadUrlKeepsTheFileName) {
  const auto inline_url = storage_.presign_download({"k1", "image/png", 5}, "my photo é.png", clock_.now_ms() + 60'000);
  ASSERT_TRUE(inline_url);
  EXPECT_TRUE(inline_url->starts_with(store_.endpoint() + "/media/k1?")) << *inline_url;
  auto q = query_of(*inline_url);
  EXPECT_EQ(q.at("X-Amz-SignedHeaders"), "host");
  // inline; filename*=UTF-8''my%20photo%20%C3%A9.png, percent-encoded once more in the URL.
  EXPECT_EQ(q.at("response-content-disposition"),
            "inline%3B%20filename%2A%3DUTF-8%27%27my%2520photo%2520%25C3%25A9.png");
  const auto zip = storage_.presign_download({"k1", "application/zip", 5}, "a.zip", clock_.now_ms() + 60'000);
  EXPECT_EQ(query_of(*zip).at("response-content-disposition"), "attachment%3B%20filename%2A%3DUTF-8%27%27a.zip");
}

TEST_F(S3MediaStorageTest, StatAsksWithASignedHead) {
  store_.answer(reply("200 OK", "Content-Type: image/png\r\nContent-Length: 48213\r\nETag: \"x\"\r\n"));
  const auto object = storage_.stat("u1_abc-XYZ");
  ASSERT_TRUE(object) << object.error().message;
  ASSERT_TRUE(object->has_value());
  EXPECT_EQ((*object)->key, "u1_abc-XYZ");
  EXPECT_EQ((*object)->content_type, "image/png");
  EXPECT_EQ((*object)->size, 48213);

  const auto requests = store_.requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto& head = requests[0];
  EXPECT_TRUE(head.starts_with("HEAD /media/u1_abc-XYZ HTTP/1.1\r\n")) << head;
  // What was sent is what signing gives for this time: the header form AWS documents.
  const auto expected = sign_request(config().location, kCredentials, {"HEAD", "u1_abc-XYZ", clock_.now_s(), {}, {}});
  ASSERT_TRUE(expected);
  EXPECT_EQ(header_in(head, "host"), store_.endpoint().substr(7));
  for (const auto& [name, value] : expected->headers) EXPECT_EQ(header_in(head, name), value) << name;
  EXPECT_TRUE(header_in(head, "authorization")
                  .starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/s3/aws4_request,"
                               "SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature="));
  EXPECT_EQ(header_in(head, "x-amz-security-token"), "<none>");
}

TEST_F(S3MediaStorageTest, StatOfAMissingObjectIsNothing) {
  store_.answer(reply("404 Not Found"));
  const auto object = storage_.stat("k1");
  ASSERT_TRUE(object) << object.error().message;
  EXPECT_FALSE(object->has_value());
}

TEST_F(S3MediaStorageTest, RefusalsAreTypedErrors) {
  store_.answer(reply("403 Forbidden"));
  auto object = storage_.stat("k1");
  ASSERT_FALSE(object);
  EXPECT_EQ(object.error().kind, ErrorKind::internal);
  EXPECT_FALSE(object.error().retryable);

  for (const std::string status : {"500 Internal Server Error", "503 Slow Down"}) {
    store_.answer(reply(status));
    object = storage_.stat("k1");
    ASSERT_FALSE(object);
    EXPECT_EQ(object.error().kind, ErrorKind::unavailable) << status;
    EXPECT_EQ(object.error().code, "media_unavailable");
    EXPECT_TRUE(object.error().retryable);
  }

  store_.answer(reply("301 Moved Permanently", "x-amz-bucket-region: eu-west-1\r\n"));
  EXPECT_EQ(storage_.stat("k1").error().kind, ErrorKind::internal);
  EXPECT_EQ(store_.requests().size(), 4u);
}

TEST_F(S3MediaStorageTest, RemoveSendsASignedDelete) {
  store_.answer(reply("204 No Content"));
  ASSERT_TRUE(storage_.remove("k1"));
  const auto requests = store_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_TRUE(requests[0].starts_with("DELETE /media/k1 HTTP/1.1\r\n")) << requests[0];
  const auto expected = sign_request(config().location, kCredentials, {"DELETE", "k1", clock_.now_s(), {}, {}});
  EXPECT_EQ(header_in(requests[0], "authorization"), expected->headers.back().second);

  store_.answer(reply("404 Not Found", "Content-Type: application/xml\r\n", "<Error><Code>NoSuchKey</Code></Error>"));
  EXPECT_TRUE(storage_.remove("k1")); // nothing there: done
  store_.answer(
      reply("403 Forbidden", "Content-Type: application/xml\r\n", "<Error><Code>AccessDenied</Code></Error>"));
  EXPECT_EQ(storage_.remove("k1").error().kind, ErrorKind::internal);
  store_.answer(reply("503 Service Unavailable"));
  EXPECT_EQ(storage_.remove("k1").error().code, "media_unavailable");
}

TEST_F(S3MediaStorageTest, OnlyMediaKeysAreEverSentOrSigned) {
  for (const std::string& key :
       std::vector<std::string>{"", "a/b", "../etc/passwd", "a b", "é", "a.b", std::string(129, 'a')}) {
    EXPECT_FALSE(storage_.presign_upload({key, "image/png", 1}, clock_.now_ms() + 1000)) << key;
    EXPECT_FALSE(storage_.presign_download({key, "image/png", 1}, "x", clock_.now_ms() + 1000)) << key;
    const auto object = storage_.stat(key);
    ASSERT_TRUE(object) << key;
    EXPECT_FALSE(object->has_value()) << key;
    EXPECT_TRUE(storage_.remove(key)) << key;
  }
  EXPECT_TRUE(store_.requests().empty());
}

TEST_F(S3MediaStorageTest, SessionTokenIsSentWithEveryRequest) {
  auto c = config();
  c.credentials.session_token = "FQoGZXIvYXdzEJr//token=";
  S3MediaStorage storage(c, clock_);
  store_.answer(reply("404 Not Found"));
  ASSERT_TRUE(storage.stat("k1"));
  EXPECT_EQ(header_in(store_.requests().at(0), "x-amz-security-token"), "FQoGZXIvYXdzEJr//token=");
  const auto url = storage.presign_upload({"k1", "image/png", 1}, clock_.now_ms() + 1000);
  EXPECT_EQ(query_of(url->url).at("X-Amz-Security-Token"), "FQoGZXIvYXdzEJr%2F%2Ftoken%3D");
}

TEST(S3MediaStorage, AnUnreachableStoreIsUnavailable) {
  ManualClock clock;
  std::string endpoint;
  {
    FakeStore closed; // its port, free again once it is gone
    endpoint = closed.endpoint();
  }
  S3MediaStorage storage({{endpoint, "media", "us-east-1", true}, kCredentials, std::chrono::seconds(2)}, clock);
  const auto object = storage.stat("k1");
  ASSERT_FALSE(object);
  EXPECT_EQ(object.error().kind, ErrorKind::unavailable);
  EXPECT_EQ(object.error().code, "media_unavailable");
  EXPECT_TRUE(object.error().retryable);
}

TEST(S3MediaStorage, ASlowStoreTimesOut) {
  ManualClock clock;
  FakeStore store;
  store.answer(std::string(FakeStore::kHang));
  S3MediaStorage storage({{store.endpoint(), "media", "us-east-1", true}, kCredentials, std::chrono::milliseconds(300)},
                         clock);
  const auto start = std::chrono::steady_clock::now();
  const auto object = storage.stat("k1");
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(object);
  EXPECT_EQ(object.error().code, "media_unavailable");
  EXPECT_GE(took, std::chrono::milliseconds(250));
  EXPECT_LT(took, std::chrono::seconds(3));
}

TEST(S3MediaStorage, OriginIsWhereClientsSendRequests) {
  EXPECT_EQ(S3MediaStorage::origin(
                {{"https://s3.eu-west-1.amazonaws.com", "parley-media", "eu-west-1", false}, kCredentials}),
            "https://parley-media.s3.eu-west-1.amazonaws.com");
  EXPECT_EQ(S3MediaStorage::origin({{"http://127.0.0.1:9000/", "media", "us-east-1", true}, kCredentials}),
            "http://127.0.0.1:9000");
  EXPECT_EQ(S3MediaStorage::origin({{"https://minio.example.com:443", "media", "us-east-1", true}, kCredentials}),
            "https://minio.example.com");
  EXPECT_EQ(S3MediaStorage::origin({{"https://s3.amazonaws.com", "Bad_Bucket", "us-east-1", true}, kCredentials}), "");
}

TEST(S3MediaStorage, ConfigurationThatCannotSignIsRefusedUpFront) {
  ManualClock clock;
  const S3Location good{"https://s3.eu-west-1.amazonaws.com", "parley-media", "eu-west-1", false};
  EXPECT_TRUE(S3MediaStorage::check({good, kCredentials}));

  auto bad_bucket = good;
  bad_bucket.bucket = "Parley_Media";
  auto bad_endpoint = good;
  bad_endpoint.endpoint = "s3.amazonaws.com";
  auto bad_region = good;
  bad_region.region = "";
  const std::vector<std::pair<S3MediaConfig, std::string>> cases = {
      {{bad_bucket, kCredentials}, "s3_bad_bucket"},
      {{bad_endpoint, kCredentials}, "s3_bad_endpoint"},
      {{bad_region, kCredentials}, "s3_bad_region"},
      {{good, {"AKIDEXAMPLE", "", ""}}, "s3_bad_credentials"},
      {{good, {"", kCredentials.secret_access_key, ""}}, "s3_bad_credentials"},
      {{good, kCredentials, std::chrono::milliseconds(0)}, "s3_bad_timeout"},
  };
  for (const auto& [config, code] : cases) {
    const auto ok = S3MediaStorage::check(config);
    ASSERT_FALSE(ok) << code;
    EXPECT_EQ(ok.error().code, code);
    EXPECT_EQ(ok.error().message.find(kCredentials.secret_access_key), std::string::npos);
    EXPECT_THROW(S3MediaStorage(config, clock), std::invalid_argument) << code;
  }
}

} // namespace
} // namespace parley

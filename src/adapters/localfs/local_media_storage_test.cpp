#include "adapters/localfs/local_media_storage.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <random>

#include "transport/http/request.hpp"

namespace parley {
namespace {

namespace fs = std::filesystem;

// The query parameters of a URL, decoded.
std::map<std::string, std::string> query_of(const std::string& url) {
  std::map<std::string, std::string> out;
  const auto q = url.find('?');
  std::string_view rest = std::string_view(url).substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const auto pair = rest.substr(0, amp);
    const auto eq = pair.find('=');
    out[std::string(pair.substr(0, eq))] = *http::percent_decode(pair.substr(eq + 1));
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
  }
  return out;
}

class LocalMediaStorageTest : public ::testing::Test {
 protected:
  LocalMediaStorageTest()
      : dir_(fs::temp_directory_path() / ("parley-media-" + std::to_string(std::random_device{}()))),
        storage_(dir_, "http://127.0.0.1:8080/", std::string(32, 's'), clock_) {}
  ~LocalMediaStorageTest() override { fs::remove_all(dir_); }

  Result<void> put(const std::string& url, std::string_view content_type, std::string_view body,
                   std::string_view key = "k1") {
    auto q = query_of(url);
    return storage_.accept_upload(key, q["expires"], q["type"], q["size"], q["sig"], content_type, body);
  }

  std::string upload_url(std::string type = "image/png", std::int64_t size = 5, std::string key = "k1") {
    auto u = storage_.presign_upload({std::move(key), std::move(type), size}, clock_.now_ms() + 60'000);
    EXPECT_TRUE(u);
    return u ? u->url : "";
  }

  std::size_t files() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir_)) ++n;
    return n;
  }

  ManualClock clock_;
  fs::path dir_;
  LocalMediaStorage storage_;
};

TEST_F(LocalMediaStorageTest, OnlyPrintableContentTypesAreSigned) {
  for (const std::string type : {"", "image/png\r\nX-Evil: 1", "text/plain\x7f", "image/\xc3\xa9"}) {
    auto u = storage_.presign_upload({"k1", type, 5}, clock_.now_ms() + 60'000);
    ASSERT_FALSE(u) << type;
    EXPECT_EQ(u.error().code, "invalid_content_type");
  }
  EXPECT_TRUE(storage_.presign_upload({"k1", "text/plain; charset=utf-8", 5}, clock_.now_ms() + 60'000));
}

TEST_F(LocalMediaStorageTest, UploadThenDownloadTheSameBytes) {
  const auto url = upload_url("image/svg+xml", 5);
  EXPECT_TRUE(url.starts_with("http://127.0.0.1:8080/api/v1/media/blob/k1?"));
  EXPECT_FALSE(storage_.stat("k1")->has_value());
  ASSERT_TRUE(put(url, "image/svg+xml", "hello"));
  auto object = storage_.stat("k1");
  ASSERT_TRUE(object && *object);
  EXPECT_EQ((*object)->content_type, "image/svg+xml");
  EXPECT_EQ((*object)->size, 5);
  auto get = storage_.presign_download(**object, "my file é.svg", clock_.now_ms() + 60'000);
  ASSERT_TRUE(get);
  auto q = query_of(*get);
  EXPECT_EQ(q["name"], "my file é.svg");
  auto blob = storage_.open_download("k1", q["expires"], q["name"], q["sig"]);
  ASSERT_TRUE(blob);
  EXPECT_EQ(blob->bytes, "hello");
  EXPECT_EQ(blob->content_type, "image/svg+xml");
}

TEST_F(LocalMediaStorageTest, TamperedUrlsAreRefused) {
  const auto url = upload_url("image/png", 5);
  auto q = query_of(url);
  const auto refused = [&](std::string_view expires, std::string_view type, std::string_view size, std::string_view sig,
                           std::string_view key = "k1") {
    auto r =
        storage_.accept_upload(key, expires, type, size, sig, type, std::string(std::stoul(std::string(size)), 'x'));
    return !r && r.error().code == "invalid_signature";
  };
  EXPECT_TRUE(refused(q["expires"], "image/gif", q["size"], q["sig"]));
  EXPECT_TRUE(refused(q["expires"], q["type"], "6", q["sig"]));
  EXPECT_TRUE(refused(std::to_string(std::stoll(q["expires"]) + 1000), q["type"], q["size"], q["sig"]));
  EXPECT_TRUE(refused(q["expires"], q["type"], q["size"], q["sig"], "k2"));
  auto flipped = q["sig"];
  flipped[0] = flipped[0] == 'a' ? 'b' : 'a';
  EXPECT_TRUE(refused(q["expires"], q["type"], q["size"], flipped));
  EXPECT_TRUE(refused(q["expires"], q["type"], q["size"], ""));
  EXPECT_EQ(files(), 0u);
}

TEST_F(LocalMediaStorageTest, ExpiredWrongTypeWrongSizeAndReuseAreRefusedLeavingNothing) {
  const auto url = upload_url("image/png", 5);
  EXPECT_EQ(put(url, "image/jpeg", "hello").error().code, "wrong_content_type");
  EXPECT_EQ(put(url, "image/png", "hello!").error().code, "wrong_size");
  EXPECT_EQ(put(url, "image/png", "hell").error().code, "wrong_size");
  EXPECT_EQ(files(), 0u);
  clock_.advance_ms(61'000);
  EXPECT_EQ(put(url, "image/png", "hello").error().code, "url_expired");
  EXPECT_EQ(files(), 0u);
  const auto fresh = upload_url("image/png", 5);
  ASSERT_TRUE(put(fresh, "image/png", "hello"));
  EXPECT_EQ(put(fresh, "image/png", "HELLO").error().code, "already_uploaded");
  EXPECT_EQ(files(), 2u); // the file and its metadata
}

TEST_F(LocalMediaStorageTest, DownloadsNeedAValidUnexpiredSignature) {
  ASSERT_TRUE(put(upload_url("text/plain", 2), "text/plain", "hi"));
  auto get = storage_.presign_download({"k1", "text/plain", 2}, "a.txt", clock_.now_ms() + 1000);
  auto q = query_of(*get);
  EXPECT_EQ(storage_.open_download("k1", q["expires"], "b.txt", q["sig"]).error().code, "invalid_signature");
  EXPECT_EQ(storage_.open_download("k1", q["expires"], q["name"], "00").error().code, "invalid_signature");
  clock_.advance_ms(2000);
  EXPECT_EQ(storage_.open_download("k1", q["expires"], q["name"], q["sig"]).error().code, "url_expired");
}

TEST_F(LocalMediaStorageTest, UrlsStayValidForTheirWholeLifetime) {
  clock_.advance_ms(999); // within a second: URLs carry whole seconds
  const auto up = storage_.presign_upload({"k1", "text/plain", 2}, clock_.now_ms() + 1000);
  ASSERT_TRUE(up);
  EXPECT_GE(up->expires_at_ms, clock_.now_ms() + 1000);
  clock_.advance_ms(1000);
  ASSERT_TRUE(put(up->url, "text/plain", "hi"));
  auto get = storage_.presign_download({"k1", "text/plain", 2}, "a.txt", clock_.now_ms() + 1000);
  auto q = query_of(*get);
  clock_.advance_ms(1000);
  EXPECT_TRUE(storage_.open_download("k1", q["expires"], q["name"], q["sig"]));
}

TEST_F(LocalMediaStorageTest, KeysAreOnlyPlainCharacters) {
  EXPECT_TRUE(is_media_key("123_abc-XYZ"));
  for (const char* bad : {"", "../etc/passwd", "a/b", "a.b", "a b", "%2e%2e", "..", "é"}) {
    EXPECT_FALSE(is_media_key(bad)) << bad;
    EXPECT_FALSE(storage_.presign_upload({bad, "image/png", 1}, clock_.now_ms() + 1000)) << bad;
    EXPECT_FALSE(storage_.stat(bad).value().has_value()) << bad;
  }
  EXPECT_FALSE(is_media_key(std::string(129, 'a')));
}

} // namespace
} // namespace parley

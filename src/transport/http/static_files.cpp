#include "transport/http/static_files.hpp"

#include <array>
#include <fstream>
#include <sstream>
#include <utility>

namespace parley::http {

namespace fs = std::filesystem;

namespace {

constexpr std::array<std::pair<const char*, const char*>, 16> kTypes{{
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".jpeg", "image/jpeg"},
    {".gif", "image/gif"},
    {".webp", "image/webp"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".txt", "text/plain; charset=utf-8"},
    {".webmanifest", "application/manifest+json"},
}};

// The app's pages may talk to this origin (REST and /ws) and the given ones (uploads to a
// bucket), and show media from anywhere (pre-signed storage URLs); nothing else runs.
std::string page_policy(const std::string& connect_origins) {
  return "default-src 'self'; connect-src 'self' ws: wss:" + (connect_origins.empty() ? "" : " " + connect_origins) +
         "; img-src 'self' data: blob: https: http:; media-src 'self' blob: https: http:; "
         "style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
}

std::optional<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

} // namespace

const char* content_type_for(const fs::path& file) {
  const auto ext = file.extension().string();
  for (const auto& [e, type] : kTypes)
    if (ext == e) return type;
  return "application/octet-stream";
}

StaticFiles::StaticFiles(fs::path root, std::string connect_origins)
    : root_(std::move(root)), page_policy_(page_policy(connect_origins)) {}

Response StaticFiles::serve(const Request& req) const {
  const auto not_found = [] { return error_response(Error::not_found("not_found", "no such route")); };
  const auto path = req.path();
  if (path.starts_with("/api/") || path == "/api") return not_found();
  // Only plain segments: no "..", no empty or hidden segments, no backslashes.
  fs::path relative;
  std::string_view rest = path.substr(1);
  while (!rest.empty()) {
    const auto slash = rest.find('/');
    const auto segment = rest.substr(0, slash);
    if (segment.empty() || segment.front() == '.' || segment.find('\\') != std::string_view::npos) return not_found();
    relative /= std::string(segment);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  }
  fs::path file = root_ / relative;
  std::error_code ec;
  bool spa_route = false;
  if (relative.empty() || fs::is_directory(file, ec) || (!fs::exists(file, ec) && !relative.has_extension())) {
    file = root_ / "index.html"; // a client-side route
    spa_route = true;
  }
  auto body = read_file(file);
  if (!body) return not_found();
  Response res;
  res.status = 200;
  res.content_type = content_type_for(file);
  res.body = req.message.method() == boost::beast::http::verb::head ? std::string() : std::move(*body);
  // Vite names built assets by content hash: they never change under one name.
  const bool immutable = !spa_route && relative.begin() != relative.end() && *relative.begin() == "assets";
  res.headers.emplace_back("Cache-Control", immutable ? "public, max-age=31536000, immutable" : "no-cache");
  res.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (res.content_type.starts_with("text/html")) {
    res.headers.emplace_back("Content-Security-Policy", page_policy_);
    res.headers.emplace_back("Referrer-Policy", "no-referrer");
  }
  return res;
}

} // namespace parley::http

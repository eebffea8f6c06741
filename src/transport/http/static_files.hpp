#pragma once
// Serves a built single-page web client from a directory: files by path, and index.html
// for paths that name no file (client-side routes). Read from disk on each request, so a
// rebuilt client is served at once; paths never leave the directory.

#include <filesystem>
#include <string>

#include "transport/http/request.hpp"
#include "transport/http/response.hpp"

namespace parley::http {

class StaticFiles {
 public:
  // `connect_origins`: origins besides this one the pages may send requests to, space-separated
  // (e.g. the media bucket that uploads go to); empty for none.
  explicit StaticFiles(std::filesystem::path root, std::string connect_origins = "");
  // GET and HEAD of any path outside /api/ (404 "not_found" when there is nothing to serve).
  Response serve(const Request& req) const;

 private:
  std::filesystem::path root_;
  std::string page_policy_; // the pages' Content-Security-Policy
};

// The media type for a file name's extension (application/octet-stream when unknown).
const char* content_type_for(const std::filesystem::path& file);

} // namespace parley::http

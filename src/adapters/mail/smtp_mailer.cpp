#include "adapters/mail/smtp_mailer.hpp"

#include <cstring>
#include <memory>

#include <curl/curl.h>

#include "adapters/mail/mime.hpp"
#include "core/log.hpp"

namespace parley {
namespace {

const Logger kLog{"smtp"};

struct Upload {
  const std::string* data;
  std::size_t offset = 0;
};

std::size_t read_chunk(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* up = static_cast<Upload*>(user);
  const std::size_t n = std::min(size * count, up->data->size() - up->offset);
  std::memcpy(buffer, up->data->data() + up->offset, n);
  up->offset += n;
  return n;
}

} // namespace

SmtpMailer::SmtpMailer(SmtpConfig config, const Clock& clock) : config_(std::move(config)), clock_(clock) {
  static const bool initialised = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  if (!initialised) throw std::runtime_error("libcurl initialisation failed");
}

Result<void> SmtpMailer::send(const Mail& mail) {
  auto message = render_mime(mail, config_.from, clock_.now_s());
  if (!message) return fail(message.error());
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return fail(Error::unavailable("mail_unavailable", "cannot create an SMTP client"));
  const std::string from = "<" + config_.from + ">";
  const std::string to = "<" + mail.to + ">";
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> rcpt(curl_slist_append(nullptr, to.c_str()),
                                                                   curl_slist_free_all);
  Upload upload{&*message};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, config_.url.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt.get());
  curl_easy_setopt(c, CURLOPT_READFUNCTION, read_chunk);
  curl_easy_setopt(c, CURLOPT_READDATA, &upload);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(config_.timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, static_cast<long>(config_.timeout.count()));
  if (config_.starttls) curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  if (!config_.username.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, config_.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, config_.password.c_str());
  }
  const CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    kLog.error("send failed", {{"error", curl_easy_strerror(rc)}});
    return fail(Error::unavailable("mail_unavailable", std::string("SMTP delivery failed: ") + curl_easy_strerror(rc)));
  }
  kLog.info("sent", {{"subject", mail.subject}});
  return {};
}

} // namespace parley

#include "hub/notifier/smtp.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace loyalty {
namespace {

// RFC 2047 encoded-word for a UTF-8 header value.
std::string EncodedWord(const std::string& text) {
  return absl::StrCat("=?UTF-8?B?", absl::Base64Escape(text), "?=");
}

struct Payload {
  const std::string* data;
  size_t offset = 0;
};

size_t ReadPayload(char* buffer, size_t size, size_t n, void* user) {
  auto* p = static_cast<Payload*>(user);
  const size_t room = size * n;
  const size_t left = p->data->size() - p->offset;
  const size_t take = std::min(room, left);
  std::memcpy(buffer, p->data->data() + p->offset, take);
  p->offset += take;
  return take;
}

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

std::string FormatMail(const std::string& from, const std::string& to, const std::string& subject,
                       const std::string& body, const std::string& message_id) {
  std::string encoded = absl::Base64Escape(body);
  std::string wrapped;
  for (size_t i = 0; i < encoded.size(); i += 76) {
    absl::StrAppend(&wrapped, encoded.substr(i, 76), "\r\n");
  }
  return absl::StrCat(
      "Date: ", absl::FormatTime("%a, %d %b %Y %H:%M:%S +0000", absl::Now(), absl::UTCTimeZone()),
      "\r\nFrom: ", from, "\r\nTo: ", to, "\r\nMessage-ID: <", message_id,
      ">\r\nSubject: ", EncodedWord(subject),
      "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n",
      wrapped);
}

absl::Status SendMail(const SmtpOptions& options, const std::string& to,
                      const std::string& subject, const std::string& body,
                      const std::string& message_id) {
  GlobalInit();
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
  const std::string mail = FormatMail(options.from, to, subject, body, message_id);
  Payload payload{&mail};
  const std::string from = absl::StrCat("<", options.from, ">");
  const std::string rcpt_text = absl::StrCat("<", to, ">");
  curl_slist* rcpt = curl_slist_append(nullptr, rcpt_text.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, options.url.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadPayload);
  curl_easy_setopt(curl, CURLOPT_READDATA, &payload);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  // STARTTLS when offered; with a login, required (the password never goes in clear).
  curl_easy_setopt(curl, CURLOPT_USE_SSL,
                   static_cast<long>(options.user.empty() ? CURLUSESSL_TRY : CURLUSESSL_ALL));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, options.timeout_ms);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  if (!options.user.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, options.user.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, options.password.c_str());
  }
  const CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(rcpt);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) {
    return absl::UnavailableError(absl::StrCat("smtp: ", curl_easy_strerror(rc)));
  }
  return absl::OkStatus();
}

}  // namespace loyalty

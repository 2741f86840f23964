// Sends one plain-text UTF-8 mail through an SMTP server with libcurl (Debian's
// libcurl4-openssl-dev): smtp:// or smtps:// URLs, STARTTLS when the URL asks for it
// (CURLUSESSL_TRY), optional login.
#ifndef LOYALTY_HUB_NOTIFIER_SMTP_H_
#define LOYALTY_HUB_NOTIFIER_SMTP_H_

#include <string>

#include "absl/status/status.h"

namespace loyalty {

struct SmtpOptions {
  std::string url = "smtp://127.0.0.1:2525";  // smtp://host:port or smtps://host:port
  std::string from = "loyalty@localhost";     // the envelope and From: address
  std::string user;                           // "" = no login
  std::string password;
  long timeout_ms = 10000;
};

// The whole message (headers and a base64 body) as sent; exposed for tests.
std::string FormatMail(const std::string& from, const std::string& to, const std::string& subject,
                       const std::string& body, const std::string& message_id);

// UNAVAILABLE when the server cannot be reached or refuses the mail (the caller retries
// later); INVALID_ARGUMENT for an address the server rejects for good is not told apart.
absl::Status SendMail(const SmtpOptions& options, const std::string& to,
                      const std::string& subject, const std::string& body,
                      const std::string& message_id);

}  // namespace loyalty

#endif  // LOYALTY_HUB_NOTIFIER_SMTP_H_

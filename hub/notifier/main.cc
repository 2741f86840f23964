// loyalty_notifier: mails members their notices (hub/notifier/notifier.h). Runs beside
// the hub on the same database: `loyalty_notifier --mysql_socket=... --smtp_url=...`.
#include <cstdlib>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "hub/common/clock.h"
#include "hub/common/status_macros.h"
#include "hub/notifier/notifier.h"
#include "hub/server/sidecar.h"

ABSL_FLAG(std::string, smtp_url, "smtp://127.0.0.1:2525",
          "SMTP server: smtp://host:port (STARTTLS when offered) or smtps://host:port");
ABSL_FLAG(std::string, mail_from, "loyalty@localhost", "the From: address of member mail");
ABSL_FLAG(std::string, smtp_user, "", "SMTP login; its password from LOYALTY_SMTP_PASSWORD");
ABSL_FLAG(int, poll_ms, 1000, "how often to look for new events and due mail");
ABSL_FLAG(bool, once, false, "queue and send what is there, then exit");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Mails coalition members their notices (expiring points, ...).");
  absl::ParseCommandLine(argc, argv);
  loyalty::BlockStopSignals();
  loyalty::NotifierOptions options;
  options.smtp.url = absl::GetFlag(FLAGS_smtp_url);
  options.smtp.from = absl::GetFlag(FLAGS_mail_from);
  options.smtp.user = absl::GetFlag(FLAGS_smtp_user);
  if (const char* pw = std::getenv("LOYALTY_SMTP_PASSWORD"); pw != nullptr) {
    options.smtp.password = pw;
  }
  std::unique_ptr<loyalty::Notifier> notifier;
  return loyalty::RunSidecar(
      "notifier", absl::Milliseconds(absl::GetFlag(FLAGS_poll_ms)), absl::GetFlag(FLAGS_once),
      [&](loyalty::Store& store) -> absl::StatusOr<std::string> {
        if (notifier == nullptr) {
          notifier = std::make_unique<loyalty::Notifier>(&store, loyalty::SystemClock::Get(),
                                                         options);
        }
        ASSIGN_OR_RETURN(loyalty::NotifierRun queued, notifier->QueueFromEvents());
        ASSIGN_OR_RETURN(loyalty::NotifierRun sent, notifier->SendDue());
        if (queued.queued + sent.sent + sent.retried + sent.failed == 0) return std::string();
        return absl::StrCat("event=notifier events=", queued.events, " queued=", queued.queued,
                            " sent=", sent.sent, " retried=", sent.retried,
                            " failed=", sent.failed);
      });
}

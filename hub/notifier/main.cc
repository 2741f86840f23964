// loyalty_notifier: mails members their notices (hub/notifier/notifier.h). Runs beside
// the hub on the same database: `loyalty_notifier --mysql_socket=... --smtp_url=...`.
#include <signal.h>

#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "hub/common/clock.h"
#include "hub/notifier/notifier.h"
#include "hub/server/db_flags.h"
#include "hub/store/mysql_store.h"

ABSL_FLAG(std::string, smtp_url, "smtp://127.0.0.1:2525",
          "SMTP server: smtp://host:port (STARTTLS when offered) or smtps://host:port");
ABSL_FLAG(std::string, mail_from, "loyalty@localhost", "the From: address of member mail");
ABSL_FLAG(std::string, smtp_user, "", "SMTP login; its password from LOYALTY_SMTP_PASSWORD");
ABSL_FLAG(int, poll_ms, 1000, "how often to look for new events and due mail");
ABSL_FLAG(bool, once, false, "queue and send what is there, then exit");

namespace loyalty {
namespace {

void Log(const std::string& line) {
  std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
}

int Run() {
  absl::StatusOr<MysqlOptions> db = MysqlOptionsFromFlags();
  if (!db.ok()) {
    Log(absl::StrCat("event=start_failed msg=\"", db.status().message(), "\""));
    return 1;
  }
  auto store = OpenMysqlStore(*db);
  if (!store.ok()) {
    Log(absl::StrCat("event=start_failed msg=\"", store.status().message(), "\""));
    return 1;
  }
  NotifierOptions options;
  options.smtp.url = absl::GetFlag(FLAGS_smtp_url);
  options.smtp.from = absl::GetFlag(FLAGS_mail_from);
  options.smtp.user = absl::GetFlag(FLAGS_smtp_user);
  if (const char* pw = std::getenv("LOYALTY_SMTP_PASSWORD"); pw != nullptr) {
    options.smtp.password = pw;
  }
  Notifier notifier(store->get(), SystemClock::Get(), options);
  Log(absl::StrCat("event=notifier_started smtp=", options.smtp.url));
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  const struct timespec poll = {absl::GetFlag(FLAGS_poll_ms) / 1000,
                                (absl::GetFlag(FLAGS_poll_ms) % 1000) * 1000000L};
  for (;;) {
    absl::StatusOr<NotifierRun> queued = notifier.QueueFromEvents();
    absl::StatusOr<NotifierRun> sent = notifier.SendDue();
    if (!queued.ok() || !sent.ok()) {
      Log(absl::StrCat("event=notifier_failed msg=\"",
                       (!queued.ok() ? queued.status() : sent.status()).message(), "\""));
    } else if (queued->queued + sent->sent + sent->retried + sent->failed > 0) {
      Log(absl::StrCat("event=notifier events=", queued->events, " queued=", queued->queued,
                       " sent=", sent->sent, " retried=", sent->retried,
                       " failed=", sent->failed));
    }
    if (absl::GetFlag(FLAGS_once)) return queued.ok() && sent.ok() ? 0 : 1;
    if (sigtimedwait(&signals, nullptr, &poll) > 0) {
      Log("event=notifier_stopped");
      return 0;
    }
  }
}

}  // namespace
}  // namespace loyalty

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Mails coalition members their notices (expiring points, ...).");
  absl::ParseCommandLine(argc, argv);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return loyalty::Run();
}

// loyalty_webhooks: delivers events to partners' webhooks (hub/webhooks/webhooks.h).
// Runs beside the hub on the same database; several may run at once.
#include <signal.h>

#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "hub/common/clock.h"
#include "hub/server/db_flags.h"
#include "hub/store/mysql_store.h"
#include "hub/webhooks/webhooks.h"

ABSL_FLAG(std::string, ca_file, "",
          "PEM CA bundle to check receivers' certificates with; default the system's");
ABSL_FLAG(int64_t, retry_for_seconds, 86400, "how long a delivery is retried before it is dead");
ABSL_FLAG(int64_t, initial_backoff_ms, 10000, "the wait after a first failed attempt (doubles)");
ABSL_FLAG(int64_t, max_backoff_ms, 3600000, "the longest wait between attempts");
ABSL_FLAG(int, poll_ms, 1000, "how often to look for new events and due deliveries");
ABSL_FLAG(bool, once, false, "queue and deliver what is due, then exit");

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
  DelivererOptions o;
  o.ca_file = absl::GetFlag(FLAGS_ca_file);
  o.retry_for = absl::Seconds(absl::GetFlag(FLAGS_retry_for_seconds));
  o.initial_backoff = absl::Milliseconds(absl::GetFlag(FLAGS_initial_backoff_ms));
  o.max_backoff = absl::Milliseconds(absl::GetFlag(FLAGS_max_backoff_ms));
  Deliverer deliverer(store->get(), SystemClock::Get(), o);
  Log("event=webhooks_started");
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  const int poll_ms = std::max(10, absl::GetFlag(FLAGS_poll_ms));
  const struct timespec poll = {poll_ms / 1000, (poll_ms % 1000) * 1000000L};
  for (;;) {
    absl::StatusOr<DelivererRun> queued = deliverer.Queue();
    absl::StatusOr<DelivererRun> sent = deliverer.DeliverDue();
    if (!queued.ok() || !sent.ok()) {
      Log(absl::StrCat("event=webhooks_failed msg=\"",
                       (!queued.ok() ? queued.status() : sent.status()).message(), "\""));
    } else if (queued->queued + sent->delivered + sent->retried + sent->dead > 0) {
      Log(absl::StrCat("event=webhooks queued=", queued->queued, " delivered=", sent->delivered,
                       " retried=", sent->retried, " dead=", sent->dead));
    }
    if (absl::GetFlag(FLAGS_once)) return queued.ok() && sent.ok() ? 0 : 1;
    if (sigtimedwait(&signals, nullptr, &poll) > 0) {
      Log("event=webhooks_stopped");
      return 0;
    }
  }
}

}  // namespace
}  // namespace loyalty

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Delivers the hub's events to partners' webhooks.");
  absl::ParseCommandLine(argc, argv);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return loyalty::Run();
}

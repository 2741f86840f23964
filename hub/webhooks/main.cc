// loyalty_webhooks: delivers events to partners' webhooks (hub/webhooks/webhooks.h).
// Runs beside the hub on the same database; several may run at once.
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "hub/common/clock.h"
#include "hub/common/status_macros.h"
#include "hub/server/sidecar.h"
#include "hub/webhooks/webhooks.h"

ABSL_FLAG(std::string, ca_file, "",
          "PEM CA bundle to check receivers' certificates with; default the system's");
ABSL_FLAG(bool, allow_internal_addresses, false,
          "deliver to endpoints on loopback, private and link-local addresses too (tests, a "
          "private deployment); refused by default");
ABSL_FLAG(int64_t, retry_for_seconds, 86400, "how long a delivery is retried before it is dead");
ABSL_FLAG(int64_t, initial_backoff_ms, 10000, "the wait after a first failed attempt (doubles)");
ABSL_FLAG(int64_t, max_backoff_ms, 3600000, "the longest wait between attempts");
ABSL_FLAG(int, poll_ms, 1000, "how often to look for new events and due deliveries");
ABSL_FLAG(bool, once, false, "queue and deliver what is due, then exit");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Delivers the hub's events to partners' webhooks.");
  absl::ParseCommandLine(argc, argv);
  loyalty::BlockStopSignals();
  loyalty::DelivererOptions o;
  o.ca_file = absl::GetFlag(FLAGS_ca_file);
  o.allow_internal_addresses = absl::GetFlag(FLAGS_allow_internal_addresses);
  o.retry_for = absl::Seconds(absl::GetFlag(FLAGS_retry_for_seconds));
  o.initial_backoff = absl::Milliseconds(absl::GetFlag(FLAGS_initial_backoff_ms));
  o.max_backoff = absl::Milliseconds(absl::GetFlag(FLAGS_max_backoff_ms));
  return loyalty::RunSidecar(
      "webhooks", absl::Milliseconds(absl::GetFlag(FLAGS_poll_ms)), absl::GetFlag(FLAGS_once),
      [&](loyalty::Store& store) -> absl::StatusOr<std::string> {
        loyalty::Deliverer deliverer(&store, loyalty::SystemClock::Get(), o);
        ASSIGN_OR_RETURN(loyalty::DelivererRun queued, deliverer.Queue());
        ASSIGN_OR_RETURN(loyalty::DelivererRun sent, deliverer.DeliverDue());
        if (queued.queued + sent.delivered + sent.retried + sent.dead == 0) return std::string();
        return absl::StrCat("event=webhooks queued=", queued.queued, " delivered=", sent.delivered,
                            " retried=", sent.retried, " dead=", sent.dead);
      });
}

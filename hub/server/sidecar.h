// The shape the processes beside the hub share (loyalty_notifier, loyalty_webhooks):
// open the database from the --mysql_* flags, then run one step every poll until
// SIGINT/SIGTERM (or once), logging each step's line as key=value text on stderr.
#ifndef LOYALTY_HUB_SERVER_SIDECAR_H_
#define LOYALTY_HUB_SERVER_SIDECAR_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "hub/store/store.h"

namespace loyalty {

// Blocks SIGINT and SIGTERM in the calling thread and the threads it starts later, so
// RunSidecar's wait takes them. Call first thing in main.
void BlockStopSignals();

// What one step did: a log line ("" = nothing worth saying), or the error.
using SidecarStep = std::function<absl::StatusOr<std::string>(Store& store)>;

// Opens the store from the --mysql_* flags (db_flags.h), logs "event=<name>_started",
// then runs `step` every `poll` until a stop signal ("event=<name>_stopped") or, with
// `once`, a single time. A failed step is logged and retried at the next poll. Returns
// the process's exit code.
int RunSidecar(const std::string& name, absl::Duration poll, bool once, const SidecarStep& step);

}  // namespace loyalty

#endif  // LOYALTY_HUB_SERVER_SIDECAR_H_

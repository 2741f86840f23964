#include "hub/server/sidecar.h"

#include <signal.h>

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "hub/server/db_flags.h"
#include "hub/store/mysql_store.h"

namespace loyalty {
namespace {

void Log(const std::string& line) {
  std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
}

sigset_t StopSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  return signals;
}

}  // namespace

void BlockStopSignals() {
  const sigset_t signals = StopSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

int RunSidecar(const std::string& name, absl::Duration poll, bool once, const SidecarStep& step) {
  absl::StatusOr<MysqlOptions> db = MysqlOptionsFromFlags();
  absl::StatusOr<std::unique_ptr<Store>> store =
      db.ok() ? OpenMysqlStore(*db) : absl::StatusOr<std::unique_ptr<Store>>(db.status());
  if (!store.ok()) {
    Log(absl::StrCat("event=start_failed msg=\"", store.status().message(), "\""));
    return 1;
  }
  Log(absl::StrCat("event=", name, "_started"));
  const sigset_t signals = StopSignals();
  const int64_t poll_ms = std::max<int64_t>(10, absl::ToInt64Milliseconds(poll));
  const struct timespec wait = {static_cast<time_t>(poll_ms / 1000),
                                static_cast<long>((poll_ms % 1000) * 1000000L)};
  for (;;) {
    absl::StatusOr<std::string> line = step(**store);
    if (!line.ok()) {
      Log(absl::StrCat("event=", name, "_failed msg=\"", line.status().message(), "\""));
    } else if (!line->empty()) {
      Log(*line);
    }
    if (once) return line.ok() ? 0 : 1;
    if (sigtimedwait(&signals, nullptr, &wait) > 0) {
      Log(absl::StrCat("event=", name, "_stopped"));
      return 0;
    }
  }
}

}  // namespace loyalty

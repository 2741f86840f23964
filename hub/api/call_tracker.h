// Counts the unary calls the hub is running, so a graceful shutdown can refuse new calls
// and wait (bounded) for the running ones to finish before it closes the connections.
// gRPC's own Shutdown(deadline) also waits for every idle client connection to answer a
// ping, which an idle C++ client does only every 5 s (its backup poller), so the hub
// drains its calls itself and then gives the connections a short deadline.
//
// Thread-safe.
#ifndef LOYALTY_HUB_API_CALL_TRACKER_H_
#define LOYALTY_HUB_API_CALL_TRACKER_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace loyalty {

class CallTracker {
 public:
  // Registers a new call; false once draining (the caller answers UNAVAILABLE).
  bool Enter() {
    absl::MutexLock lock(&mu_);
    if (draining_) return false;
    ++in_flight_;
    return true;
  }
  // REQUIRES: a successful Enter() of the same call; after its Finish.
  void Exit() {
    absl::MutexLock lock(&mu_);
    --in_flight_;
  }
  // From now on Enter() refuses.
  void StartDraining() {
    absl::MutexLock lock(&mu_);
    draining_ = true;
  }
  // Waits until no call runs or `deadline` passes; returns the calls still running.
  int AwaitIdle(absl::Time deadline) {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithDeadline(absl::Condition(
                              +[](int* n) { return *n == 0; }, &in_flight_),
                          deadline);
    return in_flight_;
  }

 private:
  absl::Mutex mu_;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace loyalty

#endif  // LOYALTY_HUB_API_CALL_TRACKER_H_

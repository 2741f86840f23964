// The durable store-and-forward queue of earns: a SQLite file in WAL mode with
// synchronous=FULL, so an earn that Push() accepted survives a process kill or a power
// cut. Earns leave it in the order they entered (by a monotonically increasing seq).
#ifndef LOYALTY_PARTNER_SDK_SRC_OFFLINE_QUEUE_H_
#define LOYALTY_PARTNER_SDK_SRC_OFFLINE_QUEUE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "loyalty/partner_types.h"

struct sqlite3;

namespace loyalty::sdk::internal {

struct QueuedEarn {
  int64_t seq = 0;
  EarnParams earn;
};

// Thread-safe: one SQLite connection behind a mutex. Several processes may open the same
// file (SQLite locks it), but then each may replay the same earn; the hub's idempotency
// keeps that to one posting.
class OfflineQueue {
 public:
  // Opens (creating if needed) the queue at `path`, holding at most `max_earns`.
  // UNAVAILABLE with SQLite's message if the file cannot be opened or set up.
  static absl::StatusOr<std::unique_ptr<OfflineQueue>> Open(const std::string& path,
                                                            int64_t max_earns);
  ~OfflineQueue();
  OfflineQueue(const OfflineQueue&) = delete;
  OfflineQueue& operator=(const OfflineQueue&) = delete;

  // Appends `earn`, durably, before returning OK. An identical earn already queued under
  // the same partner_txn_id is OK (nothing added); a different one is ALREADY_EXISTS.
  // RESOURCE_EXHAUSTED when the queue holds max_earns.
  // REQUIRES: earn.partner_txn_id and earn.occurred_at_micros are set.
  absl::Status Push(const EarnParams& earn);
  // The oldest earn, or nullopt when empty.
  absl::StatusOr<std::optional<QueuedEarn>> Front();
  // Deletes the earn `seq` (after the hub took it).
  absl::Status Remove(int64_t seq);
  // Moves the earn `seq` to the failed list with the hub's answer, in one transaction.
  absl::Status MoveToFailed(int64_t seq, const absl::Status& why, int64_t now_micros);
  absl::StatusOr<int64_t> Count();
  absl::StatusOr<std::vector<FailedEarn>> Failed();

 private:
  explicit OfflineQueue(sqlite3* db, int64_t max_earns) : db_(db), max_earns_(max_earns) {}
  absl::StatusOr<int64_t> CountLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status SameAsQueued(const EarnParams& earn) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  sqlite3* const db_ ABSL_PT_GUARDED_BY(mu_);
  const int64_t max_earns_;
};

}  // namespace loyalty::sdk::internal

#endif  // LOYALTY_PARTNER_SDK_SRC_OFFLINE_QUEUE_H_

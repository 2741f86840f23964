// Group commit: a Store that runs the transactions asked of it concurrently in batches,
// one database transaction (one commit, one log flush) per batch.
//
// A request waits in a queue until a committer thread takes it with the others that
// arrived within a short window (or until the batch is full). The committer locks the
// batch's members in ascending id order (from each request's LockPlan), then runs each
// request's function between a savepoint and its release: a request that fails its own
// checks (insufficient points, a reused idempotency key) rolls back to its savepoint and
// fails alone. A database error that ends the transaction (deadlock, lost connection)
// retries the whole batch; when the retries run out every request of the batch gets
// the error (UNAVAILABLE for a lost database). Each caller returns only after its
// batch committed, so an answer never runs ahead of the disk.
#ifndef LOYALTY_HUB_STORE_GROUP_COMMIT_H_
#define LOYALTY_HUB_STORE_GROUP_COMMIT_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "hub/store/store.h"

namespace loyalty {

struct GroupCommitOptions {
  // Most requests in one transaction. Default: 128.
  int max_batch = 128;
  // How long a committer waits for a batch to fill once its first request is queued.
  // Default: 500 us.
  absl::Duration window = absl::Microseconds(500);
  // Batches running at once, each on its own connection. Default: 4.
  int committers = 4;
};

// What a GroupCommitStore has done, for logs and benchmarks.
struct GroupCommitStats {
  int64_t batches = 0;
  int64_t requests = 0;
  int64_t batch_retries = 0;  // whole batches run again after a deadlock or timeout
  int64_t request_reruns = 0;  // requests run again under a savepoint (WorkingSet)
  int64_t savepoints = 0;      // SAVEPOINT statements (requests that wrote past the set)
};

// Thread-safe. REQUIRES: `base` outlives this store.
class GroupCommitStore final : public Store {
 public:
  GroupCommitStore(Store* base, GroupCommitOptions options);
  // Runs what is queued, then joins the committers.
  ~GroupCommitStore() override;
  GroupCommitStore(const GroupCommitStore&) = delete;
  GroupCommitStore& operator=(const GroupCommitStore&) = delete;

  absl::Status RunInTransaction(const std::function<absl::Status(StoreTxn&)>& fn) override;
  absl::Status RunInTransaction(const std::function<absl::Status(StoreTxn&)>& fn,
                                const LockPlan& plan) override;
  // One batch of exactly these, run on the calling thread (no window, no queue).
  std::vector<absl::Status> RunEach(
      const std::vector<std::function<absl::Status(StoreTxn&)>>& fns) override;
  absl::Status RunBatchTransaction(
      const std::function<absl::Status(BatchRows&)>& fn) override {
    return base_->RunBatchTransaction(fn);
  }
  absl::Status Migrate() override { return base_->Migrate(); }
  absl::Status Ping() override { return base_->Ping(); }

  GroupCommitStats stats() const;

 private:
  struct Request;

  void Committer();
  // Waits for a batch; empty once stopping and drained.
  std::vector<Request*> TakeBatch();
  void RunBatch(const std::vector<Request*>& batch);

  Store* const base_;
  const GroupCommitOptions options_;
  mutable absl::Mutex mu_;
  std::deque<Request*> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  GroupCommitStats stats_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> committers_;
};

}  // namespace loyalty

#endif  // LOYALTY_HUB_STORE_GROUP_COMMIT_H_

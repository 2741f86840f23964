// Group commit: a Store that runs the postings asked of it concurrently in batches, one
// database transaction (one commit, one log flush) per batch.
//
// A posting (Post) waits in a queue until a committer thread takes it with the others
// that arrived within a short window (or until the batch is full); Post itself returns
// at once. The committer runs the batch pipeline (docs/ledger.md): load the rows of
// every request's LockPlan with set-based statements (members locked in ascending id
// order), apply each request against the in-memory working set (one that fails its own
// checks is undone in memory and fails alone), write what changed with multi-row
// statements, commit, and then call each request's `done` itself: an answer never runs
// ahead of the disk, and no thread waits per request. A database error that ends the
// transaction (deadlock, lost connection) retries the whole batch; when the retries run
// out every request of the batch gets UNAVAILABLE and nothing is written.
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
#include "hub/store/working_set.h"

namespace loyalty {

struct GroupCommitOptions {
  // Most requests in one transaction. Default: 128.
  int max_batch = 128;
  // How long a committer waits for a batch to fill once its first request is queued.
  // Default: 500 us.
  absl::Duration window = absl::Microseconds(500);
  // Batches running at once, each on its own connection. Default: 4.
  int committers = 4;
  // Postings waiting for a committer; past it Post answers RESOURCE_EXHAUSTED at once
  // (the client backs off) instead of queueing without end. Default: 4096.
  int max_queue = 4096;
};

// What a GroupCommitStore has done, for logs and benchmarks.
struct GroupCommitStats {
  int64_t batches = 0;
  int64_t requests = 0;
  int64_t batch_retries = 0;   // whole batches run again after a deadlock or timeout
  int64_t request_reruns = 0;  // requests run again under a savepoint (WorkingSet)
  int64_t savepoints = 0;      // SAVEPOINT statements (requests that wrote past the set)
  // Where a batch's time goes, summed over batches (the last attempt of each), in µs:
  // load (locks and set-based reads), apply (the ledger's rules in memory), write (the
  // multi-row statements), commit (from the end of write to the commit's answer, the
  // log flush included), answer (each request's done: responses and gRPC Finish).
  int64_t load_us = 0;
  int64_t apply_us = 0;
  int64_t write_us = 0;
  int64_t commit_us = 0;
  int64_t answer_us = 0;
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
  // A posting's blocking form: Post, then wait for `done`.
  absl::Status RunInTransaction(const std::function<absl::Status(StoreTxn&)>& fn,
                                const LockPlan& plan) override;
  void Post(PostingJob job) override;
  bool PostReturnsAtOnce() const override { return true; }
  // One batch of exactly these, run on the calling thread (no window, no queue).
  std::vector<absl::Status> RunEach(const std::vector<std::function<absl::Status(StoreTxn&)>>& fns,
                                    const std::vector<LockPlan>& plans = {}) override;
  absl::Status RunBatchTransaction(const std::function<absl::Status(BatchRows&)>& fn) override {
    return base_->RunBatchTransaction(fn);
  }
  absl::Status RunAnalytics(const std::function<absl::Status(AnalyticsRows&)>& fn) override {
    return base_->RunAnalytics(fn);
  }
  absl::Status RunEventTransaction(const std::function<absl::Status(MemberRows&)>& fn) override {
    return base_->RunEventTransaction(fn);
  }
  absl::Status Migrate() override { return base_->Migrate(); }
  absl::Status Ping() override { return base_->Ping(); }

  GroupCommitStats stats() const;

 private:
  struct Request;

  void Committer();
  // Waits for a batch; empty once stopping and drained.
  std::vector<std::unique_ptr<Request>> TakeBatch();
  // Runs, commits and answers the batch (each request's done).
  void RunBatch(const std::vector<std::unique_ptr<Request>>& batch);

  Store* const base_;
  const GroupCommitOptions options_;
  mutable absl::Mutex mu_;
  std::deque<std::unique_ptr<Request>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  GroupCommitStats stats_ ABSL_GUARDED_BY(mu_);
  // The earn rules of the newest committed batch (BatchRules), for the next ones.
  std::shared_ptr<const BatchRules> rules_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> committers_;
};

}  // namespace loyalty

#endif  // LOYALTY_HUB_STORE_GROUP_COMMIT_H_

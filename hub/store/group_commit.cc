#include "hub/store/group_commit.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "hub/common/error_reason.h"
#include "hub/common/status_macros.h"
#include "hub/store/batch_rows.h"
#include "hub/store/working_set.h"

namespace loyalty {
namespace {

// Runs of one request in a batch: the first, and reruns under a savepoint.
constexpr int kMaxRequestRuns = 3;

// True when the plan names something to lock or an idempotency key: a posting.
bool IsPosting(const LockPlan& plan) {
  return !plan.card_number.empty() || !plan.second_card_number.empty() || !plan.txn_id.empty() ||
         !plan.key.empty() || !plan.card_ref.empty() || !plan.clearing_id.empty() ||
         plan.member != 0;
}

// Set on committer threads: a transaction asked for from inside a batch's function
// must not wait for a batch (it would wait for itself).
thread_local bool tl_in_committer = false;

}  // namespace

struct GroupCommitStore::Request {
  explicit Request(PostingJob job) : job(std::move(job)) {}
  PostingJob job;
  absl::Time enqueued;
};

GroupCommitStore::GroupCommitStore(Store* base, GroupCommitOptions options)
    : base_(base), options_(options) {
  LOYALTY_CHECK(options_.max_batch >= 1 && options_.committers >= 1 && options_.max_queue >= 1);
  for (int i = 0; i < options_.committers; ++i) committers_.emplace_back([this] { Committer(); });
}

GroupCommitStore::~GroupCommitStore() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : committers_) t.join();
}

GroupCommitStats GroupCommitStore::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

absl::Status GroupCommitStore::RunInTransaction(const std::function<absl::Status(StoreTxn&)>& fn) {
  // Not a posting (administration, reads): its own transaction, now.
  return base_->RunInTransaction(fn);
}

absl::Status GroupCommitStore::RunInTransaction(const std::function<absl::Status(StoreTxn&)>& fn,
                                                const LockPlan& plan) {
  if (tl_in_committer || !IsPosting(plan)) return base_->RunInTransaction(fn);
  absl::Status result;
  absl::Notification done;
  Post(PostingJob(
      plan, [&fn](StoreTxn& txn) { return fn(txn); },
      [&](absl::Status s) {
        result = std::move(s);
        done.Notify();  // the waiter may return (and destroy `done`) after this
      }));
  done.WaitForNotification();
  return result;
}

void GroupCommitStore::Post(PostingJob job) {
  if (tl_in_committer || !IsPosting(job.plan)) {
    Store::Post(std::move(job));  // its own transaction, on this thread
    return;
  }
  auto r = std::make_unique<Request>(std::move(job));
  absl::Status refused;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      refused = WithReason(absl::UnavailableError("hub is shutting down, retry"),
                           reason::kHubShuttingDown);
    } else if (static_cast<int>(queue_.size()) >= options_.max_queue) {
      refused = WithReason(absl::ResourceExhaustedError("hub is at capacity, retry with backoff"),
                           reason::kHubAtCapacity);
    } else {
      r->enqueued = absl::Now();
      queue_.push_back(std::move(r));
      return;
    }
  }
  r->job.done(std::move(refused));
}

std::vector<absl::Status> GroupCommitStore::RunEach(
    const std::vector<std::function<absl::Status(StoreTxn&)>>& fns,
    const std::vector<LockPlan>& plans) {
  if (tl_in_committer || fns.empty()) return Store::RunEach(fns);
  LOYALTY_CHECK(plans.empty() || plans.size() == fns.size());
  std::vector<absl::Status> out(fns.size());
  std::vector<std::unique_ptr<Request>> batch;
  for (size_t i = 0; i < fns.size(); ++i) {
    batch.push_back(std::make_unique<Request>(PostingJob(
        plans.empty() ? LockPlan{} : plans[i], [&fn = fns[i]](StoreTxn& txn) { return fn(txn); },
        [&s = out[i]](absl::Status result) { s = std::move(result); })));
  }
  RunBatch(batch);
  return out;
}

void GroupCommitStore::Committer() {
  tl_in_committer = true;
  for (;;) {
    std::vector<std::unique_ptr<Request>> batch = TakeBatch();
    if (batch.empty()) return;
    RunBatch(batch);
  }
}

auto GroupCommitStore::TakeBatch() -> std::vector<std::unique_ptr<Request>> {
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !queue_.empty() || stopping_; };
  auto full = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return static_cast<int>(queue_.size()) >= options_.max_batch || stopping_;
  };
  for (;;) {
    mu_.Await(absl::Condition(&ready));
    if (queue_.empty()) return {};  // stopping, and nothing left
    // Let the batch fill until the oldest request has waited one window.
    mu_.AwaitWithDeadline(absl::Condition(&full), queue_.front()->enqueued + options_.window);
    // Idle committers wait on the same queue: another one may have taken it all.
    if (!queue_.empty()) break;
  }
  std::vector<std::unique_ptr<Request>> batch;
  while (!queue_.empty() && static_cast<int>(batch.size()) < options_.max_batch) {
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return batch;
}

void GroupCommitStore::RunBatch(const std::vector<std::unique_ptr<Request>>& batch) {
  std::vector<absl::Status> results(batch.size());
  std::vector<const LockPlan*> plans;
  for (const auto& r : batch) plans.push_back(&r->job.plan);
  int64_t attempts = 0;
  WorkingSetStats costs;
  absl::Time began, loaded, applied, written;  // of the last attempt
  std::shared_ptr<const BatchRules> cached_rules;
  {
    absl::MutexLock lock(&mu_);
    cached_rules = rules_;
  }
  std::shared_ptr<const BatchRules> batch_rules;
  // The one retry layer: the store runs the whole batch again after a deadlock, a lock
  // wait timeout or an idempotency key committed concurrently (the rerun replays it).
  absl::Status status = base_->RunBatchTransaction([&](BatchRows& rows) -> absl::Status {
    ++attempts;
    began = absl::Now();
    loaded = applied = written = began;
    WorkingSet set(&rows, cached_rules);
    RETURN_IF_ERROR(set.Load(plans));  // plan + load
    loaded = absl::Now();
    for (size_t i = 0; i < batch.size(); ++i) {  // apply
      absl::Status s;
      for (int run = 0;; ++run) {
        RETURN_IF_ERROR(set.BeginRequest(/*with_savepoint=*/run > 0));
        s = batch[i]->job.apply(set);
        if (rows.Doomed()) return s.ok() ? absl::AbortedError("transaction ended") : s;
        // Run once more under a savepoint: when it read rows the batch had not written
        // after changing something, or when a row it wrote through (a clearing id) was
        // committed meanwhile by another batch (the rerun finds it and replays).
        const bool raced = !s.ok() && rows.Retryable();
        const bool rerun =
            !s.ok() && run < kMaxRequestRuns - 1 && (set.WantsRerunWithSavepoint() || raced);
        if (raced) rows.ClearRetryable();
        RETURN_IF_ERROR(set.EndRequest(s.ok()));
        if (!rerun) break;
      }
      results[i] = s;
    }
    applied = absl::Now();
    RETURN_IF_ERROR(set.Write());  // write; the store commits
    written = absl::Now();
    costs = set.stats();
    batch_rules = std::make_shared<const BatchRules>(set.rules());
    return absl::OkStatus();
  });
  const absl::Time committed = absl::Now();
  if (!status.ok()) {
    // Nothing of the batch committed: every request fails, retryable by the client with
    // the same idempotency key.
    const absl::Status failed =
        absl::IsUnavailable(status)
            ? status
            : absl::UnavailableError(absl::StrCat("batch not committed: ", status.message()));
    for (absl::Status& s : results) s = failed;
  }
  {
    absl::MutexLock lock(&mu_);  // counted before the answers: a caller may read them next
    ++stats_.batches;
    if (status.ok() && (rules_ == nullptr || rules_->version <= batch_rules->version)) {
      rules_ = std::move(batch_rules);
    }
    if (status.ok()) {
      stats_.load_us += absl::ToInt64Microseconds(loaded - began);
      stats_.apply_us += absl::ToInt64Microseconds(applied - loaded);
      stats_.write_us += absl::ToInt64Microseconds(written - applied);
      stats_.commit_us += absl::ToInt64Microseconds(committed - written);
    }
    stats_.requests += static_cast<int64_t>(batch.size());
    stats_.batch_retries += attempts - 1;
    stats_.request_reruns += costs.reruns_with_savepoint;
    stats_.savepoints += costs.savepoints;
  }
  // Answered by this thread: a request's done finishes its gRPC call.
  for (size_t i = 0; i < batch.size(); ++i) batch[i]->job.done(std::move(results[i]));
  const int64_t answer_us = absl::ToInt64Microseconds(absl::Now() - committed);
  absl::MutexLock lock(&mu_);
  stats_.answer_us += answer_us;
}

}  // namespace loyalty

// Measurement for loyalty-load: completions, latencies and errors per operation kind,
// counted only inside the measurement window (after the warm-up, before the end).
#ifndef LOYALTY_TESTS_LOAD_STATS_H_
#define LOYALTY_TESTS_LOAD_STATS_H_

#include <grpcpp/support/status.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace loyalty::load {

// What a load operation does. A redeem is a pair: AuthorizeRedemption then
// CaptureRedemption, timed from the start of the first to the end of the second. A
// ping is the hub's grpc.health.v1.Health/Check: no auth, no database, so its rate is
// the gRPC ceiling the other kinds are compared with.
enum class OpKind { kEarn = 0, kRedeem = 1, kBalance = 2, kReverse = 3, kPing = 4 };
inline constexpr int kOpKinds = 5;
const char* OpKindName(OpKind kind);

// Microseconds on a monotonic clock; the origin is arbitrary.
int64_t NowMicros();

// Latency percentiles in microseconds (nearest rank over the sorted samples).
struct LatencySummary {
  int64_t count = 0;
  int64_t p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0;
};
// Sorts `samples` in place.
LatencySummary Summarize(std::vector<int64_t>* samples);

struct KindReport {
  int64_t ok = 0;
  int64_t errors = 0;
  LatencySummary latency;  // successful operations only
};

struct Report {
  double window_s = 0;
  int64_t ok = 0;           // successful operations in the window
  int64_t errors = 0;       // failed operations in the window
  int64_t rpcs = 0;         // RPCs that finished in the window (a redeem pair is two)
  LatencySummary latency;   // all successful operations
  std::array<KindReport, kOpKinds> kinds;
  std::map<std::string, int64_t> errors_by_code;  // gRPC code name -> count
};

const char* StatusCodeName(grpc::StatusCode code);

// Thread-safe: Record* is called from gRPC callback threads.
class Stats {
 public:
  Stats() = default;
  Stats(const Stats&) = delete;
  Stats& operator=(const Stats&) = delete;

  // Opens the window at `begin_us` (the end of the warm-up); it closes at `end_us`.
  void SetWindow(int64_t begin_us, int64_t end_us);

  // An operation finished at NowMicros(); `latency_us` counts from its intended start.
  void RecordOp(OpKind kind, int64_t latency_us, const grpc::Status& status);
  // One RPC finished (for the RPC rate).
  void RecordRpc();

  // Totals since the start, warm-up included (for the progress line).
  int64_t TotalOps() const { return total_ops_.load(std::memory_order_relaxed); }
  int64_t TotalErrors() const { return total_errors_.load(std::memory_order_relaxed); }

  // The window's figures; call after the run has drained.
  Report Finish();

 private:
  bool InWindow(int64_t now_us) const;

  std::atomic<int64_t> window_begin_us_{INT64_MAX};
  std::atomic<int64_t> window_end_us_{INT64_MAX};
  std::atomic<int64_t> total_ops_{0};
  std::atomic<int64_t> total_errors_{0};
  std::atomic<int64_t> window_rpcs_{0};

  absl::Mutex mu_;
  std::array<std::vector<int64_t>, kOpKinds> latencies_ ABSL_GUARDED_BY(mu_);
  std::array<int64_t, kOpKinds> errors_ ABSL_GUARDED_BY(mu_){};
  std::map<std::string, int64_t> errors_by_code_ ABSL_GUARDED_BY(mu_);
};

}  // namespace loyalty::load

#endif  // LOYALTY_TESTS_LOAD_STATS_H_

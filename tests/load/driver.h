// Drives load against the hub: draws operations from a mix, picks members (optionally
// with a hot set), and keeps them going either closed loop (a fixed number in flight)
// or open loop (a fixed arrival rate, latency counted from the intended send time).
#ifndef LOYALTY_TESTS_LOAD_DRIVER_H_
#define LOYALTY_TESTS_LOAD_DRIVER_H_

#include <grpcpp/grpcpp.h>

#include <array>
#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "loyalty/v1/partner.grpc.pb.h"
#include "tests/load/coalition.h"
#include "tests/load/stats.h"

namespace loyalty::load {

// Relative weights of the operation kinds, indexed by OpKind.
struct Mix {
  std::array<int, kOpKinds> weight{};
};
// Parses "earn:70,redeem:10,balance:15,reverse:5" or "ping:100" (kinds may be left
// out; weights 0..1000000, at least one positive). Errors name the offending part.
absl::StatusOr<Mix> ParseMix(absl::string_view text);
// True when the mix draws nothing but pings: it needs no coalition.
bool PingOnly(const Mix& mix);

struct DriverOptions {
  Mix mix;
  int members = 1000;         // the first `members` cards of the coalition
  double hot_fraction = 0;    // this fraction of members ...
  double hot_share = 0;       // ... gets this share of the requests (0 = uniform)
  int64_t redeem_points = 10;        // points per authorization (captured in full)
  int64_t max_earn_amount_minor = 100'00;  // earns are uniform in 1.00 .. this
  std::chrono::milliseconds deadline{5'000};
  std::string id_prefix;  // makes this run's partner_txn_ids unique
};

// Thread-safe; operations complete on gRPC callback threads.
class Driver {
 public:
  // `channels` are used round-robin; `stats` must outlive the driver. `coalition` may
  // be empty when the mix is PingOnly.
  Driver(std::vector<std::shared_ptr<grpc::Channel>> channels, const Coalition& coalition,
         DriverOptions options, Stats* stats);
  ~Driver();
  Driver(const Driver&) = delete;
  Driver& operator=(const Driver&) = delete;

  // Keeps `inflight` operations going: each one that finishes starts the next.
  void StartClosedLoop(int inflight);
  // Starts operations at `rate_per_s` on a scheduler thread; at most `max_outstanding`
  // are in flight (beyond that arrivals wait, and their wait counts as latency).
  void StartOpenLoop(double rate_per_s, int max_outstanding);
  // Starts nothing new and waits up to `timeout` for operations in flight to finish.
  // Returns false if some are still in flight.
  bool StopAndDrain(std::chrono::milliseconds timeout);

  int64_t Outstanding() const { return outstanding_.load(std::memory_order_relaxed); }

 private:
  struct EarnRef {  // an earn of this run that may be reversed
    size_t partner;
    std::string partner_txn_id;
  };
  using Done = std::function<void()>;

  // Starts one operation drawn from the mix; `done` runs once it finished.
  void StartOp(int64_t intended_us, Done done);
  void Chain();
  void Schedule(double rate_per_s, int max_outstanding);

  void Earn(int64_t intended_us, Done done);
  void Redeem(int64_t intended_us, Done done);
  void Balance(int64_t intended_us, Done done);
  void Reverse(int64_t intended_us, Done done);
  void Ping(int64_t intended_us, Done done);
  std::optional<EarnRef> TakeReversible();
  void Finish(OpKind kind, int64_t intended_us, const grpc::Status& status, const Done& done);

  std::mt19937_64& Rng();
  size_t PickPartner();
  const std::string& PickCard();
  v1::PartnerService::Stub* NextStub();
  grpc::health::v1::Health::Stub* NextHealthStub();
  std::string NextTxnId();

  const Coalition& coalition_;
  const DriverOptions options_;
  Stats* const stats_;
  std::vector<std::unique_ptr<v1::PartnerService::Stub>> stubs_;
  std::vector<std::unique_ptr<grpc::health::v1::Health::Stub>> health_stubs_;  // same channels
  int total_weight_ = 0;
  int hot_members_ = 0;

  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> outstanding_{0};
  std::atomic<uint64_t> next_stub_{0};
  std::atomic<uint64_t> next_txn_{0};
  std::thread scheduler_;

  absl::Mutex pool_mu_;
  std::deque<EarnRef> reversible_ ABSL_GUARDED_BY(pool_mu_);
};

}  // namespace loyalty::load

#endif  // LOYALTY_TESTS_LOAD_DRIVER_H_

// A concurrent earn/redeem load on a coalition, the way tills behave when the hub or its
// database fails under them: every request has a unique partner_txn_id, and a request
// that got no answer (UNAVAILABLE, DEADLINE_EXCEEDED, ...) is sent again with the SAME id
// and the SAME content until it is answered. Then the journal is checked against what
// the clients were told.
//
// Thread-safe: the driver's own threads run the load; the counters may be read from the
// test's thread at any time.
#ifndef LOYALTY_TESTS_RELIABILITY_LOAD_H_
#define LOYALTY_TESTS_RELIABILITY_LOAD_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "tests/reliability/coalition.h"
#include "tests/support/test_db.h"

namespace loyalty::testing {

struct LoadOptions {
  // Client threads. Default: 4.
  int threads = 4;
  // Deadline of one attempt. Default: 3 s.
  std::chrono::milliseconds attempt_timeout{3000};
  // One request is retried at most this long before the test fails. Default: 120 s.
  std::chrono::milliseconds give_up{120'000};
  // Seed of the requests' random choices.
  uint64_t seed = 1;
};

// The answer a request finally got.
struct Ack {
  std::string txn_id;
  bool earn = false;  // else a redemption
  int member = 0;     // index into Coalition::cards
  int64_t partner_id = 0;
  grpc::StatusCode code = grpc::StatusCode::OK;  // OK or FAILED_PRECONDITION
  int64_t points = 0;                            // what was posted (OK only)
  int64_t hub_txn_id = 0;
  bool replayed = false;
};

class LoadDriver {
 public:
  LoadDriver(std::string target, Coalition coalition, LoadOptions options);
  ~LoadDriver();  // stops and joins
  LoadDriver(const LoadDriver&) = delete;
  LoadDriver& operator=(const LoadDriver&) = delete;

  void Start();
  // Stops issuing new requests; every client still retries its current request until it
  // is answered (bounded by give_up); then joins.
  void StopAndDrain();

  int64_t answered() const { return answered_.load(); }
  // How often each retryable code was seen (attempts, not requests).
  std::map<grpc::StatusCode, int64_t> RetryableCodes() const;
  // Calls answered with a code the load does not expect, described; should stay empty.
  std::vector<std::string> Unexpected() const;
  std::vector<Ack> Acks() const;

 private:
  void Client(int index);
  // Sends one request until it is answered; false (recorded as unexpected) otherwise.
  void SendUntilAnswered(Ack ack, int64_t amount_or_points);
  grpc::Status Attempt(const Ack& ack, int64_t amount_or_points, Ack* out);

  const std::string target_;
  const Coalition coalition_;
  const LoadOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::PartnerService::Stub> stub_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> answered_{0};
  std::vector<std::thread> threads_;
  mutable absl::Mutex mu_;
  std::map<grpc::StatusCode, int64_t> retryable_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> unexpected_ ABSL_GUARDED_BY(mu_);
  std::vector<Ack> acks_ ABSL_GUARDED_BY(mu_);
};

// All rows of `query` on the database `o` names, as strings (NULL as "").
std::vector<std::vector<std::string>> QueryRows(const MysqlOptions& o, const std::string& query);

// Checks the database `db` against `acks` (GoogleTest failures, use
// ASSERT_NO_FATAL_FAILURE / EXPECT): every OK request is in the journal exactly once with
// the answered hub txn id and points, no refused request is in it, nothing else was
// posted by the coalition's partners, each member's balance row equals the journal net
// of its account and equals what the OK answers imply.
void ExpectJournalMatchesAcks(const MysqlOptions& db, const Coalition& coalition,
                              const std::vector<Ack>& acks);

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_RELIABILITY_LOAD_H_

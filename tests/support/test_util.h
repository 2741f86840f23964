// Helpers the ledger suites share that need no database: time constants, status
// checks, request builders and a start line for threads. Header-only.
#ifndef LOYALTY_TESTS_SUPPORT_TEST_UTIL_H_
#define LOYALTY_TESTS_SUPPORT_TEST_UTIL_H_

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/ledger/ledger.h"

namespace loyalty::testing {

// One second and one day of the ledger's clock, in microseconds.
inline constexpr Micros kSecond = 1'000'000;
inline constexpr Micros kDay = 86'400 * kSecond;

// UTC wall-clock time as microseconds since the epoch.
inline Micros Utc(int y, int mo, int d, int h, int mi = 0, int s = 0) {
  return absl::ToUnixMicros(
      absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), absl::UTCTimeZone()));
}

// The value of a successful call (failing the test if it was not).
template <typename T>
T Ok(absl::StatusOr<T> r) {
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *std::move(r) : T{};
}

// Errors must carry the right code and name the offending field first.
inline void ExpectError(const absl::Status& s, absl::StatusCode code, const std::string& field) {
  EXPECT_EQ(s.code(), code) << s;
  EXPECT_THAT(std::string(s.message()), ::testing::StartsWith(field + ":")) << s;
}

// Request builders: the parameters of one call, every field as given (an empty id stays
// empty, so validation tests can send it). LedgerFixture's wrappers pick fresh ids.

// The common part of every partner request.
inline PartnerRequest MakeRequest(PartnerId partner, std::string txn_id) {
  PartnerRequest r;
  r.partner_id = partner;
  r.partner_txn_id = std::move(txn_id);
  return r;
}

// An earn of `amount_minor` EUR cents (the points follow from the partner's rate).
inline EarnParams MakeEarn(PartnerId partner, const std::string& card, int64_t amount_minor,
                           std::string txn_id) {
  EarnParams e;
  e.req = MakeRequest(partner, std::move(txn_id));
  e.card_number = card;
  e.amount_minor = amount_minor;
  e.currency = "EUR";
  return e;
}

// A redemption, or an authorization, of `points`.
inline RedeemParams MakeRedeem(PartnerId partner, const std::string& card, Points points,
                               std::string txn_id) {
  RedeemParams r;
  r.req = MakeRequest(partner, std::move(txn_id));
  r.card_number = card;
  r.points = points;
  return r;
}

// A capture (0 points = all held) or a void of the authorization `authorization`.
inline CaptureParams MakeCapture(PartnerId partner, const std::string& authorization, Points points,
                                 std::string txn_id) {
  CaptureParams c;
  c.req = MakeRequest(partner, std::move(txn_id));
  c.authorization_partner_txn_id = authorization;
  c.points = points;
  return c;
}

// A reversal of `points` (0 = all not yet reversed) of the partner's request `original`.
inline ReverseParams MakeReverse(PartnerId partner, const std::string& original, Points points,
                                 std::string txn_id) {
  ReverseParams r;
  r.req = MakeRequest(partner, std::move(txn_id));
  r.original_partner_txn_id = original;
  r.points = points;
  return r;
}

// An operator credit (points > 0) or debit (points < 0) by "ops".
inline AdjustParams MakeAdjust(const std::string& card, Points points, std::string adjustment_id,
                               std::string reason = "goodwill") {
  AdjustParams a;
  a.actor = "ops";
  a.adjustment_id = std::move(adjustment_id);
  a.card_number = card;
  a.points = points;
  a.reason = std::move(reason);
  return a;
}

// A start line for threads, so they hit the ledger together.
class StartGate {
 public:
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return open_; });
  }
  void Open() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

// Runs body(i, gate) on `n` threads (i = 0..n-1), opens the gate once all are spawned
// and joins them. Each body prepares what it needs, then calls gate.Wait().
inline void RunTogether(int n, const std::function<void(int i, StartGate& gate)>& body) {
  StartGate gate;
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) threads.emplace_back([&body, &gate, i] { body(i, gate); });
  gate.Open();
  for (std::thread& t : threads) t.join();
}

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_SUPPORT_TEST_UTIL_H_

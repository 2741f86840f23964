// Graceful shutdown: on SIGTERM the hub stops taking calls, lets the calls it is running
// finish (within --shutdown_grace_seconds), then exits 0. An idle client connection does
// not keep it waiting.
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/reliability/coalition.h"
#include "tests/support/hub_process.h"
#include "tests/support/test_db.h"

namespace loyalty::testing {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kGraceSeconds = 20;

class ShutdownTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(hub_.Start());
    ASSERT_NO_FATAL_FAILURE(SetUpCoalition(hub_.target(), kHubAdminKey, 2, &coalition_));
    channel_ = FastReconnectChannel(hub_.target());
    stub_ = v1::PartnerService::NewStub(channel_);
  }

  static HubOptions Options(const MysqlOptions& db) {
    HubOptions o;
    o.db = db;
    o.extra_args = {absl::StrCat("--shutdown_grace_seconds=", kGraceSeconds)};
    return o;
  }

  grpc::Status Balance(v1::PartnerService::Stub* stub) {
    v1::GetBalanceRequest req;
    req.set_card_number(coalition_.cards[1]);
    v1::Balance resp;
    return Invoke(stub, &v1::PartnerService::Stub::GetBalance, coalition_.grocer_key, req, &resp,
                  std::chrono::seconds(2));
  }

  // Waits for the hub to exit after SIGTERM; fails unless it exits 0 well before the
  // grace period ends (nothing should hold it that long). Returns the seconds it took.
  double ExpectExitZeroBefore(std::chrono::seconds bound, Clock::time_point since) {
    int status = 0;
    const bool exited = hub_.WaitForExit(bound, &status);
    const double took = std::chrono::duration<double>(Clock::now() - since).count();
    EXPECT_TRUE(exited) << "the hub still runs " << bound.count() << " s after SIGTERM";
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
    return took;
  }

  TestDb db_;
  HubProcess hub_{Options(db_.options())};
  Coalition coalition_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::PartnerService::Stub> stub_;
};

TEST_F(ShutdownTest, AnIdleConnectionDoesNotDelayTheExit) {
  ASSERT_TRUE(Balance(stub_.get()).ok());  // connected, then idle
  const auto since = Clock::now();
  ASSERT_NO_FATAL_FAILURE(hub_.Terminate());
  // Nothing runs: the hub must not wait for the grace period (it used to take ~5 s).
  const double took = ExpectExitZeroBefore(std::chrono::seconds(kGraceSeconds / 2), since);
  std::printf("exit took %.2f s\n", took);
}

TEST_F(ShutdownTest, CallsInFlightFinishAndNewCallsAreRefused) {
  constexpr int kSlowCalls = 3;
  // Earns on a member whose row another session holds wait in the database.
  MemberRowLock lock(db_.options(), coalition_.member_ids[0]);
  ASSERT_TRUE(lock.locked());
  std::vector<grpc::Status> results(kSlowCalls);
  std::atomic<int> answered{0};
  std::vector<std::thread> slow;
  for (int i = 0; i < kSlowCalls; ++i) {
    slow.emplace_back([&, i] {
      v1::EarnResponse resp;
      results[i] = Invoke(stub_.get(), &v1::PartnerService::Stub::Earn, coalition_.grocer_key,
                          EarnOf(absl::StrCat("slow-", i), coalition_.cards[0], 1'000), &resp,
                          std::chrono::seconds(60));
      ++answered;
    });
  }
  ASSERT_TRUE(AwaitLockWaiters(db_, 1));
  const auto since = Clock::now();
  ASSERT_NO_FATAL_FAILURE(hub_.Terminate());

  // New calls are refused, on the open connection and on a new one.
  EXPECT_TRUE(
      PollUntil([&] { return Balance(stub_.get()).error_code() == grpc::StatusCode::UNAVAILABLE; },
                std::chrono::seconds(10)));
  auto fresh = v1::PartnerService::NewStub(FastReconnectChannel(hub_.target()));
  EXPECT_EQ(Balance(fresh.get()).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(answered.load(), 0) << "the slow calls ended before the lock was released";

  lock.Release();
  for (std::thread& t : slow) t.join();
  for (int i = 0; i < kSlowCalls; ++i)
    EXPECT_TRUE(results[i].ok()) << i << ": " << Describe(results[i]);
  ExpectExitZeroBefore(std::chrono::seconds(kGraceSeconds + 10), since);
  EXPECT_EQ(db_.QueryInt("SELECT COUNT(*) FROM txns WHERE partner_txn_id LIKE 'slow-%'"),
            kSlowCalls);
}

}  // namespace
}  // namespace loyalty::testing

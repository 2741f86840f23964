// Client deadlines: a deadline shorter than the work ends the call cleanly at the client
// (DEADLINE_EXCEEDED) while the hub keeps serving; work the hub committed anyway is found
// by a retry with the same partner_txn_id (replayed, not posted twice); and a call whose
// deadline passed while it waited for a worker is never started.
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/reliability/coalition.h"
#include "tests/support/hub_process.h"
#include "tests/support/test_db.h"

namespace loyalty::testing {
namespace {

constexpr auto kShortDeadline = std::chrono::milliseconds(300);

class DeadlineTest : public ::testing::Test {
 protected:
  // The hub as deployed (group commit on).
  virtual HubOptions Options() {
    HubOptions o;
    o.db = db_.options();
    return o;
  }

  void SetUp() override {
    hub_ = std::make_unique<HubProcess>(Options());
    ASSERT_NO_FATAL_FAILURE(hub_->Start());
    ASSERT_NO_FATAL_FAILURE(SetUpCoalition(hub_->target(), kHubAdminKey, 2, &coalition_));
    stub_ = v1::PartnerService::NewStub(FastReconnectChannel(hub_->target()));
  }

  grpc::Status Earn(const std::string& txn_id, int member, std::chrono::milliseconds timeout,
                    v1::EarnResponse* resp) {
    return Invoke(stub_.get(), &v1::PartnerService::Stub::Earn, coalition_.grocer_key,
                  EarnOf(txn_id, coalition_.cards[member], 1'000), resp, timeout);
  }

  grpc::Status Balance(int member) {
    v1::GetBalanceRequest req;
    req.set_card_number(coalition_.cards[member]);
    v1::Balance resp;
    return Invoke(stub_.get(), &v1::PartnerService::Stub::GetBalance, coalition_.grocer_key, req,
                  &resp);
  }

  int64_t Postings(const std::string& txn_id) {
    return db_.QueryInt(
        absl::StrCat("SELECT COUNT(*) FROM txns WHERE partner_txn_id = '", txn_id, "'"));
  }

  TestDb db_;
  std::unique_ptr<HubProcess> hub_;
  Coalition coalition_;
  std::unique_ptr<v1::PartnerService::Stub> stub_;
};

TEST_F(DeadlineTest, WorkCommittedAfterTheDeadlineIsReplayedToTheRetry) {
  MemberRowLock lock(db_.options(), coalition_.member_ids[0]);
  ASSERT_TRUE(lock.locked());
  v1::EarnResponse resp;
  const grpc::Status late = Earn("late-1", 0, kShortDeadline, &resp);
  EXPECT_EQ(late.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << Describe(late);
  ASSERT_TRUE(AwaitLockWaiters(db_, 1));  // the hub still works on it
  lock.Release();
  // The hub finishes and commits the earn nobody waits for any more...
  ASSERT_TRUE(PollUntil([&] { return Postings("late-1") == 1; }));
  // ...and a retry with the same id and content gets that result, posted once.
  const grpc::Status retry = Earn("late-1", 0, std::chrono::seconds(10), &resp);
  ASSERT_TRUE(retry.ok()) << Describe(retry);
  EXPECT_TRUE(resp.result().replayed());
  EXPECT_EQ(resp.result().points(), 50);
  EXPECT_EQ(resp.result().balance_after(), 50);
  EXPECT_EQ(Postings("late-1"), 1);
  EXPECT_TRUE(Balance(1).ok()) << "the hub keeps serving";
}

// One worker and no group commit, so a second call waits in the worker pool's queue
// behind a first one that waits in the database.
class QueuedDeadlineTest : public DeadlineTest {
 protected:
  HubOptions Options() override {
    HubOptions o = DeadlineTest::Options();
    o.workers = 1;
    o.extra_args = {"--group_commit=false"};
    return o;
  }
};

TEST_F(QueuedDeadlineTest, ACallWhoseDeadlinePassedInTheQueueIsNeverStarted) {
  MemberRowLock lock(db_.options(), coalition_.member_ids[0]);
  ASSERT_TRUE(lock.locked());
  // The only worker waits in the database on the locked member.
  grpc::Status first;
  std::thread blocked([&] {
    v1::EarnResponse resp;
    first = Earn("blocked-1", 0, std::chrono::seconds(30), &resp);
  });
  ASSERT_TRUE(AwaitLockWaiters(db_, 1));
  // This one queues behind it and its client gives up.
  v1::EarnResponse resp;
  const grpc::Status queued = Earn("queued-1", 1, kShortDeadline, &resp);
  EXPECT_EQ(queued.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << Describe(queued);
  lock.Release();
  blocked.join();
  EXPECT_TRUE(first.ok()) << Describe(first);
  // A call queued after the expired one has been answered, so the worker has passed it.
  ASSERT_TRUE(Balance(1).ok());
  EXPECT_EQ(Postings("queued-1"), 0) << "expired work was run";
  // The till's retry posts it now, once.
  const grpc::Status retry = Earn("queued-1", 1, std::chrono::seconds(10), &resp);
  ASSERT_TRUE(retry.ok()) << Describe(retry);
  EXPECT_FALSE(resp.result().replayed());
  EXPECT_EQ(resp.result().points(), 50);
  EXPECT_EQ(Postings("queued-1"), 1);
}

}  // namespace
}  // namespace loyalty::testing

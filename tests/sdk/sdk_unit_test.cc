// The SDK without a hub: the shipped mock, generated ids, backoff bounds, the retry loop
// against a closed port, and the offline queue file on its own.
#include <unistd.h>

#include <cstdio>
#include <regex>
#include <set>
#include <string>

#include "absl/time/clock.h"
#include "call_runner.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/admin_client.h"
#include "loyalty/bank_client.h"
#include "loyalty/mocks/mock_admin_connection.h"
#include "loyalty/mocks/mock_bank_connection.h"
#include "loyalty/mocks/mock_partner_connection.h"
#include "loyalty/partner_client.h"
#include "offline_queue.h"
#include "uuid.h"

namespace loyalty::sdk {
namespace {

using ::testing::Field;
using ::testing::Return;

// A partner's till logic under test: earn, and tell the cashier what happened.
std::string RingUp(PartnerClient& client, const std::string& card, int64_t amount_minor) {
  EarnParams p;
  p.card_number = card;
  p.amount = {amount_minor, "EUR"};
  auto r = client.Earn(p);
  if (!r.ok()) return "no points: " + std::string(r.status().message());
  if (r->queued) return "points later";
  return "+" + std::to_string(r->posting.points);
}

TEST(SdkMockTest, TillCodeIsTestableWithoutAHub) {
  auto mock = std::make_shared<mocks::MockPartnerConnection>();
  EarnResult posted;
  posted.posting.points = 250;
  EarnResult queued;
  queued.queued = true;
  EXPECT_CALL(*mock, Earn(Field(&EarnParams::card_number, "7001")))
      .WillOnce(Return(posted))
      .WillOnce(Return(queued))
      .WillOnce(Return(absl::NotFoundError("card_number: unknown")));
  PartnerClient client(mock);
  EXPECT_EQ(RingUp(client, "7001", 5000), "+250");
  EXPECT_EQ(RingUp(client, "7001", 5000), "points later");
  EXPECT_EQ(RingUp(client, "7001", 5000), "no points: card_number: unknown");

  auto admin_mock = std::make_shared<mocks::MockAdminConnection>();
  EXPECT_CALL(*admin_mock, RunExpiry()).WillOnce(Return(ExpiryResult{2, 40}));
  AdminClient admin(admin_mock);
  EXPECT_EQ(admin.RunExpiry()->points_expired, 40);
}

TEST(SdkMockTest, BankCodeIsTestableWithoutAHub) {
  auto mock = std::make_shared<mocks::MockBankConnection>();
  ClearingResult earned;
  earned.clearing_id = "c-1";
  earned.status = ClearingStatus::kEarned;
  earned.points = 120;
  EXPECT_CALL(*mock, SubmitCardTransactions(::testing::SizeIs(1), ::testing::_))
      .WillOnce(Return(std::vector<ClearingResult>{earned}));
  EXPECT_CALL(*mock, UnlinkCoBrandedCard)
      .WillOnce(Return(absl::NotFoundError("card: not linked by this bank")));
  BankClient bank(mock);
  std::vector<ClearingRecord> day(1);
  day[0].clearing_id = "c-1";
  auto results = bank.SubmitCardTransactions(day);
  ASSERT_TRUE(results.ok());
  EXPECT_EQ((*results)[0].points, 120);
  EXPECT_EQ(bank.UnlinkCoBrandedCard({CardRef::Token("t")}).code(), absl::StatusCode::kNotFound);

  auto admin_mock = std::make_shared<mocks::MockAdminConnection>();
  BankEarnRules rules;
  rules.default_rate_bp = 100;
  EXPECT_CALL(*admin_mock, GetBankEarnRules).WillOnce(Return(rules));
  EXPECT_EQ(AdminClient(admin_mock).GetBankEarnRules({7})->default_rate_bp, 100);
}

TEST(SdkBankTest, StreamAgainstAClosedPortFailsAfterItsRetries) {
  Options o;
  o.target = "127.0.0.1:1";
  o.retry.max_attempts = 3;
  o.retry.initial_backoff = absl::Milliseconds(10);
  int retries = 0;
  o.on_retry = [&](const RetryEvent& e) {
    EXPECT_EQ(e.method, "SubmitCardTransactions");
    EXPECT_EQ(e.partner_txn_id, "c-2");  // the first record not answered (c-1 never sent)
    ++retries;
  };
  auto conn = MakeBankConnection(o);
  ASSERT_TRUE(conn.ok()) << conn.status();
  BankClient bank(*conn);
  std::vector<ClearingRecord> day(2);
  day[0].clearing_id = "c-1";
  day[0].card = CardRef{"tok", "4111111111111111"};  // both: the SDK rejects it itself
  day[1].clearing_id = "c-2";
  day[1].card = CardRef::Token("tok");
  auto r = bank.SubmitCardTransactions(day);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_THAT(std::string(r.status().message()),
              ::testing::HasSubstr("1 of 2 records answered, 3 streams"));
  EXPECT_EQ(retries, 2);
}

TEST(SdkUuidTest, VersionFourAndUnique) {
  const std::regex uuid4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = internal::NewUuidV4();
    ASSERT_TRUE(std::regex_match(id, uuid4)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(SdkBackoffTest, GrowsDoublingWithinJitterBoundsUpToTheCap) {
  RetryPolicy p;
  p.initial_backoff = absl::Milliseconds(100);
  p.max_backoff = absl::Milliseconds(700);
  const absl::Duration caps[] = {absl::Milliseconds(100), absl::Milliseconds(200),
                                 absl::Milliseconds(400), absl::Milliseconds(700),
                                 absl::Milliseconds(700)};
  for (int attempt = 1; attempt <= 5; ++attempt) {
    for (int i = 0; i < 200; ++i) {
      const absl::Duration d = internal::Backoff(p, attempt);
      EXPECT_GE(d, caps[attempt - 1] / 2) << attempt;
      EXPECT_LE(d, caps[attempt - 1]) << attempt;
    }
  }
}

TEST(SdkRetryTest, UnreachableHubIsRetriedThenUnavailableAndNeverQueuedWithoutAQueue) {
  Options o;
  o.target = "127.0.0.1:1";  // nothing listens on port 1
  o.api_key = "k";
  o.retry.max_attempts = 3;
  o.retry.initial_backoff = absl::Milliseconds(10);
  o.retry.max_backoff = absl::Milliseconds(20);
  std::vector<std::string> retries;
  o.on_retry = [&](const RetryEvent& e) {
    EXPECT_EQ(e.status.code(), absl::StatusCode::kUnavailable);
    retries.push_back(e.method + "/" + e.partner_txn_id + "/" + std::to_string(e.attempt));
  };
  auto conn = MakePartnerConnection(o);
  ASSERT_TRUE(conn.ok()) << conn.status();
  PartnerClient client(*conn);
  auto r = client.Redeem({"r-1", "7001", 10});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_THAT(std::string(r.status().message()), ::testing::HasSubstr("after 3 attempts"));
  EXPECT_EQ(retries, (std::vector<std::string>{"Redeem/r-1/1", "Redeem/r-1/2"}));
  EarnParams sale;
  sale.card_number = "7001";
  sale.amount = {100, "EUR"};
  EXPECT_EQ(client.Earn(sale).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(client.QueuedEarns().value_or(-1), 0);
  EXPECT_EQ(client.Drain().status().code(), absl::StatusCode::kFailedPrecondition);
}

class SdkQueueFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "sdk_unit_queue_" + std::to_string(getpid()) + ".db";
    Remove();
  }
  void TearDown() override { Remove(); }
  void Remove() {
    for (const char* s : {"", "-wal", "-shm"}) std::remove((path_ + s).c_str());
  }
  static EarnParams Earn(const std::string& id, int64_t amount) {
    EarnParams e;
    e.partner_txn_id = id;
    e.card_number = "7001";
    e.amount = {amount, "EUR"};
    e.occurred_at_micros = 1'780'000'000'000'000;
    return e;
  }
  std::string path_;
};

TEST_F(SdkQueueFileTest, KeepsOrderIdempotencyAndItsLimit) {
  auto q = internal::OfflineQueue::Open(path_, 3);
  ASSERT_TRUE(q.ok()) << q.status();
  ASSERT_TRUE((*q)->Push(Earn("a", 100)).ok());
  ASSERT_TRUE((*q)->Push(Earn("b", 200)).ok());
  EXPECT_TRUE((*q)->Push(Earn("a", 100)).ok());  // the same earn again: no second copy
  EXPECT_EQ((*q)->Push(Earn("a", 999)).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ((*q)->Count().value_or(-1), 2);
  ASSERT_TRUE((*q)->Push(Earn("c", 300)).ok());
  EXPECT_EQ((*q)->Push(Earn("d", 400)).code(), absl::StatusCode::kResourceExhausted);

  auto front = (*q)->Front();
  ASSERT_TRUE(front.ok() && front->has_value());
  EXPECT_EQ((*front)->earn.partner_txn_id, "a");
  ASSERT_TRUE((*q)->Remove((*front)->seq).ok());
  front = (*q)->Front();
  ASSERT_TRUE(front.ok() && front->has_value());
  EXPECT_EQ((*front)->earn.partner_txn_id, "b");
  ASSERT_TRUE((*q)->MoveToFailed((*front)->seq, absl::NotFoundError("card_number: x"), 7).ok());
  q->reset();  // close; reopen from the file

  auto again = internal::OfflineQueue::Open(path_, 3);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)->Count().value_or(-1), 1);
  front = (*again)->Front();
  ASSERT_TRUE(front.ok() && front->has_value());
  EXPECT_EQ((*front)->earn.partner_txn_id, "c");
  EXPECT_EQ((*front)->earn.amount.amount_minor, 300);
  EXPECT_EQ((*front)->earn.occurred_at_micros, 1'780'000'000'000'000);
  auto failed = (*again)->Failed();
  ASSERT_TRUE(failed.ok());
  ASSERT_EQ(failed->size(), 1u);
  EXPECT_EQ((*failed)[0].earn.partner_txn_id, "b");
  EXPECT_EQ((*failed)[0].status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ((*failed)[0].failed_at_micros, 7);
}

TEST_F(SdkQueueFileTest, AnUnopenableFileIsAnError) {
  auto q = internal::OfflineQueue::Open("/nonexistent-dir/queue.db", 10);
  EXPECT_EQ(q.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace loyalty::sdk

// Group commit (hub/store/group_commit.h) on a real MariaDB: concurrent requests share
// transactions, a request that fails its own checks fails alone, a reused key is
// answered per request, and a batch the database does not commit fails every request
// with UNAVAILABLE and writes nothing. (The ledger's other suites also run whole through
// group commit: see tests/CMakeLists.txt.)
#include "hub/store/group_commit.h"

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/common/status_macros.h"
#include "tests/support/test_db.h"
#include "tests/support/test_util.h"

namespace loyalty::testing {
namespace {

// A store whose transactions all fail at the end, as a commit would when the database
// goes away: the work is done, then rolled back, and the caller gets UNAVAILABLE.
class CommitFailsStore final : public Store {
 public:
  explicit CommitFailsStore(Store* base) : base_(base) {}
  absl::Status RunInTransaction(const std::function<absl::Status(StoreTxn&)>& fn) override {
    return base_->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
      RETURN_IF_ERROR(fn(txn));
      return absl::UnavailableError("lost connection during commit");
    });
  }
  using Store::RunInTransaction;
  absl::Status Migrate() override { return base_->Migrate(); }
  absl::Status Ping() override { return base_->Ping(); }

 private:
  Store* base_;
};

// A ledger over group commit beside the fixture's plain one (same database and clock).
// A long window and a large batch make requests started together share a batch.
struct Batched {
  explicit Batched(LedgerFixture& f, Store* base = nullptr, int committers = 2)
      : store(base != nullptr ? base : f.db().store(), Options(committers)),
        ledger(&store, &f.clock()) {}
  static GroupCommitOptions Options(int committers) {
    GroupCommitOptions o;
    o.max_batch = 64;
    o.window = absl::Milliseconds(50);
    o.committers = committers;
    return o;
  }
  GroupCommitStore store;
  Ledger ledger;
};

TEST(GroupCommit, ConcurrentEarnsShareTransactionsAndAllCommit) {
  LedgerFixture f;
  const PartnerId grocer = f.AddPartner("grocery", 500);
  std::vector<std::string> cards;
  for (int i = 0; i < 8; ++i) cards.push_back(f.AddMember(grocer));
  Batched b(f);

  constexpr int kThreads = 32;
  constexpr int kPerThread = 10;
  std::atomic<int> ok{0};
  RunTogether(kThreads, [&](int t, StartGate& gate) {
    gate.Wait();
    for (int i = 0; i < kPerThread; ++i) {
      // 10.00 EUR at 5% = 50 points.
      auto r = b.ledger.Earn(
          MakeEarn(grocer, cards[(t + i) % cards.size()], 1000, absl::StrCat("e-", t, "-", i)));
      EXPECT_TRUE(r.ok()) << r.status();
      if (r.ok()) ++ok;
    }
  });
  EXPECT_EQ(ok.load(), kThreads * kPerThread);
  const GroupCommitStats stats = b.store.stats();
  EXPECT_EQ(stats.requests, kThreads * kPerThread);
  EXPECT_LT(stats.batches, stats.requests / 4) << "requests were not batched";
  Points total = 0;
  for (const std::string& card : cards) total += f.Balance(card).balance;
  EXPECT_EQ(total, 50 * kThreads * kPerThread);
  EXPECT_EQ(f.Rows("txns"), kThreads * kPerThread + static_cast<int64_t>(cards.size()));
  f.ExpectInvariants();
}

TEST(GroupCommit, RequestThatFailsItsChecksFailsAlone) {
  LedgerFixture f;
  const PartnerId grocer = f.AddPartner("grocery", 500);
  const PartnerId gym = f.AddPartner("fitness", 300);
  const std::string poor = f.AddMember(grocer);
  const std::string other = f.AddMember(grocer);
  ASSERT_TRUE(f.EarnPoints(grocer, poor, 100).ok());
  const int64_t txns_before = f.Rows("txns");
  Batched b(f, nullptr, /*committers=*/1);

  // 10 redemptions of 30 from 100 points: 3 fit. 10 earns for another member beside them.
  std::mutex mu;
  std::map<absl::StatusCode, int> redeem_codes;
  std::atomic<int> earns_ok{0};
  RunTogether(20, [&](int t, StartGate& gate) {
    gate.Wait();
    if (t % 2 == 0) {
      auto r = b.ledger.Redeem(MakeRedeem(gym, poor, 30, absl::StrCat("r-", t)));
      std::lock_guard<std::mutex> lock(mu);
      ++redeem_codes[r.status().code()];
    } else {
      auto r = b.ledger.Earn(MakeEarn(grocer, other, 1000, absl::StrCat("e-", t)));
      EXPECT_TRUE(r.ok()) << r.status();
      if (r.ok()) ++earns_ok;
    }
  });
  EXPECT_EQ(redeem_codes[absl::StatusCode::kOk], 3);
  EXPECT_EQ(redeem_codes[absl::StatusCode::kFailedPrecondition], 7);
  EXPECT_EQ(earns_ok.load(), 10);
  EXPECT_LT(b.store.stats().batches, 20) << "the requests never shared a batch";
  EXPECT_EQ(f.Balance(poor).balance, 10);
  EXPECT_EQ(f.Balance(other).balance, 500);
  // Only what succeeded was written: no row of a failed redemption survives.
  EXPECT_EQ(f.Rows("txns"), txns_before + 3 + 10);
  f.ExpectInvariants();
}

TEST(GroupCommit, ReusedKeyIsAnsweredPerRequestInOneBatch) {
  LedgerFixture f;
  const PartnerId grocer = f.AddPartner("grocery", 500);
  const std::string card = f.AddMember(grocer);
  Batched b(f, nullptr, /*committers=*/1);

  // Same key and content twice (a retry): one posting, one replay. Same key, other
  // content: ALREADY_EXISTS for whichever came second.
  std::vector<absl::StatusOr<Posting>> same(2), clash(2);
  RunTogether(4, [&](int t, StartGate& gate) {
    gate.Wait();
    if (t < 2) {
      same[t] = b.ledger.Earn(MakeEarn(grocer, card, 1000, "retry-me"));
    } else {
      clash[t - 2] = b.ledger.Earn(MakeEarn(grocer, card, 1000 * (t - 1), "clash"));
    }
  });
  ASSERT_TRUE(same[0].ok() && same[1].ok()) << same[0].status() << same[1].status();
  EXPECT_EQ(same[0]->txn_id, same[1]->txn_id);
  EXPECT_NE(same[0]->replayed, same[1]->replayed);
  EXPECT_NE(clash[0].ok(), clash[1].ok());
  const absl::Status failed = clash[0].ok() ? clash[1].status() : clash[0].status();
  ExpectError(failed, absl::StatusCode::kAlreadyExists, "partner_txn_id");
  const Points clash_points = clash[0].ok() ? clash[0]->points : clash[1]->points;
  EXPECT_EQ(f.Balance(card).balance, 50 + clash_points);
  EXPECT_EQ(f.Query("SELECT COUNT(*) FROM txns WHERE partner_txn_id IN ('retry-me', 'clash')"), 2);
  f.ExpectInvariants();
}

TEST(GroupCommit, BatchTheDatabaseDoesNotCommitFailsEveryRequestAndWritesNothing) {
  LedgerFixture f;
  const PartnerId grocer = f.AddPartner("grocery", 500);
  const std::string card = f.AddMember(grocer);
  const int64_t txns_before = f.Rows("txns");
  const int64_t transfers_before = f.Rows("transfers");
  CommitFailsStore failing(f.db().store());
  Batched b(f, &failing);

  std::mutex mu;
  std::map<absl::StatusCode, int> codes;
  RunTogether(8, [&](int t, StartGate& gate) {
    gate.Wait();
    auto r = b.ledger.Earn(MakeEarn(grocer, card, 1000, absl::StrCat("lost-", t)));
    std::lock_guard<std::mutex> lock(mu);
    ++codes[r.status().code()];
  });
  EXPECT_EQ(codes[absl::StatusCode::kUnavailable], 8);
  EXPECT_EQ(f.Rows("txns"), txns_before);
  EXPECT_EQ(f.Rows("transfers"), transfers_before);
  EXPECT_EQ(f.Balance(card).balance, 0);

  // The same requests again, once the database commits: each posts exactly once.
  Batched healthy(f);
  for (int t = 0; t < 8; ++t) {
    auto r = healthy.ledger.Earn(MakeEarn(grocer, card, 1000, absl::StrCat("lost-", t)));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_FALSE(r->replayed);
  }
  EXPECT_EQ(f.Balance(card).balance, 8 * 50);
  f.ExpectInvariants();
}

}  // namespace
}  // namespace loyalty::testing

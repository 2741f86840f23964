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
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/common/status_macros.h"
#include "hub/ledger/bank_ledger.h"
#include "hub/ledger/member_book.h"
#include "hub/store/mysql_store.h"
#include "tests/support/faulty_rows.h"
#include "tests/support/test_db.h"
#include "tests/support/test_util.h"

namespace loyalty::testing {
namespace {

// A second store on the fixture's database whose transactions go through `faults`.
std::unique_ptr<Store> FaultyStore(LedgerFixture& f, Faults& faults) {
  MysqlOptions o = f.db().options();
  o.TEST_wrap_rows = faults.Wrapper();
  absl::StatusOr<std::unique_ptr<Store>> store = OpenMysqlStore(o);
  LOYALTY_CHECK(store.ok());
  return std::move(*store);
}

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

// Earns of 50 points each for `card`, all started together, so they share batches.
std::map<absl::StatusCode, int> EarnTogether(Ledger& ledger, PartnerId partner,
                                             const std::string& card, int n,
                                             const std::string& prefix) {
  std::mutex mu;
  std::map<absl::StatusCode, int> codes;
  RunTogether(n, [&](int t, StartGate& gate) {
    gate.Wait();
    auto r = ledger.Earn(MakeEarn(partner, card, 1000, absl::StrCat(prefix, t)));
    std::lock_guard<std::mutex> lock(mu);
    ++codes[r.status().code()];
  });
  return codes;
}

// A failed write statement or a lost connection at COMMIT: every request of the batch
// gets UNAVAILABLE and nothing is written; the same requests sent again each post once.
void ExpectBatchFailsWhole(const std::string& method) {
  SCOPED_TRACE(method);
  LedgerFixture f;
  const PartnerId grocer = f.AddPartner("grocery", 500);
  const std::string card = f.AddMember(grocer);
  const int64_t txns_before = f.Rows("txns");
  const int64_t transfers_before = f.Rows("transfers");
  Faults faults;
  std::unique_ptr<Store> faulty = FaultyStore(f, faults);
  {
    Batched b(f, faulty.get(), /*committers=*/1);
    b.store.RunEach({[](StoreTxn&) { return absl::OkStatus(); }});  // warm up the pool
    faults.FailCall(method, 1, Fault::kLostConnection);
    std::map<absl::StatusCode, int> codes = EarnTogether(b.ledger, grocer, card, 8, "lost-");
    EXPECT_EQ(faults.injected(), 1);
    // One batch saw the fault and failed whole; others (if the requests did not all
    // share it) committed.
    EXPECT_GE(codes[absl::StatusCode::kUnavailable], 1);
    EXPECT_EQ(codes[absl::StatusCode::kUnavailable] + codes[absl::StatusCode::kOk], 8);
    EXPECT_EQ(f.Rows("txns"), txns_before + codes[absl::StatusCode::kOk]);
    EXPECT_EQ(f.Rows("transfers"), transfers_before + codes[absl::StatusCode::kOk]);
    EXPECT_EQ(f.Balance(card).balance, 50 * codes[absl::StatusCode::kOk]);
  }
  // The same requests again, once the database commits: each posts exactly once.
  Batched healthy(f);
  for (int t = 0; t < 8; ++t) {
    auto r = healthy.ledger.Earn(MakeEarn(grocer, card, 1000, absl::StrCat("lost-", t)));
    ASSERT_TRUE(r.ok()) << r.status();
  }
  EXPECT_EQ(f.Balance(card).balance, 8 * 50);
  EXPECT_EQ(f.Rows("txns"), txns_before + 8);
  f.ExpectInvariants();
}

// Idle committers all wait on one queue; one that finds the queue emptied by another
// goes back to waiting (it once took that for shutdown and quit, leaving one committer).
TEST(GroupCommit, EveryCommitterKeepsRunningBatchesAfterRacingForSingleRequests) {
  LedgerFixture f;
  GroupCommitOptions o;
  o.max_batch = 64;
  o.window = absl::Microseconds(500);
  o.committers = 3;
  GroupCommitStore store(f.db().store(), o);
  auto nothing = [](StoreTxn&) { return absl::OkStatus(); };
  for (int i = 0; i < 30; ++i) {  // one at a time: the idle committers race for each
    LockPlan plan;
    plan.key = absl::StrCat("single-", i);
    ASSERT_TRUE(store.RunInTransaction(nothing, plan).ok());
  }
  // Three requests 50 ms apart (a batch each: a committer is busy with the earlier ones)
  // that finish only once all three run at the same time.
  std::atomic<int> inside{0};
  RunTogether(3, [&](int t, StartGate& gate) {
    gate.Wait();
    absl::SleepFor(absl::Milliseconds(50) * t);
    LockPlan plan;
    plan.key = absl::StrCat("together-", t);
    absl::Status s = store.RunInTransaction(
        [&](StoreTxn&) {
          ++inside;
          const absl::Time deadline = absl::Now() + absl::Seconds(10);
          while (inside.load() < 3 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
          return inside.load() >= 3
                     ? absl::OkStatus()
                     : absl::DeadlineExceededError("fewer than three batches ran at once");
        },
        plan);
    EXPECT_TRUE(s.ok()) << s;
  });
}

// An earn (it only adds a lot) loads the member's lots due or pending, not every open
// lot; a redemption loads them all. The answers are those of the plain ledger.
TEST(GroupCommit, AnEarnLoadsOnlyTheLotsDueOrPendingAndAnswersTheSame) {
  LedgerFixture f;
  const PartnerId grocer = f.AddPartner("grocery", 500);
  PartnerRecord shop;
  shop.name = "Shoe shop";
  shop.category = "shoes";
  shop.role = Role::kMerchant;
  shop.earn_rate_bp = 1000;
  shop.return_window_days = 14;
  absl::StatusOr<RegisteredPartner> registered = f.ledger().RegisterPartner("test", shop);
  ASSERT_TRUE(registered.ok()) << registered.status();
  const PartnerId shoes = registered->partner.id;
  const std::string card = f.AddMember(grocer);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(f.Earn(grocer, card, 1000).ok());  // 5 x 50, spendable
  ASSERT_TRUE(f.Earn(shoes, card, 1000).ok());  // 100, pending for 14 days

  Faults faults;
  std::unique_ptr<Store> faulty = FaultyStore(f, faults);
  Batched b(f, faulty.get(), /*committers=*/1);
  faults.FailCall("NoSuchMethod", 1, Fault::kDeadlock);  // counts calls from here
  auto earned = b.ledger.Earn(MakeEarn(grocer, card, 1000, "batched-earn"));
  ASSERT_TRUE(earned.ok()) << earned.status();
  EXPECT_EQ(faults.Calls("DueOrPendingLotsOf"), 1);
  EXPECT_EQ(faults.Calls("OpenLotsOf"), 0);
  EXPECT_EQ(earned->balance_after, 400);
  EXPECT_EQ(earned->available_after, 300) << "the pending lot was not counted";

  auto redeemed = b.ledger.Redeem(MakeRedeem(grocer, card, 280, "batched-redeem"));
  ASSERT_TRUE(redeemed.ok()) << redeemed.status();
  EXPECT_EQ(faults.Calls("OpenLotsOf"), 1);
  EXPECT_EQ(redeemed->balance_after, 120);
  EXPECT_EQ(redeemed->available_after, 20);
  f.ExpectInvariants();
}

// A batch of bank clearing records reads its cards' links, its clearing ids and the
// cards' monthly totals with one statement each, and writes its clearing rows with one;
// the monthly cap and a refund of a purchase in the same batch come out as one at a time.
TEST(GroupCommit, ClearingRecordsLoadAndWriteSetBased) {
  LedgerFixture f;
  const PartnerId grocer = f.AddPartner("grocery", 500);
  const PartnerId bank = f.AddPartner("bank", 100, Role::kIssuer);
  BankLedger plain(f.db().store(), &f.clock());
  BankRulesRow rules;
  rules.default_rate_bp = 100;     // 1 %: 100.00 EUR earns 100 points
  rules.monthly_cap_points = 150;  // the second purchase on a card earns 50
  ASSERT_TRUE(plain.SetRules("ops", bank, rules).ok());
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(plain.LinkCard(bank, f.AddMember(grocer), absl::StrCat("tok-", i)).ok());
  }
  Faults faults;
  std::unique_ptr<Store> faulty = FaultyStore(f, faults);
  Batched b(f, faulty.get(), /*committers=*/1);
  BankLedger batched(&b.store, &f.clock());
  std::vector<ClearingParams> records;
  for (int i = 0; i < 8; ++i) {
    ClearingParams p;
    p.bank_id = bank;
    p.clearing_id = absl::StrCat("c-", i);
    p.card_ref = absl::StrCat("tok-", i % 4);
    p.amount_minor = 10'000;
    p.currency = "EUR";
    p.mcc = 5999;
    p.occurred_at = f.clock().NowMicros();
    records.push_back(p);
  }
  ClearingParams refund = records[0];  // half of c-0's 100 points back
  refund.clearing_id = "c-refund";
  refund.refund = true;
  refund.original_clearing_id = "c-0";
  refund.amount_minor = 5'000;
  records.push_back(refund);

  faults.FailCall("NoSuchMethod", 1, Fault::kDeadlock);  // counts calls from here
  std::vector<absl::StatusOr<ClearingOutcome>> out = batched.SubmitClearings(records);
  ASSERT_EQ(out.size(), records.size());
  for (size_t i = 0; i < out.size(); ++i) ASSERT_TRUE(out[i].ok()) << i << ": " << out[i].status();
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(out[i]->status, clearing_status::kEarned) << i;
    EXPECT_EQ(out[i]->points, i < 4 ? 100 : 50) << i;
  }
  EXPECT_EQ(out[8]->status, clearing_status::kReversed);
  EXPECT_EQ(out[8]->points, 50);
  EXPECT_EQ(faults.Calls("FindCardLinks"), 1);
  EXPECT_EQ(faults.Calls("FindCardLink"), 0);
  EXPECT_EQ(faults.Calls("LockClearings"), 1);
  EXPECT_EQ(faults.Calls("FindClearing"), 0);
  EXPECT_EQ(faults.Calls("CardMonthTotals"), 1);
  EXPECT_EQ(faults.Calls("CardPointsInMonth"), 0);
  EXPECT_EQ(faults.Calls("InsertClearings"), 1);
  EXPECT_EQ(f.Query("SELECT points FROM card_month_points WHERE card_ref = 'tok-0'"), 100);

  // Sent again: every record is answered as it was first, nothing is posted twice.
  const int64_t txns = f.Rows("txns");
  out = batched.SubmitClearings(records);
  for (size_t i = 0; i < out.size(); ++i) {
    ASSERT_TRUE(out[i].ok()) << i << ": " << out[i].status();
    EXPECT_TRUE(out[i]->replayed) << i;
  }
  EXPECT_EQ(f.Rows("txns"), txns);
  f.ExpectInvariants();
}

// Debts, audit rows and promotion awards stay in the working set and go out with the
// batch's other rows: a reversal that leaves a debt, an earn that repays it and an
// operator adjustment neither set a savepoint nor write a row of their own.
TEST(GroupCommit, DebtsAndAuditRowsAreWrittenWithTheBatch) {
  LedgerFixture f;
  const PartnerId grocer = f.AddPartner("grocery", 500);  // 5 %
  const std::string card = f.AddMember(grocer);
  const std::string other = f.AddMember(grocer);
  ASSERT_TRUE(f.ledger().Earn(MakeEarn(grocer, card, 2000, "e-1")).ok());  // 100
  ASSERT_TRUE(f.ledger().Redeem(MakeRedeem(grocer, card, 100, "r-1")).ok());

  Faults faults;
  std::unique_ptr<Store> faulty = FaultyStore(f, faults);
  Batched b(f, faulty.get(), /*committers=*/1);
  faults.FailCall("NoSuchMethod", 1, Fault::kDeadlock);  // counts calls from here
  auto reversed = b.ledger.Reverse(MakeReverse(grocer, "e-1", 0, "rev-1"));
  ASSERT_TRUE(reversed.ok()) << reversed.status();
  EXPECT_EQ(reversed->debt_created, 100);
  EXPECT_EQ(f.Query("SELECT outstanding FROM debts"), 100);

  // Two earns of the member in one batch repay the debt from the open debts loaded once.
  std::vector<absl::StatusOr<Posting>> earned(2);
  {
    std::vector<std::thread> threads;
    for (int i = 0; i < 2; ++i) {
      threads.emplace_back([&, i] {
        earned[i] = b.ledger.Earn(MakeEarn(grocer, card, 1200, absl::StrCat("e-", i + 2)));
      });
    }
    for (std::thread& t : threads) t.join();
  }
  for (const auto& e : earned) ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(f.Query("SELECT outstanding FROM debts"), 0);  // 60 + 40 of the 2 x 60
  EXPECT_EQ(f.Balance(card).debt, 0);
  EXPECT_EQ(f.Balance(card).balance, 20);

  auto adjusted = b.ledger.AdjustPoints(MakeAdjust(other, 30, "adj-1"));
  ASSERT_TRUE(adjusted.ok()) << adjusted.status();
  EXPECT_EQ(f.Query("SELECT COUNT(*) FROM audit_log WHERE action = 'adjust_points'"), 1);

  EXPECT_EQ(faults.Calls("Savepoint"), 0);
  EXPECT_EQ(faults.Calls("InsertDebt"), 0);
  EXPECT_EQ(faults.Calls("SetDebtOutstanding"), 0);
  EXPECT_EQ(faults.Calls("OpenDebts"), 0);
  EXPECT_EQ(faults.Calls("InsertAudit"), 0);
  EXPECT_GE(faults.Calls("UpsertDebts"), 2);
  EXPECT_LE(faults.Calls("OpenDebtsOf"), 2) << "one load per batch with a member in debt";
  EXPECT_GE(faults.Calls("OpenDebtsOf"), 1);
  f.ExpectInvariants();
}

// The program, partners, tiers and promotions are read once per rules version, not per
// batch; a change (here through the plain store, as the admin API does) reaches the next
// batch.
TEST(GroupCommit, RulesAreReadOncePerVersionAndAChangeReachesTheNextBatch) {
  LedgerFixture f;
  const PartnerId grocer = f.AddPartner("grocery", 500);
  const std::string card = f.AddMember(grocer);
  Faults faults;
  std::unique_ptr<Store> faulty = FaultyStore(f, faults);
  Batched b(f, faulty.get(), /*committers=*/1);
  faults.FailCall("NoSuchMethod", 1, Fault::kDeadlock);  // counts calls from here
  Micros expires_before = -1;
  for (int i = 0; i < 3; ++i) {  // one at a time: three batches
    auto r = b.ledger.Earn(MakeEarn(grocer, card, 1000, absl::StrCat("e-", i)));
    ASSERT_TRUE(r.ok()) << r.status();
    expires_before = r->expires_at;
  }
  EXPECT_EQ(faults.Calls("RulesVersion"), 3);
  EXPECT_EQ(faults.Calls("GetProgram"), 1);
  EXPECT_EQ(faults.Calls("GetPartner"), 1);
  EXPECT_EQ(faults.Calls("ListTiers"), 1);

  absl::StatusOr<ProgramRecord> program = f.ledger().GetProgram();
  ASSERT_TRUE(program.ok()) << program.status();
  program->expiry_policy = expiry_policy::kMonthsAfterEarn;
  program->expiry_months = program->expiry_months > 0 ? program->expiry_months + 12 : 12;
  ASSERT_TRUE(f.ledger().SetProgram("test", *program).ok());
  auto r = b.ledger.Earn(MakeEarn(grocer, card, 1000, "after-the-change"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NE(r->expires_at, expires_before) << "the batch used the program of before";
  EXPECT_EQ(faults.Calls("GetProgram"), 2);
}

TEST(GroupCommitFaults, FailedWriteStatementAnswersUnavailableAndWritesNothing) {
  ExpectBatchFailsWhole("InsertTransfers");
  ExpectBatchFailsWhole("UpdateMembers");
}

TEST(GroupCommitFaults, LostConnectionAtCommitAnswersUnavailableAndWritesNothing) {
  ExpectBatchFailsWhole("Commit");
}

TEST(GroupCommitFaults, LostConnectionWhileLoadingAnswersUnavailableAndWritesNothing) {
  ExpectBatchFailsWhole("LockMembers");
}

TEST(GroupCommitFaults, DeadlockMidBatchRerunsTheBatchAndEveryRequestPostsOnce) {
  for (const char* method : {"InsertTxns", "UpdateMembers", "FindTxns"}) {
    SCOPED_TRACE(method);
    LedgerFixture f;
    const PartnerId grocer = f.AddPartner("grocery", 500);
    const std::string card = f.AddMember(grocer);
    const int64_t txns_before = f.Rows("txns");
    Faults faults;
    std::unique_ptr<Store> faulty = FaultyStore(f, faults);
    Batched b(f, faulty.get(), /*committers=*/1);
    faults.FailCall(method, 1, Fault::kDeadlock);
    std::map<absl::StatusCode, int> codes = EarnTogether(b.ledger, grocer, card, 16, "dl-");
    EXPECT_EQ(faults.injected(), 1);
    EXPECT_EQ(codes[absl::StatusCode::kOk], 16);
    EXPECT_GE(b.store.stats().batch_retries, 1);
    EXPECT_EQ(f.Rows("txns"), txns_before + 16);
    EXPECT_EQ(f.Query("SELECT COUNT(DISTINCT partner_txn_id) FROM txns WHERE partner_txn_id "
                      "LIKE 'dl-%'"),
              16);
    EXPECT_EQ(f.Balance(card).balance, 16 * 50);
    f.ExpectInvariants();
  }
}

// A request that fails after it changed rows (a txn, a lot, the member, the journal)
// leaves nothing of itself; the requests around it in the same batch commit. Runs the
// three as one batch (RunEach) on a fresh store, so nothing else shares it.
TEST(GroupCommitFaults, RequestFailingAfterItsWritesLeavesNothingAndTheRestCommit) {
  LedgerFixture f;
  const PartnerId grocer = f.AddPartner("grocery", 500);
  const std::string card = f.AddMember(grocer);
  const MemberId member = f.Balance(card).member_id;
  const int64_t txns_before = f.Rows("txns");
  Faults faults;  // none injected: the real rows, through the same seam
  std::unique_ptr<Store> store = FaultyStore(f, faults);
  Batched b(f, store.get(), /*committers=*/1);

  auto credit = [&](const std::string& key, Points points, bool fail) {
    return [&f, key, points, fail, grocer, member](StoreTxn& txn) -> absl::Status {
      ASSIGN_OR_RETURN(MemberRecord m, txn.LockMember(member));
      TxnRecord rec;
      rec.partner_id = grocer;
      rec.partner_txn_id = key;
      rec.kind = txn_kind::kEarn;
      rec.member_id = member;
      rec.points = points;
      rec.request_hash = key;
      rec.posted_at = rec.occurred_at = f.clock().NowMicros();
      ASSIGN_OR_RETURN(TxnId id, txn.InsertTxn(rec));
      LotRecord lot;
      lot.member_id = member;
      lot.funder_id = grocer;
      lot.earn_txn_id = id;
      lot.points = lot.remaining = points;
      lot.earned_at = rec.posted_at;
      lot.expires_at = kNeverExpires;
      RETURN_IF_ERROR(txn.InsertLot(lot).status());
      RETURN_IF_ERROR(txn.InsertTransfer(
          {id, PartnerIssuedAccount(grocer), MemberAccount(member), points, rec.posted_at}));
      m.balance += points;
      RETURN_IF_ERROR(txn.UpdateMember(m));
      RETURN_IF_ERROR(txn.UpdateTxnResult(id, points, m.balance, m.balance));
      if (fail) return absl::FailedPreconditionError("on purpose: fails after its writes");
      return absl::OkStatus();
    };
  };
  std::vector<absl::Status> results = b.store.RunEach(
      {credit("keep-1", 10, false), credit("drop", 1000, true), credit("keep-2", 20, false)});
  ASSERT_EQ(results.size(), 3u);
  EXPECT_TRUE(results[0].ok()) << results[0];
  ExpectError(results[1], absl::StatusCode::kFailedPrecondition, "on purpose");
  EXPECT_TRUE(results[2].ok()) << results[2];
  EXPECT_EQ(b.store.stats().batches, 1);
  EXPECT_EQ(b.store.stats().savepoints, 0) << "the failed request was not undone in memory";
  EXPECT_EQ(f.Rows("txns"), txns_before + 2);
  EXPECT_EQ(f.Query("SELECT COUNT(*) FROM txns WHERE partner_txn_id = 'drop'"), 0);
  EXPECT_EQ(f.Query("SELECT COUNT(*) FROM lots WHERE points = 1000"), 0);
  EXPECT_EQ(f.Query("SELECT COUNT(*) FROM transfers WHERE points = 1000"), 0);
  EXPECT_EQ(f.Balance(card).balance, 30);
  EXPECT_EQ(f.Query("SELECT balance_after FROM txns WHERE partner_txn_id = 'keep-2'"), 30);
  f.ExpectInvariants();
}

}  // namespace
}  // namespace loyalty::testing

// Idempotency (docs/ledger.md "Idempotency", DESIGN.md section 5): a retry with the same
// (partner, partner_txn_id) and the same content returns the stored result and writes
// nothing; different content fails ALREADY_EXISTS naming the id; a failed request does
// not burn its id; concurrent retries post exactly once.
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_db.h"
#include "tests/support/test_util.h"

namespace loyalty::testing {
namespace {

using ::testing::HasSubstr;

// Row counts of the tables a posting writes.
struct Rows {
  int64_t txns = 0, transfers = 0, lots = 0, consumptions = 0, holds = 0, debts = 0, members = 0,
          cards = 0, audit = 0;
  bool operator==(const Rows& o) const {
    return txns == o.txns && transfers == o.transfers && lots == o.lots &&
           consumptions == o.consumptions && holds == o.holds && debts == o.debts &&
           members == o.members && cards == o.cards && audit == o.audit;
  }
};

std::ostream& operator<<(std::ostream& os, const Rows& r) {
  return os << "txns=" << r.txns << " transfers=" << r.transfers << " lots=" << r.lots
            << " consumptions=" << r.consumptions << " holds=" << r.holds << " debts=" << r.debts
            << " members=" << r.members << " cards=" << r.cards << " audit_log=" << r.audit;
}

Rows Snapshot(TestDb& db) {
  Rows r;
  r.txns = db.QueryInt("SELECT COUNT(*) FROM txns");
  r.transfers = db.QueryInt("SELECT COUNT(*) FROM transfers");
  r.lots = db.QueryInt("SELECT COUNT(*) FROM lots");
  r.consumptions = db.QueryInt("SELECT COUNT(*) FROM consumptions");
  r.holds = db.QueryInt("SELECT COUNT(*) FROM holds");
  r.debts = db.QueryInt("SELECT COUNT(*) FROM debts");
  r.members = db.QueryInt("SELECT COUNT(*) FROM members");
  r.cards = db.QueryInt("SELECT COUNT(*) FROM cards");
  r.audit = db.QueryInt("SELECT COUNT(*) FROM audit_log");
  return r;
}

// The replay carries the original's figures.
void ExpectSameResult(const Posting& original, const Posting& replay) {
  EXPECT_FALSE(original.replayed);
  EXPECT_TRUE(replay.replayed);
  EXPECT_EQ(replay.txn_id, original.txn_id);
  EXPECT_EQ(replay.member_id, original.member_id);
  EXPECT_EQ(replay.points, original.points);
  EXPECT_EQ(replay.balance_after, original.balance_after);
  EXPECT_EQ(replay.available_after, original.available_after);
}

// ALREADY_EXISTS naming the id and, when given, what differs ("field: before, now").
void ExpectAlreadyExists(const absl::Status& s, const std::string& id,
                         const std::string& difference = "") {
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr(id)) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr(difference)) << s;
}

class IdempotencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grocer_ = f_.AddPartner("grocery", 500);
    gym_ = f_.AddPartner("fitness", 300);
    card_ = f_.AddMember(grocer_);
    ASSERT_FALSE(card_.empty());
  }

  int64_t CountId(PartnerId p, const std::string& id) {
    return f_.db().QueryInt(absl::StrCat("SELECT COUNT(*) FROM txns WHERE partner_id = ", p,
                                         " AND partner_txn_id = '", id, "'"));
  }
  // Sends `request` (the partner's `txn_id`) from 8 threads while another connection holds
  // the member's row lock, so every retry looks its key up before the original commits.
  // Each must still answer as the original: one fresh posting of `points` leaving
  // `balance_after`, the others its replays. The last step of a test (it may ASSERT).
  void ExpectQueuedRetriesReturnTheOriginal(const std::function<absl::StatusOr<Posting>()>& request,
                                            PartnerId partner, const std::string& txn_id,
                                            Points points, Points balance_after) {
    const MemberId member = f_.Balance(card_).member_id;
    constexpr int kThreads = 8;
    std::vector<absl::StatusOr<Posting>> results(kThreads, absl::UnknownError("not run"));
    auto lock = std::make_unique<MemberRowLock>(f_.db().options(), member);
    ASSERT_TRUE(lock->locked());
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] { results[i] = request(); });
    }
    // Every thread has looked the key up and now waits for the member's lock (with group
    // commit, the batches that hold them do).
    const bool queued = AwaitLockWaiters(f_.db(), f_.db().group_commit() ? 1 : kThreads);
    lock->Release();
    for (std::thread& t : threads) t.join();
    ASSERT_TRUE(queued) << "the requests did not queue on the member lock";

    int fresh = 0;
    for (int i = 0; i < kThreads; ++i) {
      EXPECT_TRUE(results[i].ok()) << "thread " << i << ": " << results[i].status();
      if (!results[i].ok()) continue;
      if (!results[i]->replayed) ++fresh;
      EXPECT_EQ(results[i]->points, points);
      EXPECT_EQ(results[i]->balance_after, balance_after);
    }
    EXPECT_EQ(fresh, 1);
    EXPECT_EQ(CountId(partner, txn_id), 1);
    EXPECT_EQ(f_.Balance(card_).balance, balance_after);
    f_.ExpectInvariants();
  }

  LedgerFixture f_;
  PartnerId grocer_ = 0;
  PartnerId gym_ = 0;
  std::string card_;
};

TEST_F(IdempotencyTest, EarnRetryReturnsOriginal) {
  auto first = f_.Earn(grocer_, card_, 5000, "earn-1");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->points, 250);
  EXPECT_EQ(first->balance_after, 250);
  EXPECT_EQ(first->base_points, 250);
  EXPECT_NE(first->expires_at, 0);
  // Later postings change the balance; the replay still answers as of the original.
  ASSERT_TRUE(f_.Redeem(gym_, card_, 40).ok());
  const Rows before = Snapshot(f_.db());

  auto again = f_.Earn(grocer_, card_, 5000, "earn-1");
  ASSERT_TRUE(again.ok()) << again.status();
  ExpectSameResult(*first, *again);
  EXPECT_EQ(again->points, 250);
  EXPECT_EQ(again->balance_after, 250);
  EXPECT_EQ(again->base_points, 250);
  EXPECT_EQ(again->expires_at, first->expires_at);
  EXPECT_EQ(Snapshot(f_.db()), before);
  EXPECT_EQ(f_.Balance(card_).balance, 210);
  EXPECT_EQ(CountId(grocer_, "earn-1"), 1);
  f_.ExpectInvariants();
}

TEST_F(IdempotencyTest, StatedPointsEarnRetry) {
  auto first = f_.EarnPoints(grocer_, card_, 77, "earn-stated");
  ASSERT_TRUE(first.ok()) << first.status();
  const Rows before = Snapshot(f_.db());
  auto again = f_.EarnPoints(grocer_, card_, 77, "earn-stated");
  ASSERT_TRUE(again.ok()) << again.status();
  ExpectSameResult(*first, *again);
  EXPECT_EQ(again->points, 77);
  EXPECT_EQ(Snapshot(f_.db()), before);
  EXPECT_EQ(f_.Balance(card_).balance, 77);
}

TEST_F(IdempotencyTest, RedeemRetryReturnsOriginal) {
  ASSERT_TRUE(f_.EarnPoints(grocer_, card_, 1000).ok());
  auto first = f_.Redeem(gym_, card_, 300, "redeem-1");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->points, 300);
  EXPECT_EQ(first->balance_after, 700);
  EXPECT_EQ(first->available_after, 700);
  const Rows before = Snapshot(f_.db());

  auto again = f_.Redeem(gym_, card_, 300, "redeem-1");
  ASSERT_TRUE(again.ok()) << again.status();
  ExpectSameResult(*first, *again);
  EXPECT_EQ(again->balance_after, 700);
  EXPECT_EQ(Snapshot(f_.db()), before);
  EXPECT_EQ(f_.Balance(card_).balance, 700);
  f_.ExpectInvariants();
}

TEST_F(IdempotencyTest, AuthorizeCaptureVoidRetries) {
  ASSERT_TRUE(f_.EarnPoints(grocer_, card_, 1000).ok());

  // Authorize.
  auto auth = f_.Authorize(gym_, card_, 200, "auth-1");
  ASSERT_TRUE(auth.ok()) << auth.status();
  EXPECT_EQ(auth->points, 200);
  EXPECT_EQ(auth->balance_after, 1000);
  EXPECT_EQ(auth->available_after, 800);
  EXPECT_EQ(auth->hold_expires_at, LedgerFixture::kStart + 600'000'000);
  Rows before = Snapshot(f_.db());
  auto auth_again = f_.Authorize(gym_, card_, 200, "auth-1");
  ASSERT_TRUE(auth_again.ok()) << auth_again.status();
  ExpectSameResult(*auth, *auth_again);
  EXPECT_EQ(auth_again->hold_expires_at, auth->hold_expires_at);
  EXPECT_EQ(Snapshot(f_.db()), before);
  EXPECT_EQ(f_.Balance(card_).held, 200);  // one hold, not two
  EXPECT_EQ(f_.Balance(card_).available, 800);

  // Capture part of it.
  auto cap = f_.Capture(gym_, "auth-1", 150, "cap-1");
  ASSERT_TRUE(cap.ok()) << cap.status();
  EXPECT_EQ(cap->points, 150);
  EXPECT_EQ(cap->balance_after, 850);
  EXPECT_EQ(cap->available_after, 850);
  before = Snapshot(f_.db());
  auto cap_again = f_.Capture(gym_, "auth-1", 150, "cap-1");
  ASSERT_TRUE(cap_again.ok()) << cap_again.status();
  ExpectSameResult(*cap, *cap_again);
  EXPECT_EQ(Snapshot(f_.db()), before);
  EXPECT_EQ(f_.Balance(card_).balance, 850);

  // Void a second authorization.
  auto auth2 = f_.Authorize(gym_, card_, 100, "auth-2");
  ASSERT_TRUE(auth2.ok()) << auth2.status();
  EXPECT_EQ(auth2->available_after, 750);
  auto voided = f_.Void(gym_, "auth-2", "void-2");
  ASSERT_TRUE(voided.ok()) << voided.status();
  EXPECT_EQ(voided->points, 100);  // released
  EXPECT_EQ(voided->balance_after, 850);
  EXPECT_EQ(voided->available_after, 850);
  before = Snapshot(f_.db());
  auto void_again = f_.Void(gym_, "auth-2", "void-2");
  ASSERT_TRUE(void_again.ok()) << void_again.status();
  ExpectSameResult(*voided, *void_again);
  EXPECT_EQ(Snapshot(f_.db()), before);
  EXPECT_EQ(f_.Balance(card_).available, 850);
  f_.ExpectInvariants();
}

TEST_F(IdempotencyTest, ReverseRetries) {
  ASSERT_TRUE(f_.EarnPoints(grocer_, card_, 100, "earn-a").ok());
  ASSERT_TRUE(f_.EarnPoints(grocer_, card_, 400, "earn-b").ok());
  ASSERT_TRUE(f_.Redeem(gym_, card_, 450, "redeem-a").ok());  // balance 50

  // Earn reversal of 400 with 50 left: 50 from lots, 350 becomes debt.
  auto rev = f_.Reverse(grocer_, "earn-b", 0, "rev-earn");
  ASSERT_TRUE(rev.ok()) << rev.status();
  EXPECT_EQ(rev->points, 400);
  EXPECT_EQ(rev->debt_created, 350);
  EXPECT_EQ(rev->balance_after, -350);
  Rows before = Snapshot(f_.db());
  auto rev_again = f_.Reverse(grocer_, "earn-b", 0, "rev-earn");
  ASSERT_TRUE(rev_again.ok()) << rev_again.status();
  ExpectSameResult(*rev, *rev_again);
  EXPECT_EQ(rev_again->debt_created, 350);
  EXPECT_EQ(Snapshot(f_.db()), before);
  EXPECT_EQ(f_.Balance(card_).balance, -350);
  EXPECT_EQ(f_.Balance(card_).debt, 350);

  // Redemption reversal (partial).
  auto rr = f_.Reverse(gym_, "redeem-a", 200, "rev-redeem");
  ASSERT_TRUE(rr.ok()) << rr.status();
  EXPECT_EQ(rr->points, 200);
  EXPECT_EQ(rr->balance_after, -150);
  before = Snapshot(f_.db());
  auto rr_again = f_.Reverse(gym_, "redeem-a", 200, "rev-redeem");
  ASSERT_TRUE(rr_again.ok()) << rr_again.status();
  ExpectSameResult(*rr, *rr_again);
  EXPECT_EQ(Snapshot(f_.db()), before);
  EXPECT_EQ(f_.Balance(card_).balance, -150);
  // The replay did not count twice against what is left to reverse: 250 remain.
  EXPECT_EQ(f_.db().QueryInt("SELECT reversed_points FROM txns WHERE partner_txn_id = 'redeem-a'"),
            200);
  auto rest = f_.Reverse(gym_, "redeem-a", 0, "rev-redeem-rest");
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(rest->points, 250);
  f_.ExpectInvariants();
}

TEST_F(IdempotencyTest, EnrollRetryReturnsSameCard) {
  PartnerRequest req = MakeRequest(grocer_, "enroll-1");
  auto first = f_.ledger().EnrollMember(req);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->card_number.empty());
  const Rows before = Snapshot(f_.db());
  auto again = f_.ledger().EnrollMember(req);
  ASSERT_TRUE(again.ok()) << again.status();
  ExpectSameResult(*first, *again);
  EXPECT_EQ(again->card_number, first->card_number);
  EXPECT_EQ(Snapshot(f_.db()), before);
  // The same id at another partner is another enrolment.
  req.partner_id = gym_;
  auto other = f_.ledger().EnrollMember(req);
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_FALSE(other->replayed);
  EXPECT_NE(other->card_number, first->card_number);
  EXPECT_NE(other->member_id, first->member_id);
}

TEST_F(IdempotencyTest, AdjustRetries) {
  auto credit = f_.Adjust(card_, 500, "adj-1");
  ASSERT_TRUE(credit.ok()) << credit.status();
  EXPECT_EQ(credit->points, 500);
  EXPECT_EQ(credit->balance_after, 500);
  Rows before = Snapshot(f_.db());
  auto credit_again = f_.Adjust(card_, 500, "adj-1");
  ASSERT_TRUE(credit_again.ok()) << credit_again.status();
  ExpectSameResult(*credit, *credit_again);
  EXPECT_EQ(Snapshot(f_.db()), before);  // audit_log included

  auto debit = f_.Adjust(card_, -120, "adj-2");
  ASSERT_TRUE(debit.ok()) << debit.status();
  EXPECT_EQ(debit->points, -120);
  EXPECT_EQ(debit->balance_after, 380);
  before = Snapshot(f_.db());
  auto debit_again = f_.Adjust(card_, -120, "adj-2");
  ASSERT_TRUE(debit_again.ok()) << debit_again.status();
  ExpectSameResult(*debit, *debit_again);
  EXPECT_EQ(Snapshot(f_.db()), before);
  EXPECT_EQ(f_.Balance(card_).balance, 380);

  // Adjustment ids are the operator's own key space: a partner may use "adj-1" too.
  auto partner_earn = f_.EarnPoints(grocer_, card_, 10, "adj-1");
  ASSERT_TRUE(partner_earn.ok()) << partner_earn.status();
  EXPECT_FALSE(partner_earn->replayed);
  f_.ExpectInvariants();
}

// occurred_at is content: two stated times must agree. An original sent without a time
// (the hub took its clock) is the same request as a resend that states one: an SDK that
// queued the sale after an attempt whose answer it never saw.
TEST_F(IdempotencyTest, StatedTimesMustAgreeAndAnOriginalWithoutOneMatchesAny) {
  const Micros t = LedgerFixture::kStart - 60'000'000;
  const Points before = f_.Balance(card_).balance;
  EarnParams timed = MakeEarn(grocer_, card_, 5000, "pos-timed");
  timed.req.occurred_at = t;
  const Posting original = Ok(f_.ledger().Earn(timed));
  EarnParams other_time = timed;
  other_time.req.occurred_at = t - 1;
  ExpectAlreadyExists(f_.ledger().Earn(other_time).status(), "pos-timed",
                      absl::StrCat("occurred_at_micros: ", t, " sent before, ", t - 1, " now"));
  ExpectAlreadyExists(f_.Earn(grocer_, card_, 5000, "pos-timed").status(), "pos-timed",
                      absl::StrCat("occurred_at_micros: ", t, " sent before, none now"));
  EXPECT_TRUE(Ok(f_.ledger().Earn(timed)).replayed);

  const Posting untimed = Ok(f_.Earn(grocer_, card_, 5000, "pos-untimed"));
  EXPECT_TRUE(Ok(f_.Earn(grocer_, card_, 5000, "pos-untimed")).replayed);  // the CLI run twice
  EarnParams queued = MakeEarn(grocer_, card_, 5000, "pos-untimed");
  queued.req.occurred_at = t;
  const Posting drained = Ok(f_.ledger().Earn(queued));
  EXPECT_TRUE(drained.replayed);
  EXPECT_EQ(drained.txn_id, untimed.txn_id);
  EXPECT_EQ(f_.Balance(card_).balance, before + original.points + untimed.points);
  f_.ExpectInvariants();
}

TEST_F(IdempotencyTest, SameIdDifferentContentIsAlreadyExists) {
  std::string other_card = f_.AddMember(grocer_);
  ASSERT_TRUE(f_.Earn(grocer_, card_, 5000, "pos-17").ok());
  ASSERT_TRUE(f_.Redeem(grocer_, card_, 20, "pos-18").ok());
  ASSERT_TRUE(f_.Adjust(card_, 30, "adj-9").ok());
  const Rows before = Snapshot(f_.db());

  // Different amount: the message names the field, before and now.
  ExpectAlreadyExists(f_.Earn(grocer_, card_, 5001, "pos-17").status(), "pos-17",
                      "amount.amount_minor: 5000 sent before, 5001 now");
  // Different card.
  ExpectAlreadyExists(f_.Earn(grocer_, other_card, 5000, "pos-17").status(), "pos-17",
                      "card_number: a card of another member than before");
  // Stated points instead of the amount.
  ExpectAlreadyExists(f_.EarnPoints(grocer_, card_, 250, "pos-17").status(), "pos-17");
  // Another kind of request with an earn's id.
  ExpectAlreadyExists(f_.Redeem(grocer_, card_, 1, "pos-17").status(), "pos-17",
                      "kind: earn before, redeem now");
  ExpectAlreadyExists(f_.Authorize(grocer_, card_, 1, "pos-17").status(), "pos-17");
  ExpectAlreadyExists(f_.ledger().EnrollMember(MakeRequest(grocer_, "pos-17")).status(), "pos-17");
  // Different redemption points / card.
  ExpectAlreadyExists(f_.Redeem(grocer_, card_, 21, "pos-18").status(), "pos-18");
  ExpectAlreadyExists(f_.Redeem(grocer_, other_card, 20, "pos-18").status(), "pos-18");
  // Reversal content differs from an earlier reversal with the id.
  ExpectAlreadyExists(f_.Reverse(grocer_, "pos-17", 0, "pos-18").status(), "pos-18");
  // Different adjustment points / reason.
  ExpectAlreadyExists(f_.Adjust(card_, 31, "adj-9").status(), "adj-9");
  AdjustParams reason = MakeAdjust(card_, 30, "adj-9");
  reason.reason = "other reason";
  ExpectAlreadyExists(f_.ledger().AdjustPoints(reason).status(), "adj-9");

  EXPECT_EQ(Snapshot(f_.db()), before);
  EXPECT_EQ(f_.Balance(card_).balance, 250 - 20 + 30);
  EXPECT_EQ(f_.Balance(other_card).balance, 0);
  f_.ExpectInvariants();
}

// The operator's API has no partner_txn_id: its key is adjustment_id, and errors name
// the field as the API spells it (docs/api.md "Errors carry the field in the message").
TEST_F(IdempotencyTest, AdjustMismatchNamesAdjustmentId) {
  ASSERT_TRUE(f_.Adjust(card_, 30, "adj-7").ok());
  auto r = f_.Adjust(card_, 40, "adj-7");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kAlreadyExists) << r.status();
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("adj-7"));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("adjustment_id")) << r.status();
}

TEST_F(IdempotencyTest, CaptureAndReverseContentMismatch) {
  ASSERT_TRUE(f_.EarnPoints(grocer_, card_, 1000, "earn-x").ok());
  ASSERT_TRUE(f_.Authorize(gym_, card_, 300, "auth-x").ok());
  ASSERT_TRUE(f_.Authorize(gym_, card_, 100, "auth-y").ok());
  ASSERT_TRUE(f_.Capture(gym_, "auth-x", 200, "cap-x").ok());
  ASSERT_TRUE(f_.Reverse(grocer_, "earn-x", 10, "rev-x").ok());
  const Rows before = Snapshot(f_.db());

  ExpectAlreadyExists(f_.Capture(gym_, "auth-x", 250, "cap-x").status(), "cap-x");
  ExpectAlreadyExists(f_.Capture(gym_, "auth-y", 200, "cap-x").status(), "cap-x");
  ExpectAlreadyExists(f_.Void(gym_, "auth-y", "cap-x").status(), "cap-x");
  ExpectAlreadyExists(f_.Reverse(grocer_, "earn-x", 11, "rev-x").status(), "rev-x");
  EXPECT_EQ(Snapshot(f_.db()), before);
  EXPECT_EQ(f_.Balance(card_).balance, 1000 - 200 - 10);
  EXPECT_EQ(f_.Balance(card_).held, 100);
}

TEST_F(IdempotencyTest, SameIdAtTwoPartnersIsIndependent) {
  auto a = f_.Earn(grocer_, card_, 5000, "receipt-1");  // 5% -> 250
  ASSERT_TRUE(a.ok()) << a.status();
  auto b = f_.Earn(gym_, card_, 5000, "receipt-1");  // 3% -> 150
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_FALSE(a->replayed);
  EXPECT_FALSE(b->replayed);
  EXPECT_NE(a->txn_id, b->txn_id);
  EXPECT_EQ(a->points, 250);
  EXPECT_EQ(b->points, 150);
  EXPECT_EQ(b->balance_after, 400);
  EXPECT_EQ(CountId(grocer_, "receipt-1"), 1);
  EXPECT_EQ(CountId(gym_, "receipt-1"), 1);
  EXPECT_EQ(f_.db().QueryInt("SELECT COUNT(*) FROM lots"), 2);

  // Each replays its own result.
  auto a2 = f_.Earn(grocer_, card_, 5000, "receipt-1");
  ASSERT_TRUE(a2.ok()) << a2.status();
  ExpectSameResult(*a, *a2);
  auto b2 = f_.Earn(gym_, card_, 5000, "receipt-1");
  ASSERT_TRUE(b2.ok()) << b2.status();
  ExpectSameResult(*b, *b2);

  // Different kinds under one id at two partners: also independent.
  auto r = f_.Redeem(grocer_, card_, 50, "till-9");
  ASSERT_TRUE(r.ok()) << r.status();
  auto e = f_.EarnPoints(gym_, card_, 5, "till-9");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(f_.Balance(card_).balance, 400 - 50 + 5);
  f_.ExpectInvariants();
}

TEST_F(IdempotencyTest, FailedRequestDoesNotBurnTheId) {
  ASSERT_TRUE(f_.EarnPoints(grocer_, card_, 100).ok());
  const Rows before = Snapshot(f_.db());

  auto fail = f_.Redeem(gym_, card_, 500, "redeem-big");
  EXPECT_EQ(fail.status().code(), absl::StatusCode::kFailedPrecondition) << fail.status();
  EXPECT_EQ(Snapshot(f_.db()), before);
  EXPECT_EQ(CountId(gym_, "redeem-big"), 0);
  // Retrying the failing request fails the same way (no stored failure is replayed).
  auto fail2 = f_.Redeem(gym_, card_, 500, "redeem-big");
  EXPECT_EQ(fail2.status().code(), absl::StatusCode::kFailedPrecondition) << fail2.status();

  ASSERT_TRUE(f_.EarnPoints(grocer_, card_, 450).ok());
  auto ok = f_.Redeem(gym_, card_, 500, "redeem-big");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_FALSE(ok->replayed);
  EXPECT_EQ(ok->points, 500);
  EXPECT_EQ(ok->balance_after, 50);
  EXPECT_EQ(CountId(gym_, "redeem-big"), 1);

  // Same for a failed authorization, a failed admin debit and a failed reversal.
  auto auth_fail = f_.Authorize(gym_, card_, 60, "auth-big");
  EXPECT_EQ(auth_fail.status().code(), absl::StatusCode::kFailedPrecondition);
  auto adj_fail = f_.Adjust(card_, -60, "adj-big");
  EXPECT_EQ(adj_fail.status().code(), absl::StatusCode::kFailedPrecondition);
  auto rev_fail = f_.Reverse(gym_, "redeem-big", 501, "rev-big");
  EXPECT_EQ(rev_fail.status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(f_.EarnPoints(grocer_, card_, 10).ok());  // 60 now
  auto auth_ok = f_.Authorize(gym_, card_, 60, "auth-big");
  ASSERT_TRUE(auth_ok.ok()) << auth_ok.status();
  EXPECT_FALSE(auth_ok->replayed);
  ASSERT_TRUE(f_.Void(gym_, "auth-big", "void-big").ok());
  auto adj_ok = f_.Adjust(card_, -60, "adj-big");
  ASSERT_TRUE(adj_ok.ok()) << adj_ok.status();
  EXPECT_FALSE(adj_ok->replayed);
  EXPECT_EQ(adj_ok->balance_after, 0);
  auto rev_ok = f_.Reverse(gym_, "redeem-big", 500, "rev-big");
  ASSERT_TRUE(rev_ok.ok()) << rev_ok.status();
  EXPECT_FALSE(rev_ok->replayed);
  EXPECT_EQ(rev_ok->balance_after, 500);
  f_.ExpectInvariants();
}

TEST_F(IdempotencyTest, InvalidRequestDoesNotBurnTheId) {
  // An unknown card fails NOT_FOUND and writes nothing.
  EarnParams e = MakeEarn(grocer_, card_, 5000, "earn-late");
  e.card_number = "4111111111111111";
  auto fail = f_.ledger().Earn(e);
  EXPECT_EQ(fail.status().code(), absl::StatusCode::kNotFound) << fail.status();
  EXPECT_EQ(CountId(grocer_, "earn-late"), 0);
  auto ok = f_.Earn(grocer_, card_, 5000, "earn-late");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_FALSE(ok->replayed);
  EXPECT_EQ(ok->points, 250);
}

TEST_F(IdempotencyTest, ConcurrentRetriesPostOnce) {
  constexpr int kThreads = 32;
  const Rows before = Snapshot(f_.db());
  std::vector<absl::StatusOr<Posting>> results(kThreads, absl::UnknownError("not run"));
  RunTogether(kThreads, [&](int i, StartGate& gate) {
    EarnParams e = MakeEarn(grocer_, card_, 5000, "till-3.receipt-42");
    gate.Wait();
    results[i] = f_.ledger().Earn(e);
  });

  int fresh = 0;
  TxnId txn_id = 0;
  for (int i = 0; i < kThreads; ++i) {
    ASSERT_TRUE(results[i].ok()) << "thread " << i << ": " << results[i].status();
    if (txn_id == 0) txn_id = results[i]->txn_id;
    EXPECT_EQ(results[i]->txn_id, txn_id) << "thread " << i;
    EXPECT_EQ(results[i]->points, 250) << "thread " << i;
    EXPECT_EQ(results[i]->balance_after, 250) << "thread " << i;
    if (!results[i]->replayed) ++fresh;
  }
  EXPECT_EQ(fresh, 1);  // exactly one thread posted, the others got the replay
  const Rows after = Snapshot(f_.db());
  EXPECT_EQ(after.txns, before.txns + 1);
  EXPECT_EQ(after.transfers, before.transfers + 1);
  EXPECT_EQ(after.lots, before.lots + 1);
  EXPECT_EQ(CountId(grocer_, "till-3.receipt-42"), 1);
  EXPECT_EQ(f_.db().QueryInt("SELECT SUM(points) FROM transfers"), 250);
  EXPECT_EQ(f_.Balance(card_).balance, 250);
  f_.ExpectInvariants();
}

TEST_F(IdempotencyTest, ConcurrentRetriesOfRedeemAndEnrollPostOnce) {
  ASSERT_TRUE(f_.EarnPoints(grocer_, card_, 1000).ok());
  constexpr int kThreads = 16;
  std::vector<absl::StatusOr<Posting>> redeems(kThreads, absl::UnknownError("not run"));
  std::vector<absl::StatusOr<Posting>> enrolls(kThreads, absl::UnknownError("not run"));
  RunTogether(kThreads, [&](int i, StartGate& gate) {
    RedeemParams r = MakeRedeem(gym_, card_, 300, "redeem-once");
    PartnerRequest enroll = MakeRequest(gym_, "enroll-once");
    gate.Wait();
    if (i % 2 == 0) {
      redeems[i] = f_.ledger().Redeem(r);
      enrolls[i] = f_.ledger().EnrollMember(enroll);
    } else {
      enrolls[i] = f_.ledger().EnrollMember(enroll);
      redeems[i] = f_.ledger().Redeem(r);
    }
  });
  int fresh_redeems = 0, fresh_enrolls = 0;
  for (int i = 0; i < kThreads; ++i) {
    ASSERT_TRUE(redeems[i].ok()) << "thread " << i << ": " << redeems[i].status();
    ASSERT_TRUE(enrolls[i].ok()) << "thread " << i << ": " << enrolls[i].status();
    EXPECT_EQ(redeems[i]->txn_id, redeems[0]->txn_id);
    EXPECT_EQ(redeems[i]->balance_after, 700);
    EXPECT_EQ(enrolls[i]->txn_id, enrolls[0]->txn_id);
    EXPECT_EQ(enrolls[i]->card_number, enrolls[0]->card_number);
    fresh_redeems += redeems[i]->replayed ? 0 : 1;
    fresh_enrolls += enrolls[i]->replayed ? 0 : 1;
  }
  EXPECT_EQ(fresh_redeems, 1);
  EXPECT_EQ(fresh_enrolls, 1);
  EXPECT_EQ(f_.Balance(card_).balance, 700);
  // The setup enrolled one member; the concurrent enrolment added exactly one more.
  EXPECT_EQ(f_.db().QueryInt("SELECT COUNT(*) FROM members"), 2);
  EXPECT_EQ(f_.db().QueryInt("SELECT COUNT(*) FROM cards"), 2);
  f_.ExpectInvariants();
}

// Retries of one redemption that all read "key not used yet" before the original
// commits: each must still answer with the original result (docs/ledger.md: a retry
// with the same id and content returns the stored result), not with the
// insufficient-points error the original's own effect would cause.
TEST_F(IdempotencyTest, QueuedRetriesOfRedeemReturnTheOriginal) {
  ASSERT_TRUE(f_.EarnPoints(grocer_, card_, 1000).ok());
  ExpectQueuedRetriesReturnTheOriginal([&] { return f_.Redeem(gym_, card_, 600, "redeem-600"); },
                                       gym_, "redeem-600",
                                       /*points=*/600, /*balance_after=*/400);
}

// The same for a full reversal: the retries must not see "0 not yet reversed".
TEST_F(IdempotencyTest, QueuedRetriesOfReverseReturnTheOriginal) {
  ASSERT_TRUE(f_.EarnPoints(grocer_, card_, 400, "earn-r").ok());
  ExpectQueuedRetriesReturnTheOriginal([&] { return f_.Reverse(grocer_, "earn-r", 0, "return-r"); },
                                       grocer_, "return-r",
                                       /*points=*/400, /*balance_after=*/0);
}

// And for a capture: the retries must not see "the authorization is already captured".
TEST_F(IdempotencyTest, QueuedRetriesOfCaptureReturnTheOriginal) {
  ASSERT_TRUE(f_.EarnPoints(grocer_, card_, 1000).ok());
  ASSERT_TRUE(f_.Authorize(gym_, card_, 300, "auth-q").ok());
  ExpectQueuedRetriesReturnTheOriginal([&] { return f_.Capture(gym_, "auth-q", 0, "cap-q"); }, gym_,
                                       "cap-q", /*points=*/300, /*balance_after=*/700);
}

}  // namespace
}  // namespace loyalty::testing

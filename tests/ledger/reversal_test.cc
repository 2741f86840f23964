// Reversals (docs/ledger.md "Reversals", DESIGN.md section 5): an earn reversal takes the
// earn's own lot, then other lots (cover), then creates a debt; later lots repay debts
// first; a redemption reversal refills the consumed lots in reverse order, keeping
// their expiry. Settlement reads the consumptions, so the tests check them row by row.
#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_db.h"
#include "tests/support/test_util.h"

namespace loyalty::testing {
namespace {

// A member, two funders (grocer, fuel) and a redeemer (cinema).
class ReversalTest : public ::testing::Test {
 protected:
  Points ReversedPoints(const Posting& original) {
    return f.Query(absl::StrCat("SELECT reversed_points FROM txns WHERE id = ", original.txn_id));
  }
  // Points of the consumptions of one posting matching `where` (0 when none).
  Points Consumed(const Posting& p, const std::string& where) {
    return f.Query(
        absl::StrCat("SELECT CAST(COALESCE(SUM(points), 0) AS SIGNED) FROM consumptions "
                     "WHERE txn_id = ",
                     p.txn_id, " AND ", where));
  }
  void ExpectFigures(Points balance, Points held, Points available, Points debt) {
    BalanceView v = f.Balance(card);
    EXPECT_EQ(v.balance, balance);
    EXPECT_EQ(v.held, held);
    EXPECT_EQ(v.available, available);
    EXPECT_EQ(v.debt, debt);
  }

  LedgerFixture f;
  PartnerId grocer = f.AddPartner("grocery", 500);
  PartnerId fuel = f.AddPartner("fuel");
  PartnerId cinema = f.AddPartner("cinema");
  std::string card = f.AddMember(grocer);
};

// --- Earn reversals ---------------------------------------------------------------------

TEST_F(ReversalTest, FullEarnReversalCancelsTheLot) {
  Posting e = Ok(f.Earn(grocer, card, 5000, "e-1"));  // 250 points
  Posting r = Ok(f.Reverse(grocer, "e-1", 0));        // 0 = all not yet reversed
  EXPECT_EQ(r.points, 250);
  EXPECT_EQ(r.balance_after, 0);
  EXPECT_EQ(r.debt_created, 0);
  EXPECT_EQ(f.Remaining(f.LotOf(e)), 0);
  EXPECT_EQ(ReversedPoints(e), 250);
  EXPECT_EQ(Consumed(r, absl::StrCat("kind = 'reverse_own' AND funder_id = ", grocer,
                                     " AND redeemer_id = ", grocer)),
            250);
  // The issuance is cancelled in the journal.
  EXPECT_EQ(f.AccountNet(absl::StrCat("partner_issued:", grocer)), 0);
  ExpectError(f.Reverse(grocer, "e-1", 0).status(), absl::StatusCode::kFailedPrecondition,
              "points");
  ExpectFigures(0, 0, 0, 0);
  f.ExpectInvariants();
}

TEST_F(ReversalTest, PartialEarnReversalsNeverExceedWhatRemains) {
  Posting e = Ok(f.Earn(grocer, card, 5000, "e-1"));  // 250 points
  EXPECT_EQ(Ok(f.Reverse(grocer, "e-1", 100)).balance_after, 150);
  EXPECT_EQ(f.Remaining(f.LotOf(e)), 150);
  EXPECT_EQ(ReversedPoints(e), 100);
  ExpectError(f.Reverse(grocer, "e-1", 151).status(), absl::StatusCode::kFailedPrecondition,
              "points");
  EXPECT_EQ(ReversedPoints(e), 100);
  EXPECT_EQ(Ok(f.Reverse(grocer, "e-1", 150)).balance_after, 0);
  ExpectError(f.Reverse(grocer, "e-1", 1).status(), absl::StatusCode::kFailedPrecondition,
              "points");
  EXPECT_EQ(ReversedPoints(e), 250);
  ExpectFigures(0, 0, 0, 0);
  f.ExpectInvariants();
}

TEST_F(ReversalTest, EarnReversalTakesCoverFromOtherLotsThenCreatesDebt) {
  Posting eg = Ok(f.EarnPoints(grocer, card, 100, "e-g"));
  f.clock().Advance(kSecond);
  Posting ef = Ok(f.EarnPoints(fuel, card, 50));
  Ok(f.Redeem(cinema, card, 80));  // from the grocer lot: 20 left there

  Posting r = Ok(f.Reverse(grocer, "e-g", 0));
  EXPECT_EQ(r.points, 100);
  EXPECT_EQ(r.debt_created, 30);  // 100 - 20 own - 50 cover
  EXPECT_EQ(r.balance_after, -30);
  EXPECT_EQ(Consumed(r, absl::StrCat("kind = 'reverse_own' AND lot_id = ", f.LotOf(eg),
                                     " AND redeemer_id = ", grocer)),
            20);
  // Cover: fuel-funded points go back to the grocer, the funder of the reversed earn.
  EXPECT_EQ(Consumed(r, absl::StrCat("kind = 'reverse_cover' AND lot_id = ", f.LotOf(ef),
                                     " AND funder_id = ", fuel, " AND redeemer_id = ", grocer)),
            50);
  EXPECT_EQ(f.Remaining(f.LotOf(ef)), 0);
  EXPECT_EQ(f.Query(absl::StrCat("SELECT outstanding FROM debts WHERE funder_id = ", grocer,
                                 " AND txn_id = ", r.txn_id)),
            30);
  ExpectFigures(/*balance=*/-30, /*held=*/0, /*available=*/-30, /*debt=*/30);
  // The full reversed points go back to the grocer's issued account, debt included.
  EXPECT_EQ(f.AccountNet(absl::StrCat("partner_issued:", grocer)), 0);
  f.ExpectInvariants();
}

TEST_F(ReversalTest, LaterEarnsRepayTheDebtFirst) {
  PartnerId pharmacy = f.AddPartner("pharmacy");
  Ok(f.EarnPoints(grocer, card, 100, "e-g"));
  Ok(f.Redeem(cinema, card, 70));
  EXPECT_EQ(Ok(f.Reverse(grocer, "e-g", 0)).debt_created, 70);

  // 10 points: all repay the debt; the balance still rises by 10.
  Posting small = Ok(f.EarnPoints(pharmacy, card, 10));
  EXPECT_EQ(small.points, 10);
  EXPECT_EQ(small.balance_after, -60);
  EXPECT_EQ(f.Remaining(f.LotOf(small)), 0);
  ExpectFigures(-60, 0, -60, 60);

  // 100 points: 60 repay the rest of the debt, 40 stay in the new lot.
  Posting big = Ok(f.EarnPoints(pharmacy, card, 100));
  EXPECT_EQ(big.balance_after, 40);
  EXPECT_EQ(f.Remaining(f.LotOf(big)), 40);
  EXPECT_EQ(Consumed(big, absl::StrCat("kind = 'debt_repay' AND funder_id = ", pharmacy,
                                       " AND redeemer_id = ", grocer)),
            60);
  EXPECT_EQ(f.Query(absl::StrCat("SELECT CAST(SUM(outstanding) AS SIGNED) FROM debts")), 0);
  ExpectFigures(40, 0, 40, 0);
  f.ExpectInvariants();
}

TEST_F(ReversalTest, DebtsAreRepaidOldestFirstByAnyLaterLot) {
  PartnerId pharmacy = f.AddPartner("pharmacy");
  Ok(f.EarnPoints(grocer, card, 30, "e-g"));
  Ok(f.EarnPoints(fuel, card, 20, "e-f"));
  Ok(f.Redeem(cinema, card, 50));
  EXPECT_EQ(Ok(f.Reverse(grocer, "e-g", 0)).debt_created, 30);  // older debt
  EXPECT_EQ(Ok(f.Reverse(fuel, "e-f", 0)).debt_created, 20);
  ExpectFigures(-50, 0, -50, 50);

  Posting e = Ok(f.EarnPoints(pharmacy, card, 40));
  EXPECT_EQ(Consumed(e, absl::StrCat("kind = 'debt_repay' AND redeemer_id = ", grocer)), 30);
  EXPECT_EQ(Consumed(e, absl::StrCat("kind = 'debt_repay' AND redeemer_id = ", fuel)), 10);
  ExpectFigures(-10, 0, -10, 10);

  // An operator credit is a later lot too: it settles the rest with the fuel partner.
  Posting credit = Ok(f.Adjust(card, 10, "adj-1"));
  EXPECT_EQ(Consumed(credit, absl::StrCat("kind = 'debt_repay' AND funder_id = 0 AND "
                                          "redeemer_id = ",
                                          fuel)),
            10);
  ExpectFigures(0, 0, 0, 0);
  f.ExpectInvariants();
}

TEST_F(ReversalTest, OnlyAnEarnReversalMakesTheBalanceNegative) {
  ExpectError(f.Redeem(cinema, card, 1).status(), absl::StatusCode::kFailedPrecondition, "points");
  ExpectError(f.Authorize(cinema, card, 1, "a-1").status(), absl::StatusCode::kFailedPrecondition,
              "points");
  Ok(f.EarnPoints(grocer, card, 10, "e-1"));
  Ok(f.Redeem(cinema, card, 10));
  ExpectError(f.Redeem(cinema, card, 1).status(), absl::StatusCode::kFailedPrecondition, "points");
  EXPECT_EQ(f.Query("SELECT MIN(balance) FROM members"), 0);
  ExpectFigures(0, 0, 0, 0);

  EXPECT_EQ(Ok(f.Reverse(grocer, "e-1", 0)).debt_created, 10);
  ExpectFigures(-10, 0, -10, 10);
  // In debt, nothing can be redeemed.
  ExpectError(f.Redeem(cinema, card, 1).status(), absl::StatusCode::kFailedPrecondition, "points");
  f.ExpectInvariants();
}

// A bearer card's debt moves to the member as it is (docs "Choice"), which lowers the
// member's balance below what its active hold reserved. A capture is a redemption: it
// must not be what drives the balance negative ("a balance is negative only" through
// an earn reversal), so either the hold fits the new balance or the merge is refused.
TEST_F(ReversalTest, CaptureAfterMergingADebtNeverMakesTheBalanceNegative) {
  std::string bearer = Ok(f.ledger().IssueBearerCards("ops", 1)).at(0);
  Ok(f.EarnPoints(grocer, bearer, 50, "b-e"));
  Ok(f.Redeem(cinema, bearer, 50));
  EXPECT_EQ(Ok(f.Reverse(grocer, "b-e", 0)).debt_created, 50);  // bearer owes 50
  Ok(f.EarnPoints(fuel, card, 100));
  Ok(f.Authorize(cinema, card, 100, "a-1"));  // everything reserved

  (void)f.ledger().RegisterBearerCard(MakeRequest(fuel, "reg-1"), card,
                                      bearer);  // merged or refused
  BalanceView v = f.Balance(card);
  EXPECT_LE(v.held, std::max<Points>(v.balance, 0)) << "the hold promises owed points";

  (void)f.Capture(cinema, "a-1", 0, "c-1");
  EXPECT_GE(f.Balance(card).balance, 0) << "a capture made the balance negative";
  f.ExpectInvariants();
}

TEST_F(ReversalTest, EarnReversalShrinksAnActiveHold) {
  Ok(f.EarnPoints(grocer, card, 100, "e-1"));
  Ok(f.Authorize(cinema, card, 80, "a-1"));
  Posting r = Ok(f.Reverse(grocer, "e-1", 50));
  EXPECT_EQ(r.balance_after, 50);
  EXPECT_EQ(r.available_after, 0);
  ExpectFigures(50, 50, 0, 0);  // the hold gave up 30 points the lots no longer have
  EXPECT_EQ(Ok(f.Capture(cinema, "a-1", 0, "c-1")).points, 50);
  ExpectFigures(0, 0, 0, 0);
  f.ExpectInvariants();
}

TEST_F(ReversalTest, EarnReversalLeavesAHoldThatStillFits) {
  Ok(f.EarnPoints(grocer, card, 100, "e-1"));
  Ok(f.EarnPoints(fuel, card, 100));
  Ok(f.Authorize(cinema, card, 80, "a-1"));
  EXPECT_EQ(Ok(f.Reverse(grocer, "e-1", 0)).balance_after, 100);
  ExpectFigures(100, 80, 20, 0);  // the fuel points still cover the hold
  f.ExpectInvariants();
}

TEST_F(ReversalTest, EarnReversalIntoDebtVoidsTheHold) {
  Ok(f.EarnPoints(grocer, card, 100, "e-1"));
  Ok(f.Redeem(cinema, card, 60));
  Ok(f.Authorize(cinema, card, 40, "a-1"));
  Posting r = Ok(f.Reverse(grocer, "e-1", 0));
  EXPECT_EQ(r.debt_created, 60);
  ExpectFigures(-60, 0, -60, 60);
  ExpectError(f.Capture(cinema, "a-1", 0, "c-1").status(), absl::StatusCode::kFailedPrecondition,
              "authorization_partner_txn_id");
  f.ExpectInvariants();
}

// --- Redemption reversals ---------------------------------------------------------------

TEST_F(ReversalTest, RedemptionReversalRefillsLotsInReverseConsumptionOrder) {
  f.SetExpiryMonths(6);
  LotId first = f.LotOf(Ok(f.EarnPoints(grocer, card, 100)));  // expires 2026-07-15
  f.SetExpiryMonths(12);
  LotId second = f.LotOf(Ok(f.EarnPoints(fuel, card, 100)));  // expires 2027-01-15
  Ok(f.Redeem(cinema, card, 150, "r-1"));                     // first: 100, then second: 50
  EXPECT_EQ(f.Remaining(first), 0);
  EXPECT_EQ(f.Remaining(second), 50);

  // The last lot taken is refilled first.
  Posting a = Ok(f.Reverse(cinema, "r-1", 30));
  EXPECT_EQ(a.balance_after, 80);
  EXPECT_EQ(f.Remaining(second), 80);
  EXPECT_EQ(f.Remaining(first), 0);
  Posting b = Ok(f.Reverse(cinema, "r-1", 40));  // 20 fill the second, 20 the first
  EXPECT_EQ(b.balance_after, 120);
  EXPECT_EQ(f.Remaining(second), 100);
  EXPECT_EQ(f.Remaining(first), 20);
  EXPECT_EQ(Consumed(b, absl::StrCat("kind = 'restore' AND redeemer_id = ", cinema,
                                     " AND lot_id = ", first)),
            -20);
  // Restored points keep their lot's expiry.
  BalanceView v = f.Balance(card);
  EXPECT_EQ(v.next_expiry_at, Utc(2026, 7, 15, 10));
  EXPECT_EQ(v.next_expiry_points, 20);

  ExpectError(f.Reverse(cinema, "r-1", 81).status(), absl::StatusCode::kFailedPrecondition,
              "points");
  EXPECT_EQ(Ok(f.Reverse(cinema, "r-1", 0)).points, 80);
  EXPECT_EQ(f.Remaining(first), 100);
  ExpectError(f.Reverse(cinema, "r-1", 0).status(), absl::StatusCode::kFailedPrecondition,
              "points");
  EXPECT_EQ(f.AccountNet(absl::StrCat("partner_redeemed:", cinema)), 0);
  ExpectFigures(200, 0, 200, 0);
  f.ExpectInvariants();
}

TEST_F(ReversalTest, PointsRestoredIntoAnExpiredLotExpireAtOnce) {
  f.SetExpiryMonths(1);
  LotId short_lot = f.LotOf(Ok(f.EarnPoints(grocer, card, 100)));  // expires 2026-02-15 10:00
  f.SetExpiryMonths(12);
  Ok(f.EarnPoints(fuel, card, 100));
  Ok(f.Redeem(cinema, card, 50, "r-1"));  // from the short lot
  f.clock().Set(Utc(2026, 2, 15, 10, 0, 1));
  EXPECT_EQ(Ok(f.ledger().RunExpiry()).points_expired, 50);

  Posting reversal = Ok(f.Reverse(cinema, "r-1", 0));
  // Back into the lot they came from, keeping its (past) expiry, and so expired in the
  // same database transaction: the answer never counts a point past its expiry.
  EXPECT_EQ(reversal.points, 50);
  EXPECT_EQ(reversal.balance_after, 100);
  EXPECT_EQ(f.Remaining(short_lot), 0);
  EXPECT_EQ(Consumed(reversal, absl::StrCat("kind = 'restore' AND lot_id = ", short_lot)), -50);
  EXPECT_EQ(f.db().QueryInt(
                absl::StrCat("SELECT CAST(SUM(points) AS SIGNED) FROM consumptions WHERE kind = "
                             "'expire' AND lot_id = ",
                             short_lot)),
            100);
  EXPECT_EQ(f.AccountNet(absl::StrCat("partner_redeemed:", cinema)), 0);
  EXPECT_EQ(Ok(f.ledger().RunExpiry()).points_expired, 0);  // nothing left for the sweep
  EXPECT_EQ(f.AccountNet("breakage"), 100);
  ExpectFigures(100, 0, 100, 0);
  f.ExpectInvariants();
}

TEST_F(ReversalTest, ReversingACaptureRestoresItsPoints) {
  LotId lot = f.LotOf(Ok(f.EarnPoints(grocer, card, 100)));
  Ok(f.Authorize(cinema, card, 40, "a-1"));
  Ok(f.Capture(cinema, "a-1", 0, "c-1"));
  EXPECT_EQ(f.Remaining(lot), 60);
  Posting r = Ok(f.Reverse(cinema, "c-1", 0));
  EXPECT_EQ(r.points, 40);
  EXPECT_EQ(r.balance_after, 100);
  EXPECT_EQ(f.Remaining(lot), 100);
  EXPECT_EQ(f.AccountNet(absl::StrCat("partner_redeemed:", cinema)), 0);
  // The authorization itself moved no points: there is nothing to reverse.
  ExpectError(f.Reverse(cinema, "a-1", 0).status(), absl::StatusCode::kNotFound,
              "original_partner_txn_id");
  ExpectFigures(100, 0, 100, 0);
  f.ExpectInvariants();
}

TEST_F(ReversalTest, AnotherPartnersTransactionIsNotFound) {
  Posting e = Ok(f.EarnPoints(grocer, card, 100, "shared-id"));
  ExpectError(f.Reverse(fuel, "shared-id", 0).status(), absl::StatusCode::kNotFound,
              "original_partner_txn_id");
  EXPECT_EQ(ReversedPoints(e), 0);
  // Ids are per partner: the cinema's own "shared-id" is its redemption.
  Posting r = Ok(f.Redeem(cinema, card, 10, "shared-id"));
  EXPECT_EQ(Ok(f.Reverse(cinema, "shared-id", 0)).points, 10);
  EXPECT_EQ(ReversedPoints(r), 10);
  EXPECT_EQ(ReversedPoints(e), 0);
  ExpectFigures(100, 0, 100, 0);
  f.ExpectInvariants();
}

}  // namespace
}  // namespace loyalty::testing

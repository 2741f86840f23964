// Two-phase redemption (docs/ledger.md "Balances, holds and debt"): an authorization
// reserves points, not lots; capture takes lots at capture time; a hold times out after
// the program's 600 s; expiry shrinks holds so they never promise points the lots lack.
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_db.h"
#include "tests/support/test_util.h"

namespace loyalty::testing {
namespace {

// A member with points at the grocer and a cinema that redeems in two phases.
class HoldsTest : public ::testing::Test {
 protected:
  // The hold row of an authorization, by its partner_txn_id.
  std::string HoldWhere(const std::string& auth) {
    return absl::StrCat(
        "FROM holds h JOIN txns t ON t.id = h.auth_txn_id WHERE "
        "t.partner_txn_id = '",
        auth, "' AND t.kind = 'authorize'");
  }
  void ExpectFigures(Points balance, Points held, Points available) {
    BalanceView v = f.Balance(card);
    EXPECT_EQ(v.balance, balance);
    EXPECT_EQ(v.held, held);
    EXPECT_EQ(v.available, available);
  }
  // 100 grocer points expiring 2026-02-15 10:00 and `lasting` fuel points expiring a
  // year after the start, then the clock set to 09:55 that day: just before the expiry.
  void EarnExpiringAndLastingPoints(Points lasting) {
    PartnerId fuel = f.AddPartner("fuel");
    f.SetExpiryMonths(1);
    Ok(f.EarnPoints(grocer, card, 100));  // expires 2026-02-15 10:00
    f.SetExpiryMonths(12);
    Ok(f.EarnPoints(fuel, card, lasting));  // expires 2027-01-15 10:00
    f.clock().Set(Utc(2026, 2, 15, 9, 55));
  }

  LedgerFixture f;
  PartnerId grocer = f.AddPartner("grocery");
  PartnerId cinema = f.AddPartner("cinema");
  std::string card = f.AddMember(grocer);
};

TEST_F(HoldsTest, AuthorizeReservesPointsWithoutTakingThem) {
  Ok(f.EarnPoints(grocer, card, 100));
  Posting a = Ok(f.Authorize(cinema, card, 30, "a-1"));
  EXPECT_EQ(a.points, 30);
  EXPECT_EQ(a.balance_after, 100);
  EXPECT_EQ(a.available_after, 70);
  EXPECT_EQ(a.hold_expires_at, LedgerFixture::kStart + 600 * kSecond);
  ExpectFigures(/*balance=*/100, /*held=*/30, /*available=*/70);
  // No lot was touched and nothing moved in the journal.
  EXPECT_EQ(f.Rows("consumptions"), 0);
  EXPECT_EQ(f.Query(absl::StrCat("SELECT COUNT(*) FROM transfers WHERE txn_id = ", a.txn_id)), 0);
  // The reservation binds other redemptions.
  ExpectError(f.Redeem(grocer, card, 71).status(), absl::StatusCode::kFailedPrecondition, "points");
  f.ExpectInvariants();
}

TEST_F(HoldsTest, CaptureOfAllHeldPointsRedeemsThem) {
  Ok(f.EarnPoints(grocer, card, 100));
  Ok(f.Authorize(cinema, card, 30, "a-1"));
  Posting c = Ok(f.Capture(cinema, "a-1", 0));  // 0 = everything held
  EXPECT_EQ(c.points, 30);
  EXPECT_EQ(c.balance_after, 70);
  EXPECT_EQ(c.available_after, 70);
  ExpectFigures(70, 0, 70);
  EXPECT_EQ(f.Query(absl::StrCat(
                "SELECT CAST(SUM(points) AS SIGNED) FROM transfers WHERE txn_id = ", c.txn_id,
                " AND credit_account = 'partner_redeemed:", cinema, "'")),
            30);
  // A hold is captured once.
  ExpectError(f.Capture(cinema, "a-1", 0).status(), absl::StatusCode::kFailedPrecondition,
              "authorization_partner_txn_id");
  ExpectError(f.Void(cinema, "a-1").status(), absl::StatusCode::kFailedPrecondition,
              "authorization_partner_txn_id");
  ExpectFigures(70, 0, 70);
  f.ExpectInvariants();
}

TEST_F(HoldsTest, PartialCaptureReleasesTheRest) {
  Ok(f.EarnPoints(grocer, card, 100));
  Ok(f.Authorize(cinema, card, 30, "a-1"));
  Posting c = Ok(f.Capture(cinema, "a-1", 20));
  EXPECT_EQ(c.points, 20);
  EXPECT_EQ(c.balance_after, 80);
  EXPECT_EQ(c.available_after, 80);  // the 10 not captured are free again
  ExpectFigures(80, 0, 80);
  EXPECT_EQ(f.Query("SELECT COUNT(*) " + HoldWhere("a-1") + " AND h.status = 'captured'"), 1);
  f.ExpectInvariants();
}

TEST_F(HoldsTest, CaptureMoreThanHeldFailsAndKeepsTheHold) {
  Ok(f.EarnPoints(grocer, card, 100));
  Ok(f.Authorize(cinema, card, 30, "a-1"));
  const int64_t txns = f.Rows("txns");
  ExpectError(f.Capture(cinema, "a-1", 31).status(), absl::StatusCode::kFailedPrecondition,
              "points");
  EXPECT_EQ(f.Rows("txns"), txns);
  ExpectFigures(100, 30, 70);
  EXPECT_EQ(Ok(f.Capture(cinema, "a-1", 30)).points, 30);
  ExpectFigures(70, 0, 70);
  f.ExpectInvariants();
}

TEST_F(HoldsTest, VoidReleasesAndCaptureAfterVoidFails) {
  Ok(f.EarnPoints(grocer, card, 100));
  Ok(f.Authorize(cinema, card, 30, "a-1"));
  Posting v = Ok(f.Void(cinema, "a-1"));
  EXPECT_EQ(v.points, 30);  // released
  EXPECT_EQ(v.balance_after, 100);
  EXPECT_EQ(v.available_after, 100);
  ExpectFigures(100, 0, 100);
  ExpectError(f.Capture(cinema, "a-1", 0).status(), absl::StatusCode::kFailedPrecondition,
              "authorization_partner_txn_id");
  ExpectFigures(100, 0, 100);
  f.ExpectInvariants();
}

TEST_F(HoldsTest, HoldTimesOutAfterTheProgramTimeout) {
  Ok(f.EarnPoints(grocer, card, 100));
  Ok(f.Authorize(cinema, card, 30, "a-1"));
  f.clock().Advance(599 * kSecond);
  ExpectFigures(100, 30, 70);      // still reserved
  f.clock().Advance(2 * kSecond);  // 601 s after authorizing
  ExpectFigures(100, 0, 100);      // the hold is void: available restored
  ExpectError(f.Capture(cinema, "a-1", 0).status(), absl::StatusCode::kFailedPrecondition,
              "authorization_partner_txn_id");
  // The till may still void it; there is nothing left to release.
  Posting v = Ok(f.Void(cinema, "a-1"));
  EXPECT_EQ(v.points, 0);
  EXPECT_EQ(v.available_after, 100);
  ExpectFigures(100, 0, 100);
  f.ExpectInvariants();
}

TEST_F(HoldsTest, AuthorizeMoreThanAvailableFails) {
  Ok(f.EarnPoints(grocer, card, 100));
  Ok(f.Authorize(cinema, card, 60, "a-1"));
  const int64_t txns = f.Rows("txns");
  ExpectError(f.Authorize(cinema, card, 41, "a-2").status(), absl::StatusCode::kFailedPrecondition,
              "points");
  EXPECT_EQ(f.Rows("txns"), txns);
  EXPECT_EQ(f.Rows("holds"), 1);
  Ok(f.Authorize(cinema, card, 40, "a-2"));  // exactly what is left
  ExpectFigures(100, 100, 0);
  // With everything reserved, an operator debit cannot take held points either.
  ExpectError(f.Adjust(card, -1, "adj-1", "correction").status(),
              absl::StatusCode::kFailedPrecondition, "points");
  f.ExpectInvariants();
}

TEST_F(HoldsTest, CaptureTakesLotsInLotOrderAtCaptureTime) {
  PartnerId fuel = f.AddPartner("fuel");
  LotId old_lot = f.LotOf(Ok(f.EarnPoints(grocer, card, 100)));  // expires 2027-01-15
  Ok(f.Authorize(cinema, card, 50, "a-1"));
  // Earned after the authorization but expiring first (2026-02-15 10:01).
  f.SetExpiryMonths(1);
  f.clock().Advance(60 * kSecond);
  LotId new_lot = f.LotOf(Ok(f.EarnPoints(fuel, card, 100)));
  Posting c = Ok(f.Capture(cinema, "a-1", 50));
  EXPECT_EQ(f.Remaining(new_lot), 50);
  EXPECT_EQ(f.Remaining(old_lot), 100);
  EXPECT_EQ(f.Query(absl::StrCat("SELECT COUNT(*) FROM consumptions WHERE txn_id = ", c.txn_id,
                                 " AND lot_id = ", new_lot, " AND funder_id = ", fuel,
                                 " AND redeemer_id = ", cinema, " AND points = 50")),
            1);
  ExpectFigures(150, 0, 150);
  f.ExpectInvariants();
}

TEST_F(HoldsTest, ExpiryShrinksHoldsNewestFirst) {
  EarnExpiringAndLastingPoints(30);
  // Both holds outlive the expiry at 10:00.
  Ok(f.Authorize(cinema, card, 60, "a-old"));
  Ok(f.Authorize(cinema, card, 50, "a-new"));
  ExpectFigures(130, 110, 20);

  f.clock().Set(Utc(2026, 2, 15, 10, 0, 1));
  EXPECT_EQ(Ok(f.ledger().RunExpiry()).points_expired, 100);
  // 30 points remain; the newest hold gives way entirely, the oldest keeps 30.
  ExpectFigures(30, 30, 0);
  EXPECT_EQ(f.Query("SELECT COUNT(*) " + HoldWhere("a-new") + " AND h.status = 'voided'"), 1);
  EXPECT_EQ(f.Query("SELECT h.points " + HoldWhere("a-old")), 30);
  ExpectError(f.Capture(cinema, "a-new", 0).status(), absl::StatusCode::kFailedPrecondition,
              "authorization_partner_txn_id");
  // What is left of the oldest hold can always be honoured from lots.
  Posting c = Ok(f.Capture(cinema, "a-old", 0));
  EXPECT_EQ(c.points, 30);
  ExpectFigures(0, 0, 0);
  f.ExpectInvariants();
}

TEST_F(HoldsTest, ExpiryLeavesHoldsThatStillFit) {
  EarnExpiringAndLastingPoints(100);
  Ok(f.Authorize(cinema, card, 80, "a-1"));
  f.clock().Set(Utc(2026, 2, 15, 10, 0, 1));
  EXPECT_EQ(Ok(f.ledger().RunExpiry()).points_expired, 100);
  // A hold reserves points, not lots: the 100 left still cover it.
  ExpectFigures(100, 80, 20);
  EXPECT_EQ(Ok(f.Capture(cinema, "a-1", 0)).points, 80);
  f.ExpectInvariants();
}

TEST_F(HoldsTest, CaptureAfterDueExpiryWithoutSweepGetsOnlyWhatIsLeft) {
  EarnExpiringAndLastingPoints(30);
  Ok(f.Authorize(cinema, card, 120, "a-1"));

  // No sweep: the capture itself expires the due lot first, and the hold shrinks to 30.
  f.clock().Set(Utc(2026, 2, 15, 10, 0, 1));
  ExpectError(f.Capture(cinema, "a-1", 31).status(), absl::StatusCode::kFailedPrecondition,
              "points");
  Posting c = Ok(f.Capture(cinema, "a-1", 0));
  EXPECT_EQ(c.points, 30);
  EXPECT_EQ(c.balance_after, 0);
  EXPECT_EQ(f.Query("SELECT CAST(SUM(points) AS SIGNED) FROM transfers WHERE credit_account = "
                    "'breakage'"),
            100);
  ExpectFigures(0, 0, 0);
  f.ExpectInvariants();
}

TEST_F(HoldsTest, AnotherPartnersAuthorizationIsNotFound) {
  Ok(f.EarnPoints(grocer, card, 100));
  Ok(f.Authorize(cinema, card, 30, "a-1"));
  // The grocer cannot see, capture or void the cinema's authorization.
  ExpectError(f.Capture(grocer, "a-1", 0).status(), absl::StatusCode::kNotFound,
              "authorization_partner_txn_id");
  ExpectError(f.Void(grocer, "a-1").status(), absl::StatusCode::kNotFound,
              "authorization_partner_txn_id");
  ExpectFigures(100, 30, 70);
  EXPECT_EQ(Ok(f.Capture(cinema, "a-1", 0)).points, 30);
  f.ExpectInvariants();
}

}  // namespace
}  // namespace loyalty::testing

// Pending points (issue 6, docs/program-rules.md): a partner's return window keeps its
// earned points pending (lots.available_at = earned + window) - in the balance, not
// spendable; a return inside the window cancels them; the Clock passing the window's
// end makes them spendable.
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/rules/rules_util.h"
#include "tests/support/test_db.h"
#include "tests/support/test_util.h"

namespace loyalty::testing {
namespace {

constexpr int kWindowDays = 14;

// `store` has a 14-day return window; `fuel` none. Both earn 10%.
class PendingTest : public ::testing::Test {
 protected:
  void ExpectView(Points balance, Points pending, Points available, Points debt = 0) {
    BalanceView v = f.Balance(card);
    EXPECT_EQ(v.balance, balance);
    EXPECT_EQ(v.pending, pending);
    EXPECT_EQ(v.available, available);
    EXPECT_EQ(v.debt, debt);
  }

  static constexpr Micros kT0 = LedgerFixture::kStart;
  static constexpr Micros kReleased = kT0 + kWindowDays * kDay;
  LedgerFixture f;
  PartnerId store = AddPartnerWithWindow(f, "fashion", 1000, kWindowDays);
  PartnerId fuel = f.AddPartner("fuel", 1000);
  std::string card = f.AddMember(store);
};

TEST_F(PendingTest, PointsArePendingUntilTheWindowEndsThenSpendable) {
  Posting e = Ok(f.Earn(store, card, 10000, "e-1"));
  EXPECT_EQ(e.points, 1000);
  EXPECT_EQ(e.pending_until, kReleased);  // earned time + 14 days
  EXPECT_EQ(e.balance_after, 1000);
  EXPECT_EQ(e.available_after, 0);
  EXPECT_EQ(f.LotField(f.LotOf(e), "available_at"), kReleased);
  ExpectView(1000, 1000, 0);

  // Not redeemable, not authorizable, not debitable.
  ExpectError(f.Redeem(fuel, card, 1).status(), absl::StatusCode::kFailedPrecondition, "points");
  ExpectError(f.Authorize(fuel, card, 1).status(), absl::StatusCode::kFailedPrecondition, "points");
  ExpectError(f.Adjust(card, -1).status(), absl::StatusCode::kFailedPrecondition, "points");

  // An exact retry answers the same pending_until.
  Posting again = Ok(f.Earn(store, card, 10000, "e-1"));
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.pending_until, kReleased);

  // One microsecond before the window ends: still pending.
  f.clock().Set(kReleased - 1);
  ExpectView(1000, 1000, 0);
  ExpectError(f.Redeem(fuel, card, 1).status(), absl::StatusCode::kFailedPrecondition, "points");
  // At its end: spendable.
  f.clock().Set(kReleased);
  ExpectView(1000, 0, 1000);
  Posting r = Ok(f.Redeem(fuel, card, 1000));
  EXPECT_EQ(r.balance_after, 0);
  ExpectView(0, 0, 0);
  f.ExpectInvariants();
}

TEST_F(PendingTest, AnEarnWithoutWindowIsSpendableAtOnce) {
  Posting e = Ok(f.Earn(fuel, card, 10000));
  EXPECT_EQ(e.pending_until, 0);
  EXPECT_EQ(e.available_after, 1000);
  ExpectView(1000, 0, 1000);
  f.ExpectInvariants();
}

TEST_F(PendingTest, AReturnInsideTheWindowCancelsThePendingPoints) {
  // Bonuses of the earn are pending with it and go with the return.
  ASSERT_TRUE(f.ledger().CreatePromotion("ops", FixedPromo("Welcome", 50, kT0, kT0 + kDay)).ok());
  Posting spendable = Ok(f.Earn(fuel, card, 3000));  // 300 spendable (+50 bonus)
  ASSERT_EQ(spendable.available_after, 350);
  Posting e = Ok(f.Earn(store, card, 10000, "e-1"));  // 1000 pending (+50 pending bonus)
  ASSERT_EQ(e.pending_until, kReleased);
  ExpectView(1400, 1050, 350);

  f.clock().Set(kReleased - kDay);  // day 13: a return
  Posting r = Ok(f.Reverse(store, "e-1", 0));
  EXPECT_EQ(r.points, 1000);
  EXPECT_EQ(r.debt_created, 0);
  EXPECT_EQ(r.balance_after, 350);
  // The earn's own lot (pending) was taken, not the spendable points.
  EXPECT_EQ(f.Remaining(f.LotOf(e)), 0);
  EXPECT_EQ(f.Remaining(f.LotOf(spendable)), 300);
  EXPECT_EQ(f.Query(absl::StrCat("SELECT CAST(SUM(points) AS SIGNED) FROM consumptions WHERE "
                                 "txn_id = ",
                                 r.txn_id, " AND kind = 'reverse_own'")),
            1000);
  ExpectView(350, 0, 350);
  EXPECT_EQ(f.AccountNet(absl::StrCat("partner_issued:", store)), 0);
  f.ExpectInvariants();
}

TEST_F(PendingTest, AReturnOfEverythingPendingLeavesNothingAndNoDebt) {
  Ok(f.Earn(store, card, 10000, "e-1"));
  f.clock().Advance(kDay);
  Posting r = Ok(f.Reverse(store, "e-1", 0));
  EXPECT_EQ(r.balance_after, 0);
  EXPECT_EQ(r.debt_created, 0);
  ExpectView(0, 0, 0, 0);
  EXPECT_EQ(f.Rows("debts"), 0);
  // After the window nothing turns up.
  f.clock().Set(kReleased + kDay);
  ExpectView(0, 0, 0, 0);
  f.ExpectInvariants();
}

TEST_F(PendingTest, RedemptionsAndDebitsSkipPendingLots) {
  // The pending lot expires first (earned first), so it leads the lot order.
  Posting pending = Ok(f.Earn(store, card, 10000));  // 1000 pending
  f.clock().Advance(3600 * kSecond);
  Posting ready = Ok(f.Earn(fuel, card, 3000));  // 300 spendable
  ExpectView(1300, 1000, 300);
  ExpectError(f.Redeem(fuel, card, 301).status(), absl::StatusCode::kFailedPrecondition, "points");
  Ok(f.Redeem(fuel, card, 200));
  EXPECT_EQ(f.Remaining(f.LotOf(pending)), 1000);
  EXPECT_EQ(f.Remaining(f.LotOf(ready)), 100);
  ExpectError(f.Adjust(card, -101).status(), absl::StatusCode::kFailedPrecondition, "points");
  Ok(f.Adjust(card, -100));
  EXPECT_EQ(f.Remaining(f.LotOf(pending)), 1000);
  EXPECT_EQ(f.Remaining(f.LotOf(ready)), 0);
  ExpectView(1000, 1000, 0);
  f.clock().Set(kReleased);
  ExpectView(1000, 0, 1000);
  Ok(f.Redeem(fuel, card, 1000));
  ExpectView(0, 0, 0);
  f.ExpectInvariants();
}

}  // namespace
}  // namespace loyalty::testing

// The ledger's core semantics (docs/ledger.md, DESIGN.md section 5) on a real MariaDB:
// earning (rates, rounding, caps), redeeming in lot order, expiry, operator
// adjustments, the double-entry journal and bearer cards. Figures are exact: the
// program values 1 point at 0.01 EUR and lots expire after 12 months unless a test
// changes the program.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_db.h"
#include "tests/support/test_util.h"

namespace loyalty::testing {
namespace {

PartnerId AddLimitedPartner(LedgerFixture& f, const std::string& category, Points per_txn,
                            Points per_member_day) {
  PartnerRecord p;
  p.name = absl::StrCat("Limited ", category);
  p.category = category;
  p.role = Role::kMerchant;
  p.earn_rate_bp = 500;
  p.max_points_per_txn = per_txn;
  p.max_points_per_member_day = per_member_day;
  return Ok(f.ledger().RegisterPartner("test", p)).partner.id;
}

TEST(LedgerSmoke, EarnRedeem) {
  LedgerFixture f;
  PartnerId grocer = f.AddPartner("grocery", 500);
  PartnerId gym = f.AddPartner("fitness", 300);
  std::string card = f.AddMember(grocer);
  auto e = f.Earn(grocer, card, 5000);  // 50.00 EUR at 5% = 2.50 EUR = 250 points
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->points, 250);
  auto r = f.Redeem(gym, card, 100);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->balance_after, 150);
  f.ExpectInvariants();
}

// --- Earn -----------------------------------------------------------------------------

TEST(Earn, RateComputedPointsRoundDown) {
  LedgerFixture f;
  PartnerId grocer = f.AddPartner("grocery", 500);
  PartnerId gym = f.AddPartner("fitness", 300);
  std::string card = f.AddMember(grocer);

  Posting a = Ok(f.Earn(grocer, card, 5000));  // 50.00 EUR x 5% = 250 points
  EXPECT_EQ(a.points, 250);
  EXPECT_EQ(a.base_points, 250);
  EXPECT_EQ(a.balance_after, 250);
  EXPECT_EQ(a.expires_at, Utc(2027, 1, 15, 10));  // 12 months after earning

  // 1.99 EUR x 5% = 9.95 points: the member gets floor(9.95) = 9, never 10.
  Posting b = Ok(f.Earn(grocer, card, 199));
  EXPECT_EQ(b.points, 9);
  EXPECT_EQ(b.balance_after, 259);

  // 33.33 EUR x 3% = 99.99 points: floor again.
  Posting c = Ok(f.Earn(gym, card, 3333));
  EXPECT_EQ(c.points, 99);

  // Each earn is one lot funded by its partner.
  EXPECT_EQ(f.LotField(f.LotOf(b), "points"), 9);
  EXPECT_EQ(f.LotField(f.LotOf(b), "funder_id"), grocer);
  EXPECT_EQ(f.LotField(f.LotOf(c), "funder_id"), gym);
  BalanceView v = f.Balance(card);
  EXPECT_EQ(v.balance, 358);
  EXPECT_EQ(v.available, 358);
  EXPECT_EQ(v.held, 0);
  EXPECT_EQ(v.debt, 0);
  f.ExpectInvariants();
}

TEST(Earn, StatedPointsAreCreditedAsStated) {
  LedgerFixture f;
  PartnerId grocer = f.AddPartner("grocery", 500);
  std::string card = f.AddMember(grocer);
  Posting e = Ok(f.EarnPoints(grocer, card, 70));
  EXPECT_EQ(e.points, 70);
  EXPECT_EQ(e.base_points, 70);
  EXPECT_EQ(e.balance_after, 70);
  EXPECT_EQ(f.LotField(f.LotOf(e), "remaining"), 70);
  EXPECT_EQ(f.AccountNet(absl::StrCat("partner_issued:", grocer)), -70);
  f.ExpectInvariants();
}

TEST(Earn, PerTransactionCapCapsRatePointsAndRejectsStatedPoints) {
  LedgerFixture f;
  PartnerId capped = AddLimitedPartner(f, "grocery", /*per_txn=*/100, /*per_member_day=*/0);
  std::string card = f.AddMember(capped);

  // Rate-computed points are capped; the breakdown adds up to what was credited and
  // says what the rate gave.
  Posting e = Ok(f.Earn(capped, card, 5000));
  EXPECT_EQ(e.points, 100);
  EXPECT_EQ(e.base_points, 100);
  EXPECT_TRUE(e.capped);
  EXPECT_EQ(e.uncapped_points, 250);

  // A partner stating more than its limit made a mistake: refuse, don't trim.
  const int64_t txns = f.Rows("txns");
  ExpectError(f.EarnPoints(capped, card, 101).status(), absl::StatusCode::kFailedPrecondition,
              "points");
  EXPECT_EQ(f.Rows("txns"), txns);

  EXPECT_EQ(Ok(f.EarnPoints(capped, card, 100)).points, 100);
  EXPECT_EQ(f.Balance(card).balance, 200);
  f.ExpectInvariants();
}

TEST(Earn, DailyCapPerMemberResetsAtNextUtcDay) {
  LedgerFixture f;  // starts 2026-01-15 10:00 UTC
  PartnerId capped = AddLimitedPartner(f, "grocery", /*per_txn=*/0, /*per_member_day=*/300);
  std::string card = f.AddMember(capped);
  std::string other = f.AddMember(capped);

  EXPECT_EQ(Ok(f.Earn(capped, card, 5000)).points, 250);
  Posting second = Ok(f.Earn(capped, card, 5000));
  EXPECT_EQ(second.points, 50);  // 300 - 250 left today
  EXPECT_EQ(second.base_points, 50);
  EXPECT_TRUE(second.capped);
  EXPECT_EQ(second.uncapped_points, 250);
  ExpectError(f.EarnPoints(capped, card, 1).status(), absl::StatusCode::kFailedPrecondition,
              "points");
  // The cap is per member: another member earns in full.
  EXPECT_EQ(Ok(f.Earn(capped, other, 5000)).points, 250);

  // Still the same UTC day one second before midnight.
  f.clock().Set(Utc(2026, 1, 15, 23, 59, 59));
  ExpectError(f.EarnPoints(capped, card, 1).status(), absl::StatusCode::kFailedPrecondition,
              "points");
  // A new UTC day gives a new allowance.
  f.clock().Set(Utc(2026, 1, 16, 0, 0, 0));
  EXPECT_EQ(Ok(f.Earn(capped, card, 5000)).points, 250);
  EXPECT_EQ(f.Balance(card).balance, 550);
  f.ExpectInvariants();
}

TEST(Earn, ZeroPointEarnIsRecordedWithoutLotOrTransfer) {
  LedgerFixture f;
  PartnerId grocer = f.AddPartner("grocery", 500);
  std::string card = f.AddMember(grocer);
  // 0.19 EUR x 5% = 0.95 points -> 0.
  Posting e = Ok(f.Earn(grocer, card, 19));
  EXPECT_EQ(e.points, 0);
  EXPECT_EQ(e.expires_at, 0);
  EXPECT_EQ(e.balance_after, 0);
  // The txns row exists (for idempotency) but nothing moved.
  EXPECT_EQ(f.Query(absl::StrCat("SELECT COUNT(*) FROM txns WHERE id = ", e.txn_id,
                                 " AND kind = 'earn' AND points = 0")),
            1);
  EXPECT_EQ(f.Rows("lots"), 0);
  EXPECT_EQ(f.Rows("transfers"), 0);
  EXPECT_EQ(f.Balance(card).balance, 0);
  f.ExpectInvariants();
}

TEST(Earn, WrongCurrencyIsInvalidArgumentNamingCurrency) {
  LedgerFixture f;
  PartnerId grocer = f.AddPartner("grocery", 500);
  std::string card = f.AddMember(grocer);
  const int64_t txns = f.Rows("txns");
  EarnParams e = MakeEarn(grocer, card, 5000, f.NextTxnId());
  e.currency = "USD";  // a valid ISO code, but not the program's
  ExpectError(f.ledger().Earn(e).status(), absl::StatusCode::kInvalidArgument, "amount.currency");
  EXPECT_EQ(f.Rows("txns"), txns);
  EXPECT_EQ(f.Rows("lots"), 0);
  f.ExpectInvariants();
}

// --- Redeem and lot order -----------------------------------------------------------------

TEST(Redeem, TakesEarliestExpiringLotFirstAcrossFunders) {
  LedgerFixture f;
  PartnerId grocer = f.AddPartner("grocery");
  PartnerId fuel = f.AddPartner("fuel");
  PartnerId cinema = f.AddPartner("cinema");
  std::string card = f.AddMember(grocer);

  LotId l1 = f.LotOf(Ok(f.EarnPoints(grocer, card, 100)));  // expires 2027-01-15
  f.clock().Advance(kDay);
  LotId l2 = f.LotOf(Ok(f.EarnPoints(fuel, card, 100)));  // expires 2027-01-16
  // A 6-month program makes the newest lot the first to expire (2026-07-17).
  f.SetExpiryMonths(6);
  f.clock().Advance(kDay);
  LotId l3 = f.LotOf(Ok(f.EarnPoints(grocer, card, 100)));
  EXPECT_EQ(f.LotField(l3, "expires_at"), Utc(2026, 7, 17, 10));

  Posting r = Ok(f.Redeem(cinema, card, 150));
  EXPECT_EQ(r.balance_after, 150);
  EXPECT_EQ(f.LotField(l3, "remaining"), 0);    // earliest expiry, emptied
  EXPECT_EQ(f.LotField(l1, "remaining"), 50);   // next: 2027-01-15
  EXPECT_EQ(f.LotField(l2, "remaining"), 100);  // latest expiry, untouched
  // Both takes are recorded for settlement: funded by the grocer, redeemed at cinema.
  EXPECT_EQ(f.Query(absl::StrCat(
                "SELECT CAST(SUM(points) AS SIGNED) FROM consumptions WHERE txn_id = ", r.txn_id,
                " AND kind = 'redeem' AND funder_id = ", grocer, " AND redeemer_id = ", cinema)),
            150);

  // The next redemption finishes l1 before touching l2.
  Ok(f.Redeem(cinema, card, 100));
  EXPECT_EQ(f.LotField(l1, "remaining"), 0);
  EXPECT_EQ(f.LotField(l2, "remaining"), 50);
  EXPECT_EQ(f.Query(absl::StrCat("SELECT COUNT(*) FROM consumptions WHERE lot_id = ", l2,
                                 " AND funder_id = ", fuel, " AND points = 50")),
            1);
  f.ExpectInvariants();
}

TEST(Redeem, EqualExpiryTieBreaksByEarnedAtThenLotId) {
  LedgerFixture f;
  PartnerId grocer = f.AddPartner("grocery");
  PartnerId cinema = f.AddPartner("cinema");
  std::string card = f.AddMember(grocer);
  f.SetExpiryMonths(1);

  // Earned 31 Jan: one month later is clamped to 28 Feb.
  f.clock().Set(Utc(2026, 1, 31, 10));
  LotId late = f.LotOf(Ok(f.EarnPoints(grocer, card, 10)));
  // Time never runs backwards for one member, so the earlier lots come from a bearer
  // card earned a day before (by a hub whose clock runs behind) and merged in: they get
  // larger ids but an earlier earned_at, and the same clamped expiry.
  const std::string bearer = Ok(f.ledger().IssueBearerCards("ops", 1)).at(0);
  f.clock().Set(Utc(2026, 1, 30, 10));
  LotId early_a = f.LotOf(Ok(f.EarnPoints(grocer, bearer, 10)));
  LotId early_b = f.LotOf(Ok(f.EarnPoints(grocer, bearer, 10)));
  Ok(f.ledger().RegisterBearerCard(f.Request(grocer), card, bearer));
  for (LotId lot : {late, early_a, early_b}) {
    EXPECT_EQ(f.LotField(lot, "expires_at"), Utc(2026, 2, 28, 10)) << "lot " << lot;
  }

  Ok(f.Redeem(cinema, card, 15));
  EXPECT_EQ(f.LotField(early_a, "remaining"), 0);  // earliest earned_at, lowest id
  EXPECT_EQ(f.LotField(early_b, "remaining"), 5);  // same earned_at, higher id
  EXPECT_EQ(f.LotField(late, "remaining"), 10);    // lowest id, but earned later
  f.ExpectInvariants();
}

TEST(Redeem, MoreThanAvailableFailsAndWritesNothing) {
  LedgerFixture f;
  PartnerId grocer = f.AddPartner("grocery");
  PartnerId cinema = f.AddPartner("cinema");
  std::string card = f.AddMember(grocer);
  Ok(f.EarnPoints(grocer, card, 100));
  const int64_t txns = f.Rows("txns");
  const int64_t transfers = f.Rows("transfers");
  const int64_t consumptions = f.Rows("consumptions");

  ExpectError(f.Redeem(cinema, card, 101, "r-1").status(), absl::StatusCode::kFailedPrecondition,
              "points");
  EXPECT_EQ(f.Rows("txns"), txns);
  EXPECT_EQ(f.Rows("transfers"), transfers);
  EXPECT_EQ(f.Rows("consumptions"), consumptions);
  EXPECT_EQ(f.Balance(card).balance, 100);

  // The failed request wrote nothing, so its id is still free for a valid request.
  Posting ok = Ok(f.Redeem(cinema, card, 100, "r-1"));
  EXPECT_FALSE(ok.replayed);
  EXPECT_EQ(ok.balance_after, 0);
  f.ExpectInvariants();
}

// --- Expiry ---------------------------------------------------------------------------

TEST(Expiry, RunExpiryMovesRemainingPointsToBreakage) {
  LedgerFixture f;  // 2026-01-15 10:00
  PartnerId grocer = f.AddPartner("grocery");
  PartnerId cinema = f.AddPartner("cinema");
  std::string card = f.AddMember(grocer);
  LotId first = f.LotOf(Ok(f.EarnPoints(grocer, card, 100)));  // expires 2027-01-15 10:00
  f.clock().Set(Utc(2026, 2, 15, 10));
  Ok(f.EarnPoints(grocer, card, 50));  // expires 2027-02-15 10:00
  Ok(f.Redeem(cinema, card, 30));      // from the first lot: 70 left there

  BalanceView before = f.Balance(card);
  EXPECT_EQ(before.next_expiry_at, Utc(2027, 1, 15, 10));
  EXPECT_EQ(before.next_expiry_points, 70);

  // One second before expiry nothing moves.
  f.clock().Set(Utc(2027, 1, 15, 10) - kSecond);
  ExpiryOutcome none = Ok(f.ledger().RunExpiry());
  EXPECT_EQ(none.lots_expired, 0);
  EXPECT_EQ(none.points_expired, 0);
  EXPECT_EQ(f.Balance(card).balance, 120);

  // Due once now >= expires_at.
  f.clock().Set(Utc(2027, 1, 15, 10));
  ExpiryOutcome out = Ok(f.ledger().RunExpiry());
  EXPECT_EQ(out.lots_expired, 1);
  EXPECT_EQ(out.points_expired, 70);
  BalanceView after = f.Balance(card);
  EXPECT_EQ(after.balance, 50);
  EXPECT_EQ(after.available, 50);
  EXPECT_EQ(after.next_expiry_at, Utc(2027, 2, 15, 10));
  EXPECT_EQ(after.next_expiry_points, 50);
  EXPECT_EQ(f.LotField(first, "remaining"), 0);
  EXPECT_EQ(f.AccountNet("breakage"), 70);
  EXPECT_EQ(f.Query(absl::StrCat("SELECT COUNT(*) FROM consumptions WHERE kind = 'expire' AND "
                                 "lot_id = ",
                                 first, " AND points = 70 AND redeemer_id IS NULL")),
            1);
  // Expiry ends the funder's liability; it does not give points back to the funder.
  EXPECT_EQ(f.AccountNet(absl::StrCat("partner_issued:", grocer)), -150);

  // A second run finds nothing more.
  EXPECT_EQ(Ok(f.ledger().RunExpiry()).points_expired, 0);
  f.ExpectInvariants();
}

TEST(Expiry, DuePointsExpireOnTouchWithoutTheSweep) {
  LedgerFixture f;  // 2026-01-15 10:00
  PartnerId grocer = f.AddPartner("grocery");
  PartnerId cinema = f.AddPartner("cinema");
  std::string card = f.AddMember(grocer);
  Ok(f.EarnPoints(grocer, card, 100));  // expires 2027-01-15 10:00
  f.clock().Set(Utc(2026, 2, 15, 10));
  Ok(f.EarnPoints(grocer, card, 50));  // expires 2027-02-15 10:00

  // The sweep has not run, yet the expired 100 points cannot be spent.
  f.clock().Set(Utc(2027, 1, 20, 10));
  const int64_t txns = f.Rows("txns");
  ExpectError(f.Redeem(cinema, card, 60).status(), absl::StatusCode::kFailedPrecondition, "points");
  // The failed request rolled its expiry back with it: nothing was written.
  EXPECT_EQ(f.Rows("txns"), txns);
  EXPECT_EQ(f.AccountNet("breakage"), 0);

  // A balance read is a touch: it expires the due lot and never shows its points.
  BalanceView v = f.Balance(card);
  EXPECT_EQ(v.balance, 50);
  EXPECT_EQ(v.available, 50);
  EXPECT_EQ(v.next_expiry_at, Utc(2027, 2, 15, 10));
  EXPECT_EQ(v.next_expiry_points, 50);
  EXPECT_EQ(f.AccountNet("breakage"), 100);
  EXPECT_EQ(f.Query("SELECT COUNT(*) FROM txns WHERE kind = 'expire' AND points = 100"), 1);
  // The sweep reports only what it expired itself: nothing is left.
  ExpiryOutcome out = Ok(f.ledger().RunExpiry());
  EXPECT_EQ(out.lots_expired, 0);
  EXPECT_EQ(out.points_expired, 0);
  EXPECT_EQ(Ok(f.Redeem(cinema, card, 50)).balance_after, 0);
  f.ExpectInvariants();
}

// --- Admin adjustments ----------------------------------------------------------------

TEST(Adjust, CreditIsOperatorFundedAndDebitIsBoundedByAvailable) {
  LedgerFixture f;
  PartnerId grocer = f.AddPartner("grocery");
  std::string card = f.AddMember(grocer);

  Posting credit = Ok(f.Adjust(card, 40));
  EXPECT_EQ(credit.points, 40);
  EXPECT_EQ(credit.balance_after, 40);
  LotId lot = f.LotOf(credit);
  EXPECT_EQ(f.LotField(lot, "funder_id"), kOperatorId);
  EXPECT_EQ(f.LotField(lot, "expires_at"), Utc(2027, 1, 15, 10));
  EXPECT_EQ(f.AccountNet("adjustments"), -40);

  Posting debit = Ok(f.Adjust(card, -15));
  EXPECT_EQ(debit.balance_after, 25);
  EXPECT_EQ(f.LotField(lot, "remaining"), 25);
  EXPECT_EQ(f.Query(absl::StrCat("SELECT COUNT(*) FROM consumptions WHERE txn_id = ", debit.txn_id,
                                 " AND kind = 'adjust' AND redeemer_id = 0 AND points = 15")),
            1);
  EXPECT_EQ(f.AccountNet("adjustments"), -25);

  ExpectError(f.Adjust(card, -26).status(), absl::StatusCode::kFailedPrecondition, "points");
  EXPECT_EQ(f.Balance(card).balance, 25);
  f.ExpectInvariants();
}

// --- The journal ------------------------------------------------------------------------

TEST(Journal, NetsSumToZeroAndMemberNetEqualsBalance) {
  LedgerFixture f;
  PartnerId grocer = f.AddPartner("grocery");
  PartnerId fuel = f.AddPartner("fuel");
  PartnerId cinema = f.AddPartner("cinema");
  std::string ann = f.AddMember(grocer);
  std::string bob = f.AddMember(fuel);

  Ok(f.EarnPoints(grocer, ann, 300, "g-1"));
  Ok(f.EarnPoints(fuel, ann, 100));
  Ok(f.EarnPoints(fuel, bob, 80));
  Ok(f.Redeem(cinema, ann, 120));
  Ok(f.Reverse(grocer, "g-1", 50));  // the partner refunds part of the purchase
  Ok(f.Adjust(bob, 20));
  Ok(f.Adjust(ann, -10));
  f.clock().Set(Utc(2027, 2, 1, 0));  // everything has expired
  Ok(f.ledger().RunExpiry());

  // Every transfer balances, so the journal as a whole nets to zero.
  EXPECT_EQ(f.Query("SELECT CAST(COALESCE(SUM(d), 0) AS SIGNED) FROM ("
                    "SELECT points AS d FROM transfers "
                    "UNION ALL SELECT -points FROM transfers) x"),
            0);
  EXPECT_EQ(f.Query("SELECT COUNT(*) FROM transfers WHERE points <= 0"), 0);
  for (const std::string& card : {ann, bob}) {
    BalanceView v = f.Balance(card);
    EXPECT_EQ(f.AccountNet(absl::StrCat("member:", v.member_id)), v.balance);
    EXPECT_EQ(v.balance, 0);  // all expired
  }
  EXPECT_EQ(f.AccountNet(absl::StrCat("partner_issued:", grocer)), -250);
  EXPECT_EQ(f.AccountNet(absl::StrCat("partner_issued:", fuel)), -180);
  EXPECT_EQ(f.AccountNet(absl::StrCat("partner_redeemed:", cinema)), 120);
  EXPECT_EQ(f.AccountNet("adjustments"), -10);  // +10 debited, -20 credited
  // ann: 300 + 100 - 120 - 50 - 10 = 220; bob: 80 + 20 = 100.
  EXPECT_EQ(f.AccountNet("breakage"), 320);
  f.ExpectInvariants();
}

// --- Bearer cards ----------------------------------------------------------------------

TEST(BearerCard, RegistrationMergesLotsKeepingFundersAndExpiries) {
  LedgerFixture f;
  PartnerId grocer = f.AddPartner("grocery");
  PartnerId fuel = f.AddPartner("fuel");
  std::vector<std::string> cards = Ok(f.ledger().IssueBearerCards("ops", 2));
  ASSERT_EQ(cards.size(), 2u);
  const std::string bearer = cards[0];

  // Anonymous earning on the bearer card, with two funders and two expiries.
  LotId g = f.LotOf(Ok(f.EarnPoints(grocer, bearer, 100)));  // expires 2027-01-15
  f.SetExpiryMonths(6);
  f.clock().Advance(kDay);
  LotId u = f.LotOf(Ok(f.EarnPoints(fuel, bearer, 40)));  // expires 2026-07-16
  f.SetExpiryMonths(12);
  const MemberId bearer_member = f.Balance(bearer).member_id;

  std::string card = f.AddMember(grocer);
  Ok(f.EarnPoints(grocer, card, 10));
  const MemberId target = f.Balance(card).member_id;

  Posting merged = Ok(f.ledger().RegisterBearerCard(f.Request(grocer), card, bearer));
  EXPECT_EQ(merged.points, 140);
  EXPECT_EQ(merged.balance_after, 150);
  EXPECT_EQ(merged.member_id, target);

  // The lots moved as they were.
  EXPECT_EQ(f.LotField(g, "member_id"), target);
  EXPECT_EQ(f.LotField(g, "funder_id"), grocer);
  EXPECT_EQ(f.LotField(g, "expires_at"), Utc(2027, 1, 15, 10));
  EXPECT_EQ(f.LotField(u, "member_id"), target);
  EXPECT_EQ(f.LotField(u, "funder_id"), fuel);
  EXPECT_EQ(f.LotField(u, "expires_at"), Utc(2026, 7, 16, 10));
  BalanceView v = f.Balance(card);
  EXPECT_EQ(v.balance, 150);
  EXPECT_EQ(v.next_expiry_at, Utc(2026, 7, 16, 10));
  EXPECT_EQ(v.next_expiry_points, 40);
  // The journal moved the bearer's balance to the member.
  EXPECT_EQ(f.AccountNet(absl::StrCat("member:", bearer_member)), 0);
  EXPECT_EQ(f.AccountNet(absl::StrCat("member:", target)), 150);

  // The bearer card now is a card of the member: it reads and earns there.
  EXPECT_EQ(f.Balance(bearer).member_id, target);
  EXPECT_EQ(Ok(f.EarnPoints(grocer, bearer, 5)).member_id, target);
  EXPECT_EQ(f.Balance(card).balance, 155);
  f.ExpectInvariants();
}

TEST(BearerCard, RegisteringTwiceFails) {
  LedgerFixture f;
  PartnerId grocer = f.AddPartner("grocery");
  std::string bearer = Ok(f.ledger().IssueBearerCards("ops", 1)).at(0);
  Ok(f.EarnPoints(grocer, bearer, 25));
  std::string card = f.AddMember(grocer);
  std::string other = f.AddMember(grocer);
  Ok(f.ledger().RegisterBearerCard(f.Request(grocer), card, bearer));

  ExpectError(f.ledger().RegisterBearerCard(f.Request(grocer), card, bearer).status(),
              absl::StatusCode::kFailedPrecondition, "bearer_card_number");
  ExpectError(f.ledger().RegisterBearerCard(f.Request(grocer), other, bearer).status(),
              absl::StatusCode::kFailedPrecondition, "bearer_card_number");
  EXPECT_EQ(f.Balance(card).balance, 25);
  EXPECT_EQ(f.Balance(other).balance, 0);
  f.ExpectInvariants();
}

TEST(BearerCard, DebtMovesAsItIsAndOnlyLaterEarnsRepayIt) {
  LedgerFixture f;
  PartnerId grocer = f.AddPartner("grocery");
  PartnerId fuel = f.AddPartner("fuel");
  PartnerId cinema = f.AddPartner("cinema");
  std::string bearer = Ok(f.ledger().IssueBearerCards("ops", 1)).at(0);
  // The bearer spends its points, then the grocer refunds the purchase: debt 50.
  Ok(f.EarnPoints(grocer, bearer, 50, "b-e"));
  Ok(f.Redeem(cinema, bearer, 50));
  EXPECT_EQ(Ok(f.Reverse(grocer, "b-e", 0)).debt_created, 50);
  const MemberId bearer_member = f.Balance(bearer).member_id;
  std::string card = f.AddMember(fuel);
  LotId own = f.LotOf(Ok(f.EarnPoints(fuel, card, 100)));

  Posting merged = Ok(f.ledger().RegisterBearerCard(f.Request(fuel), card, bearer));
  EXPECT_EQ(merged.points, -50);  // the bearer's balance, negative
  EXPECT_EQ(merged.balance_after, 50);
  BalanceView v = f.Balance(card);
  EXPECT_EQ(v.balance, 50);
  EXPECT_EQ(v.debt, 50);
  // The member's existing lot does not repay the moved debt...
  EXPECT_EQ(f.LotField(own, "remaining"), 100);
  EXPECT_EQ(f.AccountNet(absl::StrCat("member:", bearer_member)), 0);
  // ...a later earn does, towards the debt's funder.
  Posting later = Ok(f.EarnPoints(fuel, card, 10));
  EXPECT_EQ(later.balance_after, 60);
  EXPECT_EQ(f.LotField(f.LotOf(later), "remaining"), 0);
  EXPECT_EQ(f.Query(absl::StrCat("SELECT COUNT(*) FROM consumptions WHERE kind = 'debt_repay' "
                                 "AND redeemer_id = ",
                                 grocer, " AND funder_id = ", fuel, " AND points = 10")),
            1);
  EXPECT_EQ(f.Balance(card).debt, 40);
  f.ExpectInvariants();
}

// --- Balance view ------------------------------------------------------------------------

TEST(Balance, NextExpirySumsTheEarliestExpiringLots) {
  LedgerFixture f;
  PartnerId grocer = f.AddPartner("grocery");
  PartnerId cinema = f.AddPartner("cinema");
  std::string card = f.AddMember(grocer);
  BalanceView empty = f.Balance(card);
  EXPECT_EQ(empty.next_expiry_at, 0);
  EXPECT_EQ(empty.next_expiry_points, 0);

  Ok(f.EarnPoints(grocer, card, 30));
  Ok(f.EarnPoints(grocer, card, 20));  // same instant: same expiry
  f.clock().Advance(kDay);
  Ok(f.EarnPoints(grocer, card, 5));  // a day later: not in the next expiry
  BalanceView v = f.Balance(card);
  EXPECT_EQ(v.next_expiry_at, Utc(2027, 1, 15, 10));
  EXPECT_EQ(v.next_expiry_points, 50);

  Ok(f.Redeem(cinema, card, 10));  // taken from the earliest lots
  EXPECT_EQ(f.Balance(card).next_expiry_points, 40);

  // A program without expiry: lots never expire, so nothing is announced.
  f.SetExpiryMonths(0);
  std::string forever = f.AddMember(grocer);
  Posting e = Ok(f.EarnPoints(grocer, forever, 70));
  EXPECT_EQ(e.expires_at, 0);
  BalanceView n = f.Balance(forever);
  EXPECT_EQ(n.balance, 70);
  EXPECT_EQ(n.next_expiry_at, 0);
  EXPECT_EQ(n.next_expiry_points, 0);
  f.ExpectInvariants();
}

// The invariant check must see what it exists to see: rows changed behind the ledger's
// back (as a bad restore or a hand-edited row would) are reported, each by its rule.
TEST(InvariantCheck, ReportsRowsChangedBehindTheLedger) {
  LedgerFixture f;
  const PartnerId grocer = f.AddPartner("grocery", 500);
  const std::string card = f.AddMember(grocer);
  ASSERT_TRUE(f.EarnPoints(grocer, card, 300).ok());
  const MemberId member = f.Balance(card).member_id;
  auto violations = [&] {
    auto v = f.ledger().CheckInvariants();
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? *v : std::vector<std::string>{};
  };
  ASSERT_THAT(violations(), ::testing::IsEmpty());

  // A balance nobody posted: differs from the journal and from the lots.
  f.db().Execute(absl::StrCat("UPDATE members SET balance = balance + 7 WHERE id = ", member));
  EXPECT_THAT(violations(),
              ::testing::AllOf(
                  ::testing::Contains(::testing::HasSubstr("differs from its journal account")),
                  ::testing::Contains(::testing::HasSubstr("differs from lots remaining"))));
  f.db().Execute(absl::StrCat("UPDATE members SET balance = balance - 7 WHERE id = ", member));
  EXPECT_THAT(violations(), ::testing::IsEmpty());

  // A journal entry changed: the member's account no longer adds up to its balance.
  f.db().Execute(absl::StrCat(
      "UPDATE transfers SET points = points + 1 WHERE credit_account = ", "'member:", member, "'"));
  EXPECT_THAT(violations(),
              ::testing::Contains(::testing::HasSubstr("differs from its journal account")));
}

}  // namespace
}  // namespace loyalty::testing

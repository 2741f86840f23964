// Expiry policies (issue 6, docs/program-rules.md): N months after the earn, or the end
// of the Nth calendar year after the earn's year in the program's time zone; RunExpiry
// moves what is due to breakage; ListExpiring names members whose points expire soon;
// a program may pause expiry for members holding an active co-branded card.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/ledger/bank_ledger.h"
#include "tests/rules/rules_util.h"
#include "tests/support/test_db.h"
#include "tests/support/test_util.h"

namespace loyalty::testing {
namespace {

using ::testing::IsEmpty;

class ExpiryTest : public ::testing::Test {
 protected:
  ExpiryOutcome Expire() { return Ok(f.ledger().RunExpiry()); }

  static constexpr Micros kT0 = LedgerFixture::kStart;  // 2026-01-15 10:00 UTC
  LedgerFixture f;
  PartnerId shop = f.AddPartner("grocery", 1000);
  std::string card = f.AddMember(shop);
};

TEST_F(ExpiryTest, MonthsAfterEarn) {
  Posting e = Ok(f.Earn(shop, card, 10000));  // 12 months: 2027-01-15 10:00 UTC
  const Micros due = Utc(2027, 1, 15, 10);
  EXPECT_EQ(e.expires_at, due);
  EXPECT_EQ(f.LotField(f.LotOf(e), "expires_at"), due);
  f.clock().Set(due - 1);
  ExpiryOutcome none = Expire();
  EXPECT_EQ(none.lots_expired, 0);
  EXPECT_EQ(none.points_expired, 0);
  f.clock().Set(due);
  ExpiryOutcome out = Expire();
  EXPECT_EQ(out.lots_expired, 1);
  EXPECT_EQ(out.points_expired, 1000);
  EXPECT_EQ(f.AccountNet("breakage"), 1000);
  EXPECT_EQ(f.Balance(card).balance, 0);
  f.ExpectInvariants();
}

// Same day of month N months later, clamped to the month's end.
TEST_F(ExpiryTest, MonthsAfterEarnClampsToTheMonthsEnd) {
  f.SetExpiryMonths(1);
  f.clock().Set(Utc(2026, 1, 31, 12));
  Posting e = Ok(f.Earn(shop, card, 10000));
  EXPECT_EQ(e.expires_at, Utc(2026, 2, 28, 12));
  f.clock().Set(Utc(2026, 2, 28, 12));
  EXPECT_EQ(Expire().points_expired, 1000);
  f.ExpectInvariants();
}

// End of the Nth calendar year in Europe/Berlin, N = 2: earned on 2026-05-10, the points
// expire at 2029-01-01 00:00 Berlin = 2028-12-31 23:00 UTC. The year of the earn is cut
// in Berlin too: 2026-12-31 23:00 UTC is already 2027 there.
TEST_F(ExpiryTest, EndOfYearInTheProgramsTimeZone) {
  EditProgram(f, [](ProgramRecord& p) {
    p.expiry_policy = expiry_policy::kEndOfYear;
    p.expiry_years = 2;
    p.time_zone = "Europe/Berlin";
  });
  const Micros end_2028 = Berlin(2029, 1, 1, 0);
  ASSERT_EQ(end_2028, Utc(2028, 12, 31, 23));
  const Micros end_2029 = Berlin(2030, 1, 1, 0);
  ASSERT_EQ(end_2029, Utc(2029, 12, 31, 23));

  f.clock().Set(Utc(2026, 5, 10, 12));
  Posting may = Ok(f.Earn(shop, card, 10000));
  EXPECT_EQ(may.expires_at, end_2028);
  EXPECT_EQ(f.LotField(f.LotOf(may), "expires_at"), end_2028);

  const std::string late = f.AddMember(shop);
  f.clock().Set(Utc(2026, 12, 31, 22, 59, 59));  // 23:59:59 in Berlin, still 2026
  EXPECT_EQ(Ok(f.Earn(shop, late, 5000)).expires_at, end_2028);

  const std::string next_year = f.AddMember(shop);
  f.clock().Set(Utc(2026, 12, 31, 23));  // 2027-01-01 00:00 in Berlin
  EXPECT_EQ(Ok(f.Earn(shop, next_year, 3000)).expires_at, end_2029);

  f.clock().Set(end_2028 - 1);
  EXPECT_EQ(Expire().lots_expired, 0);
  f.clock().Set(end_2028);
  ExpiryOutcome out = Expire();
  EXPECT_EQ(out.lots_expired, 2);
  EXPECT_EQ(out.points_expired, 1000 + 500);
  EXPECT_EQ(f.AccountNet("breakage"), 1500);
  EXPECT_EQ(f.Balance(card).balance, 0);
  EXPECT_EQ(f.Balance(late).balance, 0);
  EXPECT_EQ(f.Balance(next_year).balance, 300);

  f.clock().Set(end_2029);
  ExpiryOutcome later = Expire();
  EXPECT_EQ(later.lots_expired, 1);
  EXPECT_EQ(later.points_expired, 300);
  EXPECT_EQ(f.Balance(next_year).balance, 0);
  EXPECT_EQ(f.AccountNet("breakage"), 1800);
  f.ExpectInvariants();
}

TEST_F(ExpiryTest, ListExpiringNamesMembersWithinTheNextDays) {
  // 12 months after the earn; no leap day between, so every lot lives 365 days.
  Ok(f.Earn(shop, card, 10000));  // day 0 -> expires day 365
  const std::string soon = f.AddMember(shop);
  const std::string beyond = f.AddMember(shop);
  const std::string spent = f.AddMember(shop);
  Ok(f.Earn(shop, spent, 10000));  // day 0, but redeemed in full
  Ok(f.Redeem(shop, spent, 1000));
  f.clock().Set(kT0 + 19 * kDay);
  Ok(f.Earn(shop, soon, 5000));  // expires day 384
  f.clock().Set(kT0 + 21 * kDay);
  Ok(f.Earn(shop, beyond, 3000));  // expires day 386

  f.clock().Set(kT0 + 355 * kDay);  // card: 10 days left, soon: 29, beyond: 31
  std::vector<ExpiringRow> rows = Ok(f.ledger().ListExpiring(30, 0));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].member_id, f.Balance(card).member_id);
  EXPECT_EQ(rows[0].points, 1000);
  EXPECT_EQ(rows[0].first_expiry, kT0 + 365 * kDay);
  EXPECT_EQ(rows[1].member_id, f.Balance(soon).member_id);
  EXPECT_EQ(rows[1].points, 500);
  EXPECT_EQ(rows[1].first_expiry, kT0 + 384 * kDay);
  // Within 31 days + a bit, beyond joins.
  EXPECT_EQ(Ok(f.ledger().ListExpiring(32, 0)).size(), 3u);
  // limit bounds the list.
  EXPECT_EQ(Ok(f.ledger().ListExpiring(30, 1)).size(), 1u);
  ExpectError(f.ledger().ListExpiring(0, 0).status(), absl::StatusCode::kInvalidArgument,
              "within_days");
  ExpectError(f.ledger().ListExpiring(367, 0).status(), absl::StatusCode::kInvalidArgument,
              "within_days");
  f.ExpectInvariants();
}

class ExpiryPauseTest : public ExpiryTest {
 protected:
  void SetUp() override {
    bank = f.AddPartner("bank", 100, Role::kIssuer);
    ASSERT_TRUE(bank_ledger.LinkCard(bank, card, "tok-cobranded-1").ok());
    Ok(f.Earn(shop, card, 10000));     // linked: 1000
    Ok(f.Earn(shop, unlinked, 5000));  // not linked: 500
    f.clock().Set(kT0 + 366 * kDay);   // both past their 12 months
  }

  BankLedger bank_ledger{f.db().store(), &f.clock()};
  PartnerId bank = 0;
  std::string unlinked = f.AddMember(shop);
};

TEST_F(ExpiryPauseTest, PausedForAnActiveCoBrandedCardWhenTheProgramSaysSo) {
  EditProgram(f, [](ProgramRecord& p) { p.pause_expiry_for_cobranded = true; });
  ExpiryOutcome out = Expire();
  EXPECT_EQ(out.lots_expired, 1);
  EXPECT_EQ(out.points_expired, 500);
  EXPECT_EQ(f.Balance(card).balance, 1000);  // kept
  EXPECT_EQ(f.Balance(card).available, 1000);
  EXPECT_EQ(f.Balance(unlinked).balance, 0);
  EXPECT_EQ(f.AccountNet("breakage"), 500);
  // Kept points stay spendable.
  EXPECT_EQ(Ok(f.Redeem(shop, card, 100)).balance_after, 900);
  // Once the card is unlinked, expiry resumes.
  ASSERT_TRUE(bank_ledger.UnlinkCard(bank, "tok-cobranded-1").ok());
  ExpiryOutcome resumed = Expire();
  EXPECT_EQ(resumed.lots_expired, 1);
  EXPECT_EQ(resumed.points_expired, 900);
  EXPECT_EQ(f.Balance(card).balance, 0);
  EXPECT_EQ(f.AccountNet("breakage"), 1400);
  f.ExpectInvariants();
}

TEST_F(ExpiryPauseTest, NotPausedWhenTheProgramDoesNotSaySo) {
  ASSERT_FALSE(Ok(f.ledger().GetProgram()).pause_expiry_for_cobranded);
  ExpiryOutcome out = Expire();
  EXPECT_EQ(out.lots_expired, 2);
  EXPECT_EQ(out.points_expired, 1500);
  EXPECT_EQ(f.Balance(card).balance, 0);
  EXPECT_EQ(f.Balance(unlinked).balance, 0);
  EXPECT_EQ(f.AccountNet("breakage"), 1500);
  f.ExpectInvariants();
}

}  // namespace
}  // namespace loyalty::testing

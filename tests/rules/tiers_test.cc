// Tiers (issue 6, docs/program-rules.md): a member's tier follows its rolling 365-day
// coalition-wide spend, counting the amount of the earn being posted; the tier adds
// floor(base x (multiplier - 1)) to the earn; a nightly review demotes members whose
// spend aged out; GetBalance shows the tier, the spend and the next threshold.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/rules/rules_util.h"
#include "tests/support/test_db.h"
#include "tests/support/test_util.h"

namespace loyalty::testing {
namespace {

// Silver from 1,000.00 EUR at x1.25, Gold from 5,000.00 EUR at x1.5; the shop earns
// 10% (1 point per 10 cents), so base = floor(amount_minor / 10).
class TierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(
        f.ledger().SetTiers("ops", {{"Silver", kSilver, 12500}, {"Gold", kGold, 15000}}).ok());
  }
  Posting Quote(const std::string& c, int64_t amount) {
    return Ok(f.ledger().QuoteEarn(MakeEarn(shop, c, amount, "quote")));
  }

  static constexpr int64_t kSilver = 100000;
  static constexpr int64_t kGold = 500000;
  LedgerFixture f;
  PartnerId shop = f.AddPartner("grocery", 1000);
  PartnerId fuel = f.AddPartner("fuel", 1000);
  std::string card = f.AddMember(shop);
};

TEST_F(TierTest, SpendExactlyAtTheThresholdQualifiesOneCentBelowDoesNot) {
  Posting at = Ok(f.Earn(shop, card, kSilver));
  EXPECT_EQ(at.base_points, 10000);
  EXPECT_EQ(at.tier, "Silver");
  EXPECT_EQ(at.tier_bonus, 2500);
  EXPECT_EQ(at.points, 12500);  // the tier's extra is inside the earn's points
  EXPECT_EQ(at.balance_after, 12500);
  EXPECT_EQ(f.Balance(card).tier, "Silver");

  const std::string below_card = f.AddMember(shop);
  Posting below = Ok(f.Earn(shop, below_card, kSilver - 1));
  EXPECT_EQ(below.base_points, 9999);
  EXPECT_EQ(below.tier, "");
  EXPECT_EQ(below.tier_bonus, 0);
  EXPECT_EQ(below.points, 9999);
  EXPECT_EQ(f.Balance(below_card).tier, "");
  f.ExpectInvariants();
}

TEST_F(TierTest, TheEarnThatCrossesAThresholdAlreadyGetsTheNewMultiplier) {
  // Spend is coalition-wide: 600.00 at the fuel partner, then 400.00 at the shop.
  Posting first = Ok(f.Earn(fuel, card, 60000));
  EXPECT_EQ(first.tier, "");
  EXPECT_EQ(first.points, 6000);
  Posting crossing = Ok(f.Earn(shop, card, 40000));  // 60000 + 40000 = the threshold
  EXPECT_EQ(crossing.tier, "Silver");
  EXPECT_EQ(crossing.base_points, 4000);
  EXPECT_EQ(crossing.tier_bonus, 1000);
  EXPECT_EQ(crossing.points, 5000);

  // One cent short of the threshold after the earn: no tier.
  const std::string other = f.AddMember(shop);
  Ok(f.Earn(fuel, other, 60000));
  Posting short_of = Ok(f.Earn(shop, other, 39999));
  EXPECT_EQ(short_of.tier, "");
  EXPECT_EQ(short_of.tier_bonus, 0);
  EXPECT_EQ(short_of.points, 3999);

  // From Silver to Gold the same way: 4,000.00 (Silver) then 1,000.00 (= 5,000.00, Gold).
  const std::string third = f.AddMember(shop);
  Posting silver = Ok(f.Earn(shop, third, 400000));
  EXPECT_EQ(silver.tier, "Silver");
  EXPECT_EQ(silver.tier_bonus, 10000);
  Posting gold = Ok(f.Earn(shop, third, 100000));
  EXPECT_EQ(gold.tier, "Gold");
  EXPECT_EQ(gold.base_points, 10000);
  EXPECT_EQ(gold.tier_bonus, 5000);
  EXPECT_EQ(gold.points, 15000);
  EXPECT_EQ(f.Balance(third).tier, "Gold");
  f.ExpectInvariants();
}

TEST_F(TierTest, TheTiersExtraIsFloored) {
  Ok(f.Earn(shop, card, kSilver));  // Silver
  // QuoteEarn explains without posting.
  Posting quote = Quote(card, 1230);
  EXPECT_EQ(quote.base_points, 123);
  EXPECT_EQ(quote.tier, "Silver");
  EXPECT_EQ(quote.tier_bonus, 30);  // 123 x 0.25 = 30.75
  EXPECT_EQ(quote.points, 153);
  Posting e = Ok(f.Earn(shop, card, 1230));
  EXPECT_EQ(e.base_points, 123);
  EXPECT_EQ(e.tier_bonus, 30);
  EXPECT_EQ(e.points, 153);
  Posting small = Ok(f.Earn(shop, card, 30));  // base 3: 3 x 0.25 = 0.75 -> 0
  EXPECT_EQ(small.tier, "Silver");
  EXPECT_EQ(small.tier_bonus, 0);
  EXPECT_EQ(small.points, 3);
  EXPECT_EQ(f.Balance(card).balance, 12500 + 153 + 3);
  f.ExpectInvariants();
}

TEST_F(TierTest, SpendOlderThan365DaysDropsOut) {
  Ok(f.Earn(shop, card, kSilver));  // at kStart
  // Exactly 365 days later the earn is still inside the rolling year.
  f.clock().Set(LedgerFixture::kStart + 365 * kDay);
  EXPECT_EQ(f.Balance(card).spend_12m_minor, kSilver);
  Posting still = Quote(card, 1000);
  EXPECT_EQ(still.tier, "Silver");
  EXPECT_EQ(still.tier_bonus, 25);
  // One microsecond later it is older than 365 days and no longer counts.
  f.clock().Advance(1);
  EXPECT_EQ(f.Balance(card).spend_12m_minor, 0);
  Posting gone = Quote(card, 1000);
  EXPECT_EQ(gone.tier, "");
  EXPECT_EQ(gone.tier_bonus, 0);
  Posting e = Ok(f.Earn(shop, card, 1000));
  EXPECT_EQ(e.tier, "");
  EXPECT_EQ(e.tier_bonus, 0);
  EXPECT_EQ(e.points, 100);
  EXPECT_EQ(f.Balance(card).spend_12m_minor, 1000);
  f.ExpectInvariants();
}

// "Re-evaluated on each earn": an earn after the spend aged out below every threshold
// leaves the member without a tier, as the earn itself was computed.
TEST_F(TierTest, AnEarnBelowEveryThresholdClearsTheMembersTier) {
  Ok(f.Earn(shop, card, kSilver));
  EXPECT_EQ(f.Balance(card).tier, "Silver");
  f.clock().Set(LedgerFixture::kStart + 366 * kDay);
  Posting e = Ok(f.Earn(shop, card, 1000));
  EXPECT_EQ(e.tier, "");
  EXPECT_EQ(e.tier_bonus, 0);
  BalanceView v = f.Balance(card);
  EXPECT_EQ(v.spend_12m_minor, 1000);
  EXPECT_EQ(v.tier, "") << "the earn re-evaluated the tier to none, the member keeps 'Silver'";
  EXPECT_EQ(v.next_tier, "Silver");
  f.ExpectInvariants();
}

// docs/program-rules.md: "Spend is gross of returns: a returned purchase still counts
// toward the tier" (a documented choice).
// Tier spend is net of returns: a returned purchase stops counting, a partly returned one
// counts its amount less the returned share of its points (floored).
TEST_F(TierTest, SpendIsNetOfReturns) {
  Ok(f.Earn(shop, card, kSilver, "big"));
  Ok(f.Reverse(shop, "big", 0));  // returned in full
  BalanceView v = f.Balance(card);
  EXPECT_EQ(v.balance, 0);
  EXPECT_EQ(v.spend_12m_minor, 0);
  Posting e = Ok(f.Earn(shop, card, 1000));
  EXPECT_EQ(e.tier, "");
  EXPECT_EQ(e.tier_bonus, 0);

  // 100,000 cents -> 10,000 base + 2,500 Silver = 12,500 points; 5,001 of them returned:
  // 100,000 - floor(100,000 x 5,001 / 12,500) = 100,000 - 40,008 = 59,992 still count.
  Posting again = Ok(f.Earn(shop, card, kSilver, "again"));
  ASSERT_EQ(again.points, 12500);
  Ok(f.Reverse(shop, "again", 5001));
  EXPECT_EQ(f.Balance(card).spend_12m_minor, 1000 + 59992);
  // The next earn's tier counts the net spend: 60,992 + 38,000 is below Silver.
  Posting next = Ok(f.Earn(shop, card, 38000));
  EXPECT_EQ(next.tier, "");
  EXPECT_EQ(f.Balance(card).spend_12m_minor, 98992);
  f.ExpectInvariants();
}

TEST_F(TierTest, TierReviewDemotesMembersWhoseSpendAgedOut) {
  Ok(f.Earn(shop, card, kSilver));  // Silver at kStart
  const std::string never = f.AddMember(shop);
  Ok(f.Earn(shop, never, 50000));  // no tier at kStart
  const std::string recent = f.AddMember(shop);
  f.clock().Set(LedgerFixture::kStart + 200 * kDay);
  Ok(f.Earn(shop, recent, kSilver));  // Silver on day 200

  f.clock().Set(LedgerFixture::kStart + 366 * kDay);
  // Before the review the stored tier is still Silver, though the spend is gone.
  BalanceView before = f.Balance(card);
  EXPECT_EQ(before.tier, "Silver");
  EXPECT_EQ(before.spend_12m_minor, 0);

  // Reviewed: members holding a tier or who earned in the last year (card, recent);
  // `never` has neither.
  Ledger::TierReview review = Ok(f.ledger().RunTierReview());
  EXPECT_EQ(review.reviewed, 2);
  EXPECT_EQ(review.changed, 1);
  EXPECT_EQ(f.Balance(card).tier, "");
  EXPECT_EQ(f.Balance(recent).tier, "Silver");
  EXPECT_EQ(f.Balance(never).tier, "");

  Ledger::TierReview again = Ok(f.ledger().RunTierReview());
  EXPECT_EQ(again.reviewed, 1);  // only `recent` still qualifies for a look
  EXPECT_EQ(again.changed, 0);
  f.ExpectInvariants();
}

TEST_F(TierTest, BalanceShowsTierSpendAndTheNextThreshold) {
  BalanceView none = f.Balance(card);
  EXPECT_EQ(none.tier, "");
  EXPECT_EQ(none.spend_12m_minor, 0);
  EXPECT_EQ(none.next_tier, "Silver");
  EXPECT_EQ(none.next_tier_threshold_minor, kSilver);

  Ok(f.Earn(shop, card, 120000));
  BalanceView silver = f.Balance(card);
  EXPECT_EQ(silver.tier, "Silver");
  EXPECT_EQ(silver.spend_12m_minor, 120000);
  EXPECT_EQ(silver.next_tier, "Gold");
  EXPECT_EQ(silver.next_tier_threshold_minor, kGold);

  Ok(f.Earn(fuel, card, 380000));  // 500000: exactly Gold
  BalanceView gold = f.Balance(card);
  EXPECT_EQ(gold.tier, "Gold");
  EXPECT_EQ(gold.spend_12m_minor, kGold);
  EXPECT_EQ(gold.next_tier, "");  // the top tier
  EXPECT_EQ(gold.next_tier_threshold_minor, 0);
  f.ExpectInvariants();
}

TEST_F(TierTest, SetTiersValidatesAndListTiersIsByThreshold) {
  std::vector<TierRow> tiers = Ok(f.ledger().ListTiers());
  ASSERT_EQ(tiers.size(), 2u);
  EXPECT_EQ(tiers[0].name, "Silver");
  EXPECT_EQ(tiers[1].name, "Gold");
  ExpectError(f.ledger().SetTiers("ops", {{"A", 100, 11000}, {"A", 200, 12000}}),
              absl::StatusCode::kInvalidArgument, "tiers.name");
  ExpectError(f.ledger().SetTiers("ops", {{"A", 100, 11000}, {"B", 100, 12000}}),
              absl::StatusCode::kInvalidArgument, "tiers.threshold_minor");
  ExpectError(f.ledger().SetTiers("ops", {{"A", -1, 11000}}), absl::StatusCode::kInvalidArgument,
              "tiers.threshold_minor");
  ExpectError(f.ledger().SetTiers("ops", {{"A", 100, 9999}}), absl::StatusCode::kInvalidArgument,
              "tiers.multiplier_bp");
  ExpectError(f.ledger().SetTiers("ops", {{"A", 100, 100001}}), absl::StatusCode::kInvalidArgument,
              "tiers.multiplier_bp");
  EXPECT_EQ(Ok(f.ledger().ListTiers()).size(), 2u);  // failures changed nothing
  // Given in any order, listed by threshold.
  ASSERT_TRUE(f.ledger().SetTiers("ops", {{"Gold", kGold, 15000}, {"Base", 0, 10000}}).ok());
  tiers = Ok(f.ledger().ListTiers());
  ASSERT_EQ(tiers.size(), 2u);
  EXPECT_EQ(tiers[0].name, "Base");
  EXPECT_EQ(tiers[1].name, "Gold");
  // A zero threshold tier holds from the first cent; x1 adds nothing.
  Posting e = Ok(f.Earn(shop, card, 1000));
  EXPECT_EQ(e.tier, "Base");
  EXPECT_EQ(e.tier_bonus, 0);
  f.ExpectInvariants();
}

}  // namespace
}  // namespace loyalty::testing

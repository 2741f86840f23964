// Promotions (issue 6, docs/program-rules.md): a time window [starts_at, ends_at), a
// scope (partner, category, tier, all), a minimum spend, and a kind (multiplier, fixed,
// stamp card, cross-partner). Each bonus is its own 'bonus' txn and lot funded by the
// promotion's creator; the Earn answer lists them; reversals take them back in step.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/ledger/earn_rules.h"
#include "tests/rules/rules_util.h"
#include "tests/support/test_db.h"
#include "tests/support/test_util.h"

namespace loyalty::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr Micros kHour = 3600 * kSecond;

// Two merchants earning 10% (base = floor(amount_minor / 10)) and a member.
class PromotionTest : public ::testing::Test {
 protected:
  PromotionRow Create(PromotionRow p) {
    auto r = f.ledger().CreatePromotion("ops", p);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : PromotionRow{};
  }
  // The ids of the promotions an earn lists, in order.
  static std::vector<int64_t> Ids(const Posting& e) {
    std::vector<int64_t> out;
    for (const Posting::Bonus& b : e.bonuses) out.push_back(b.promotion_id);
    return out;
  }
  static std::vector<Points> BonusPoints(const Posting& e) {
    std::vector<Points> out;
    for (const Posting::Bonus& b : e.bonuses) out.push_back(b.points);
    return out;
  }
  // The reversed points of the bonus txn `promotion` paid for `earn`.
  Points BonusReversed(const Posting& earn, const PromotionRow& promotion) {
    return f.Query(absl::StrCat(
        "SELECT t.reversed_points FROM txns t JOIN promotion_awards a ON a.bonus_txn_id = t.id "
        "WHERE a.earn_txn_id = ",
        earn.txn_id, " AND a.promotion_id = ", promotion.id));
  }

  // An earn of `amount_minor` posted now for a sale at `occurred_at`.
  Posting EarnAt(PartnerId partner, int64_t amount_minor, Micros occurred_at,
                 std::string txn_id = "") {
    EarnParams e = MakeEarn(partner, card, amount_minor, std::move(txn_id));
    if (e.req.partner_txn_id.empty()) e.req.partner_txn_id = absl::StrCat("at-", ++sales_);
    e.req.occurred_at = occurred_at;
    return Ok(f.ledger().Earn(e));
  }

  int sales_ = 0;
  static constexpr Micros kT0 = LedgerFixture::kStart;
  LedgerFixture f;
  PartnerId shop = f.AddPartner("grocery", 1000);
  PartnerId fuel = f.AddPartner("fuel", 1000);
  std::string card = f.AddMember(shop);
};

// Window edges in the program's time zone: a promotion for the Berlin weekend of
// 17-18 January 2026 starts at Saturday 00:00 Berlin (= Friday 23:00 UTC) and ends,
// exclusively, at Monday 00:00 Berlin.
TEST_F(PromotionTest, WindowStartsInclusiveAndEndsExclusive) {
  EditProgram(f, [](ProgramRecord& p) { p.time_zone = "Europe/Berlin"; });
  const Micros starts = Berlin(2026, 1, 17, 0);
  const Micros ends = Berlin(2026, 1, 19, 0);
  ASSERT_EQ(starts, Utc(2026, 1, 16, 23));
  ASSERT_EQ(ends, Utc(2026, 1, 18, 23));
  PromotionRow weekend = Create(FixedPromo("Weekend", 50, starts, ends));

  f.clock().Set(starts - 1);
  EXPECT_THAT(Ok(f.Earn(shop, card, 1000)).bonuses, IsEmpty());
  f.clock().Set(starts);
  Posting first = Ok(f.Earn(shop, card, 1000));
  EXPECT_THAT(Ids(first), ElementsAre(weekend.id));
  EXPECT_THAT(BonusPoints(first), ElementsAre(50));
  f.clock().Set(ends - 1);
  EXPECT_THAT(Ids(Ok(f.Earn(shop, card, 1000))), ElementsAre(weekend.id));
  f.clock().Set(ends);
  EXPECT_THAT(Ok(f.Earn(shop, card, 1000)).bonuses, IsEmpty());
  EXPECT_EQ(f.Balance(card).balance, 4 * 100 + 2 * 50);
  f.ExpectInvariants();
}

TEST_F(PromotionTest, ScopeSelectsPartnerCategoryTierOrAll) {
  ASSERT_TRUE(f.ledger().SetTiers("ops", {{"Silver", 100000, 10000}}).ok());
  PromotionRow p_partner = FixedPromo("At the shop", 11, kT0, kT0 + 30 * kDay);
  p_partner.scope = "partner";
  p_partner.scope_value = absl::StrCat(shop);
  p_partner = Create(p_partner);
  PromotionRow p_category = FixedPromo("Fuel category", 22, kT0, kT0 + 30 * kDay);
  p_category.scope = "category";
  p_category.scope_value = "fuel";
  p_category = Create(p_category);
  PromotionRow p_tier = FixedPromo("Silver members", 33, kT0, kT0 + 30 * kDay);
  p_tier.scope = "tier";
  p_tier.scope_value = "Silver";
  p_tier = Create(p_tier);
  PromotionRow p_all = Create(FixedPromo("Everyone", 44, kT0, kT0 + 30 * kDay));

  // No tier yet.
  Posting at_shop = Ok(f.Earn(shop, card, 1000));
  EXPECT_THAT(Ids(at_shop), ElementsAre(p_partner.id, p_all.id));
  EXPECT_THAT(BonusPoints(at_shop), ElementsAre(11, 44));
  Posting at_fuel = Ok(f.Earn(fuel, card, 1000));
  EXPECT_THAT(Ids(at_fuel), ElementsAre(p_category.id, p_all.id));
  // The earn that reaches Silver is already in the Silver scope (1000 + 1000 + 98000).
  Posting silver = Ok(f.Earn(fuel, card, 98000));
  EXPECT_EQ(silver.tier, "Silver");
  EXPECT_THAT(Ids(silver), ElementsAre(p_category.id, p_tier.id, p_all.id));
  EXPECT_THAT(BonusPoints(silver), ElementsAre(22, 33, 44));
  Posting silver_shop = Ok(f.Earn(shop, card, 1000));
  EXPECT_THAT(Ids(silver_shop), ElementsAre(p_partner.id, p_tier.id, p_all.id));
  f.ExpectInvariants();
}

TEST_F(PromotionTest, MinimumSpendIsInclusive) {
  PromotionRow p = FixedPromo("Spend 50", 10, kT0, kT0 + kDay);
  p.min_spend_minor = 5000;
  p = Create(p);
  EXPECT_THAT(Ok(f.Earn(shop, card, 4999)).bonuses, IsEmpty());
  Posting at = Ok(f.Earn(shop, card, 5000));
  EXPECT_THAT(Ids(at), ElementsAre(p.id));
  EXPECT_THAT(BonusPoints(at), ElementsAre(10));
  f.ExpectInvariants();
}

TEST_F(PromotionTest, MultiplierExtraIsFlooredOnBase) {
  PromotionRow p = Create(MultiplierPromo("Half again", 15000, kT0, kT0 + kDay));
  Posting e = Ok(f.Earn(shop, card, 1230));  // base 123: 123 x 0.5 = 61.5
  EXPECT_EQ(e.points, 123);                  // the bonus is not inside the earn's points
  EXPECT_THAT(Ids(e), ElementsAre(p.id));
  EXPECT_THAT(BonusPoints(e), ElementsAre(61));
  EXPECT_EQ(e.balance_after, 184);
  // Base 1: 0.5 floors to 0, and a zero bonus is not posted at all.
  Posting tiny = Ok(f.Earn(shop, card, 10));
  EXPECT_THAT(tiny.bonuses, IsEmpty());
  EXPECT_EQ(f.Query(absl::StrCat("SELECT COUNT(*) FROM txns WHERE kind = 'bonus' AND "
                                 "original_txn_id = ",
                                 tiny.txn_id)),
            0);
  f.ExpectInvariants();
}

TEST_F(PromotionTest, FixedBonusOnEveryEarnIncludingStatedPoints) {
  PromotionRow p = Create(FixedPromo("Plus 75", 75, kT0, kT0 + kDay));
  Posting e = Ok(f.Earn(shop, card, 1000));
  EXPECT_EQ(e.points, 100);
  EXPECT_THAT(BonusPoints(e), ElementsAre(75));
  EXPECT_EQ(e.balance_after, 175);
  Posting stated = Ok(f.EarnPoints(shop, card, 7));
  EXPECT_EQ(stated.points, 7);
  EXPECT_THAT(Ids(stated), ElementsAre(p.id));
  EXPECT_EQ(stated.balance_after, 175 + 7 + 75);
  f.ExpectInvariants();
}

TEST_F(PromotionTest, StampCardPaysExactlyEveryNthEarnAtItsPartner) {
  Ok(f.Earn(shop, card, 1000));  // before the promotion: not a stamp
  PromotionRow p = Promo("Third coffee", promotion_kind::kStamp, kT0 + kHour, kT0 + 30 * kDay);
  p.scope = "partner";
  p.scope_value = absl::StrCat(shop);
  p.every_n = 3;
  p.bonus_points = 200;
  p = Create(p);
  f.clock().Set(kT0 + kHour);

  std::vector<bool> paid;
  for (int n = 1; n <= 7; ++n) {
    if (n == 2) {  // an earn elsewhere in between is not a stamp at the shop
      EXPECT_THAT(Ok(f.Earn(fuel, card, 1000)).bonuses, IsEmpty());
    }
    f.clock().Advance(kSecond);
    Posting e = Ok(f.Earn(shop, card, 1000));
    paid.push_back(!e.bonuses.empty());
    if (!e.bonuses.empty()) {
      EXPECT_EQ(e.bonuses[0].promotion_id, p.id);
      EXPECT_EQ(e.bonuses[0].points, 200);
    }
  }
  // Stamps 1..7: the 3rd and 6th pay, the 2nd and 5th (N-1) do not.
  EXPECT_THAT(paid, ElementsAre(false, false, true, false, false, true, false));
  EXPECT_EQ(
      f.Query(absl::StrCat("SELECT COUNT(*) FROM promotion_awards WHERE promotion_id = ", p.id)),
      2);

  // A stamp card belongs to one partner and needs N >= 2.
  PromotionRow everywhere = p;
  everywhere.scope = "all";
  ExpectError(f.ledger().CreatePromotion("ops", everywhere).status(),
              absl::StatusCode::kInvalidArgument, "promotion.scope");
  PromotionRow every_one = p;
  every_one.every_n = 1;
  ExpectError(f.ledger().CreatePromotion("ops", every_one).status(),
              absl::StatusCode::kInvalidArgument, "promotion.every_n");
  f.ExpectInvariants();
}

TEST_F(PromotionTest, CrossPartnerPaysOnceAtTheKthDistinctPartnerWithinTheWindow) {
  const PartnerId cinema = f.AddPartner("cinema", 1000);
  const PartnerId books = f.AddPartner("books", 1000);
  PromotionRow p =
      Promo("Three partners", promotion_kind::kCrossPartner, kT0 - kDay, kT0 + 60 * kDay);
  p.distinct_partners = 3;
  p.window_days = 7;
  p.bonus_points = 500;
  p = Create(p);

  EXPECT_THAT(Ok(f.Earn(shop, card, 1000)).bonuses, IsEmpty());  // day 0: shop
  f.clock().Set(kT0 + 8 * kDay);
  // Day 8: the shop (day 0) is outside the 7-day window; fuel is the 1st.
  EXPECT_THAT(Ok(f.Earn(fuel, card, 1000)).bonuses, IsEmpty());
  f.clock().Set(kT0 + 9 * kDay);
  EXPECT_THAT(Ok(f.Earn(cinema, card, 1000)).bonuses, IsEmpty());  // 2nd
  f.clock().Advance(kHour);
  EXPECT_THAT(Ok(f.Earn(cinema, card, 1000)).bonuses, IsEmpty());  // the same 2nd again
  f.clock().Set(kT0 + 10 * kDay);
  Posting third = Ok(f.Earn(shop, card, 1000));  // 3rd distinct within the window
  EXPECT_THAT(Ids(third), ElementsAre(p.id));
  EXPECT_THAT(BonusPoints(third), ElementsAre(500));
  f.clock().Set(kT0 + 11 * kDay);
  EXPECT_THAT(Ok(f.Earn(books, card, 1000)).bonuses, IsEmpty());  // once, never again
  f.clock().Set(kT0 + 40 * kDay);
  Ok(f.Earn(shop, card, 1000));
  Ok(f.Earn(fuel, card, 1000));
  EXPECT_THAT(Ok(f.Earn(cinema, card, 1000)).bonuses, IsEmpty());
  EXPECT_EQ(
      f.Query(absl::StrCat("SELECT COUNT(*) FROM promotion_awards WHERE promotion_id = ", p.id)),
      1);
  f.ExpectInvariants();
}

// Stacking order (hub/ledger/earn_rules.h): base points first; the tier adds
// floor(base x (multiplier - 1)); then each matching promotion, in promotion id order,
// is evaluated on the base points alone (promotions never compound each other or the
// tier). The partner's caps bound base + tier bonus; promotion bonuses are separate
// lots funded by each promotion's creator and are not capped.
TEST_F(PromotionTest, StackingTierAndTwoPromotionsEachOnBase) {
  ASSERT_TRUE(f.ledger().SetTiers("ops", {{"Silver", 10000, 12500}}).ok());
  PromotionRow by_fuel = MultiplierPromo("Ten percent more", 11000, kT0, kT0 + kDay);
  by_fuel.funder_id = fuel;  // a partner funds it
  by_fuel = Create(by_fuel);
  PromotionRow by_operator = Create(FixedPromo("Fifty on top", 50, kT0, kT0 + kDay));

  const EarnParams params = MakeEarn(shop, card, 20030, "stack-1");
  Posting quote = Ok(f.ledger().QuoteEarn(params));
  Posting e = Ok(f.ledger().Earn(params));
  for (const Posting* p : {&quote, &e}) {
    EXPECT_EQ(p->base_points, 2003);
    EXPECT_EQ(p->tier, "Silver");
    EXPECT_EQ(p->tier_bonus, 500);  // 2003 x 0.25 = 500.75
    EXPECT_EQ(p->points, 2503);     // base + tier
    ASSERT_EQ(p->bonuses.size(), 2u);
    EXPECT_EQ(p->bonuses[0].promotion_id, by_fuel.id);
    EXPECT_EQ(p->bonuses[0].name, "Ten percent more");
    EXPECT_EQ(p->bonuses[0].points, 200);  // on base 2003, not on 2503 (which gives 250)
    EXPECT_EQ(p->bonuses[0].funder_id, fuel);
    EXPECT_EQ(p->bonuses[1].promotion_id, by_operator.id);
    EXPECT_EQ(p->bonuses[1].name, "Fifty on top");
    EXPECT_EQ(p->bonuses[1].points, 50);
    EXPECT_EQ(p->bonuses[1].funder_id, kOperatorId);
  }
  EXPECT_EQ(e.balance_after, 2503 + 200 + 50);

  // Separate 'bonus' txns and lots, each funded by its promotion's funder.
  EXPECT_EQ(f.Query(absl::StrCat("SELECT COUNT(*) FROM lots WHERE member_id = ", e.member_id)), 3);
  EXPECT_EQ(f.Query(absl::StrCat("SELECT COUNT(*) FROM txns WHERE kind = 'bonus' AND "
                                 "original_txn_id = ",
                                 e.txn_id)),
            2);
  auto lot_field = [&](const std::string& col, const PromotionRow& p) {
    return f.Query(absl::StrCat("SELECT l.", col,
                                " FROM lots l JOIN promotion_awards a ON a.bonus_txn_id = "
                                "l.earn_txn_id WHERE a.promotion_id = ",
                                p.id, " AND a.earn_txn_id = ", e.txn_id));
  };
  EXPECT_EQ(lot_field("funder_id", by_fuel), fuel);
  EXPECT_EQ(lot_field("points", by_fuel), 200);
  EXPECT_EQ(lot_field("funder_id", by_operator), kOperatorId);
  EXPECT_EQ(lot_field("points", by_operator), 50);
  EXPECT_EQ(f.LotField(f.LotOf(e), "funder_id"), shop);
  EXPECT_EQ(f.LotField(f.LotOf(e), "points"), 2503);
  auto bonus_txn_partner = [&](const PromotionRow& p) {
    return f.Query(absl::StrCat(
        "SELECT t.partner_id FROM txns t JOIN promotion_awards a ON a.bonus_txn_id = t.id "
        "WHERE t.kind = 'bonus' AND a.promotion_id = ",
        p.id));
  };
  EXPECT_EQ(bonus_txn_partner(by_fuel), fuel);
  EXPECT_EQ(bonus_txn_partner(by_operator), kOperatorId);
  // The journal charges each funder.
  EXPECT_EQ(f.AccountNet(absl::StrCat("partner_issued:", shop)), -2503);
  EXPECT_EQ(f.AccountNet(absl::StrCat("partner_issued:", fuel)), -200);
  EXPECT_EQ(f.AccountNet(absl::StrCat("partner_issued:", kOperatorId)), -50);

  // An exact retry replays the same breakdown and writes nothing.
  const int64_t txns = f.Rows("txns");
  const int64_t lots = f.Rows("lots");
  Posting again = Ok(f.ledger().Earn(params));
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.txn_id, e.txn_id);
  EXPECT_EQ(again.points, 2503);
  EXPECT_EQ(again.base_points, 2003);
  EXPECT_EQ(again.tier, "Silver");
  EXPECT_EQ(again.tier_bonus, 500);
  EXPECT_EQ(again.balance_after, e.balance_after);
  EXPECT_EQ(again.expires_at, e.expires_at);
  ASSERT_EQ(again.bonuses.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(again.bonuses[i].promotion_id, e.bonuses[i].promotion_id);
    EXPECT_EQ(again.bonuses[i].name, e.bonuses[i].name);
    EXPECT_EQ(again.bonuses[i].points, e.bonuses[i].points);
    EXPECT_EQ(again.bonuses[i].funder_id, e.bonuses[i].funder_id);
  }
  EXPECT_EQ(f.Rows("txns"), txns);
  EXPECT_EQ(f.Rows("lots"), lots);
  f.ExpectInvariants();
}

// The example of docs/program-rules.md: a Silver member (x1.25) earns 125.00 EUR at a
// 1% grocer during a grocer-funded "double points" of that grocer and a fixed +50
// coalition promotion: base 125, tier +31 (floor 31.25), double +125 (on base), fixed
// +50 -> 156 points on the grocer's lot, 125 on a grocer-funded lot, 50 operator-funded.
TEST_F(PromotionTest, TheDocumentedExample) {
  ASSERT_TRUE(f.ledger().SetTiers("ops", {{"Silver", 10000, 12500}}).ok());
  const PartnerId grocer = f.AddPartner("grocer", 100);
  PromotionRow dbl = MultiplierPromo("Double points", 20000, kT0, kT0 + kDay);
  dbl.scope = "partner";
  dbl.scope_value = absl::StrCat(grocer);
  dbl.funder_id = grocer;
  dbl = Create(dbl);
  PromotionRow fifty = Create(FixedPromo("Plus fifty", 50, kT0, kT0 + kDay));
  Posting e = Ok(f.Earn(grocer, card, 12500));
  EXPECT_EQ(e.base_points, 125);
  EXPECT_EQ(e.tier, "Silver");
  EXPECT_EQ(e.tier_bonus, 31);
  EXPECT_EQ(e.points, 156);
  EXPECT_THAT(Ids(e), ElementsAre(dbl.id, fifty.id));
  EXPECT_THAT(BonusPoints(e), ElementsAre(125, 50));
  EXPECT_EQ(e.balance_after, 331);
  EXPECT_EQ(f.LotField(f.LotOf(e), "points"), 156);
  EXPECT_EQ(f.LotField(f.LotOf(e), "funder_id"), grocer);
  EXPECT_EQ(f.Query(absl::StrCat("SELECT COUNT(*) FROM lots WHERE member_id = ", e.member_id,
                                 " AND funder_id = ", grocer, " AND points = 125")),
            1);
  EXPECT_EQ(f.Query(absl::StrCat("SELECT COUNT(*) FROM lots WHERE member_id = ", e.member_id,
                                 " AND funder_id = 0 AND points = 50")),
            1);
  f.ExpectInvariants();
}

TEST_F(PromotionTest, PartnerCapsBoundBaseAndTierButNotPromotions) {
  ASSERT_TRUE(f.ledger().SetTiers("ops", {{"Silver", 10000, 12500}}).ok());
  PartnerRecord capped;
  capped.category = "capped";
  capped.earn_rate_bp = 1000;
  capped.max_points_per_txn = 2100;
  const PartnerId cap = AddPartnerRecord(f, capped);
  Create(MultiplierPromo("Ten percent more", 11000, kT0, kT0 + kDay));
  Create(FixedPromo("Fifty on top", 50, kT0, kT0 + kDay));
  Posting e = Ok(f.Earn(cap, card, 20030, "capped-1"));
  EXPECT_EQ(e.base_points, 2003);
  EXPECT_EQ(e.points, 2100);    // min(2003 + 500, 2100)
  EXPECT_EQ(e.tier_bonus, 97);  // the breakdown adds up to what was credited
  EXPECT_TRUE(e.capped);
  EXPECT_EQ(e.uncapped_points, 2503);
  EXPECT_THAT(BonusPoints(e), ElementsAre(200, 50));
  EXPECT_EQ(e.balance_after, 2100 + 200 + 50);
  // A retry explains it the same way.
  Posting again = Ok(f.Earn(cap, card, 20030, "capped-1"));
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.base_points, 2003);
  EXPECT_EQ(again.tier_bonus, 97);
  EXPECT_TRUE(again.capped);
  EXPECT_EQ(again.uncapped_points, 2503);
  f.ExpectInvariants();
}

// An amount typed wrong at a till (999,999,999,999,999 cents): the partner's cap takes
// the base, the breakdown says so and adds up, and a multiplier promotion pays on the
// base as credited, not on ten trillion points.
TEST_F(PromotionTest, ATypoAtTheTillIsCappedAndExplained) {
  PartnerRecord capped;
  capped.category = "capped";
  capped.earn_rate_bp = 1000;
  capped.max_points_per_txn = 100000;
  const PartnerId cap = AddPartnerRecord(f, capped);
  Create(MultiplierPromo("Ten percent more", 11000, kT0, kT0 + kDay));
  Posting e = Ok(f.Earn(cap, card, 999'999'999'999'999));
  EXPECT_EQ(e.points, 100000);
  EXPECT_EQ(e.base_points, 100000);
  EXPECT_EQ(e.tier_bonus, 0);
  EXPECT_TRUE(e.capped);
  EXPECT_EQ(e.uncapped_points, 99'999'999'999'999);
  EXPECT_THAT(BonusPoints(e), ElementsAre(10000));
  EXPECT_EQ(e.balance_after, 110000);
  f.ExpectInvariants();
}

// The program's own limits on every earn: the most spend one earn may carry and the
// earns of a member's cards an hour. Past either, FAILED_PRECONDITION names the limit
// and nothing is written; an hour later the card earns again.
TEST_F(PromotionTest, ProgramLimitsRefuseTooLargeOrTooFrequentEarns) {
  EditProgram(f, [](ProgramRecord& p) {
    p.max_earn_amount_minor = 1'000'000;  // 10,000.00 EUR
    p.max_earns_per_card_hour = 3;
  });
  const int64_t txns = f.Rows("txns");
  absl::StatusOr<Posting> big = f.Earn(shop, card, 999'999'999'999'999);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(big.status().message()),
              HasSubstr("amount.amount_minor: 999999999999999 is more than the program's limit "
                        "of 1000000 per earn (max_earn_amount_minor)"));
  EXPECT_EQ(f.Rows("txns"), txns);
  ASSERT_TRUE(f.Earn(shop, card, 1'000'000).ok());  // the limit itself is allowed
  ASSERT_TRUE(f.Earn(fuel, card, 1000).ok());       // at any partner
  ASSERT_TRUE(f.Earn(shop, card, 1000).ok());
  absl::StatusOr<Posting> fourth = f.Earn(shop, card, 1000);
  ASSERT_FALSE(fourth.ok());
  EXPECT_EQ(fourth.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(fourth.status().message()),
              HasSubstr("card_number: 3 earns in the last hour reach the program's limit of 3 "
                        "(max_earns_per_card_hour)"));
  f.clock().Advance(kHour + kSecond);
  EXPECT_TRUE(f.Earn(shop, card, 1000).ok());
  f.ExpectInvariants();
}

TEST_F(PromotionTest, EndPromotionStopsIt) {
  PromotionRow p = Create(FixedPromo("Until further notice", 30, kT0, kT0 + 30 * kDay));
  EXPECT_THAT(Ids(Ok(f.Earn(shop, card, 1000))), ElementsAre(p.id));
  f.clock().Advance(kHour);
  PromotionRow ended = Ok(f.ledger().EndPromotion("ops", p.id));
  EXPECT_EQ(ended.id, p.id);
  EXPECT_TRUE(ended.ended);
  EXPECT_EQ(ended.ends_at, kT0 + kHour);
  EXPECT_THAT(Ok(f.ledger().ListPromotions(false)), IsEmpty());
  std::vector<PromotionRow> all = Ok(f.ledger().ListPromotions(true));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_TRUE(all[0].ended);
  EXPECT_THAT(Ok(f.Earn(shop, card, 1000)).bonuses, IsEmpty());
  f.clock().Advance(kSecond);
  EXPECT_THAT(Ok(f.Earn(shop, card, 1000)).bonuses, IsEmpty());
  ExpectError(f.ledger().EndPromotion("ops", p.id + 1000).status(), absl::StatusCode::kNotFound,
              "promotion_id");
  EXPECT_EQ(f.Balance(card).balance, 3 * 100 + 30);
  f.ExpectInvariants();
}

// An earn reversal takes the bonuses back in step: after the reversals total R of the
// earn's E points, each bonus B is reversed to floor(B x R / E), and fully with the last.
TEST_F(PromotionTest, EarnReversalReversesBonusesProportionally) {
  PromotionRow fixed = Create(FixedPromo("Ninety-nine", 99, kT0, kT0 + kDay));
  PromotionRow mult = MultiplierPromo("Half again", 15000, kT0, kT0 + kDay);
  mult.funder_id = fuel;
  mult = Create(mult);
  Posting e = Ok(f.Earn(shop, card, 10000, "e-1"));  // 1000 + bonuses 99 and 500
  ASSERT_EQ(e.balance_after, 1599);

  // 1 of 1000: floor(99 / 1000) = floor(500 / 1000) = 0, the bonuses stay.
  Posting r1 = Ok(f.Reverse(shop, "e-1", 1));
  EXPECT_EQ(r1.points, 1);
  EXPECT_EQ(r1.balance_after, 1598);
  EXPECT_EQ(BonusReversed(e, fixed), 0);
  EXPECT_EQ(BonusReversed(e, mult), 0);
  // 300 of 1000 in all: 99 x 0.3 = 29.7 -> 29; 500 x 0.3 = 150.
  Posting r2 = Ok(f.Reverse(shop, "e-1", 299));
  EXPECT_EQ(r2.points, 299);
  EXPECT_EQ(r2.balance_after, 1598 - 299 - 29 - 150);
  EXPECT_EQ(BonusReversed(e, fixed), 29);
  EXPECT_EQ(BonusReversed(e, mult), 150);
  // 633 of 1000: 62.667 -> 62; 316.5 -> 316.
  Posting r3 = Ok(f.Reverse(shop, "e-1", 333));
  EXPECT_EQ(r3.balance_after, 1120 - 333 - (62 - 29) - (316 - 150));
  EXPECT_EQ(BonusReversed(e, fixed), 62);
  EXPECT_EQ(BonusReversed(e, mult), 316);
  // The rest: the last point takes every bonus point with it.
  Posting r4 = Ok(f.Reverse(shop, "e-1", 0));
  EXPECT_EQ(r4.points, 367);
  EXPECT_EQ(r4.balance_after, 0);
  EXPECT_EQ(r4.debt_created, 0);
  EXPECT_EQ(BonusReversed(e, fixed), 99);
  EXPECT_EQ(BonusReversed(e, mult), 500);
  // Each funder gets its points back.
  EXPECT_EQ(f.AccountNet(absl::StrCat("partner_issued:", shop)), 0);
  EXPECT_EQ(f.AccountNet(absl::StrCat("partner_issued:", fuel)), 0);
  EXPECT_EQ(f.AccountNet(absl::StrCat("partner_issued:", kOperatorId)), 0);
  BalanceView v = f.Balance(card);
  EXPECT_EQ(v.balance, 0);
  EXPECT_EQ(v.debt, 0);

  // A full reversal at once takes everything.
  Posting e2 = Ok(f.Earn(shop, card, 10000, "e-2"));
  ASSERT_EQ(e2.balance_after, 1599);
  Posting full = Ok(f.Reverse(shop, "e-2", 0));
  EXPECT_EQ(full.points, 1000);
  EXPECT_EQ(full.balance_after, 0);
  EXPECT_EQ(BonusReversed(e2, fixed), 99);
  EXPECT_EQ(BonusReversed(e2, mult), 500);
  f.ExpectInvariants();
}

// Promotions are judged at the sale's occurred_at when the till sends it within the
// back-dating window (7 days, kRulesBackdatingWindow): a sale queued offline during a
// promotion keeps it, one sent later than the window, a time in the future or no time
// at all is judged at the hub's now.
TEST_F(PromotionTest, ABackDatedEarnIsJudgedWhenTheSaleHappened) {
  PromotionRow day = Create(FixedPromo("One day", 50, kT0, kT0 + kDay));
  PromotionRow ended = Create(FixedPromo("Ended early", 7, kT0, kT0 + 30 * kDay));
  // A till clock ahead of the hub's: judged at the hub's now.
  f.clock().Set(kT0 + kHour);
  EXPECT_THAT(Ids(EarnAt(shop, 1000, kT0 + 3 * kDay)), ElementsAre(day.id, ended.id));
  f.clock().Set(kT0 + 2 * kHour);
  ASSERT_EQ(Ok(f.ledger().EndPromotion("ops", ended.id)).ends_at, kT0 + 2 * kHour);

  f.clock().Set(kT0 + 2 * kDay);  // both are over
  EXPECT_THAT(Ids(EarnAt(shop, 1000, kT0 + kHour)), ElementsAre(day.id, ended.id));
  EXPECT_THAT(Ids(EarnAt(shop, 1000, kT0 + 3 * kHour)), ElementsAre(day.id));
  EXPECT_THAT(EarnAt(shop, 1000, kT0 + kDay).bonuses, IsEmpty());  // the end is exclusive
  EXPECT_THAT(Ok(f.Earn(shop, card, 1000)).bonuses, IsEmpty());    // no time: now
  EXPECT_THAT(EarnAt(shop, 1000, kT0 - kHour).bonuses, IsEmpty());  // before the start

  // Seven days back is the limit: a second more and the sale is judged at now.
  f.clock().Set(kT0 + kHour + kRulesBackdatingWindow);
  EXPECT_THAT(Ids(EarnAt(shop, 1000, kT0 + kHour)), ElementsAre(day.id, ended.id));
  f.clock().Advance(kSecond);
  EXPECT_THAT(EarnAt(shop, 1000, kT0 + kHour).bonuses, IsEmpty());
  EXPECT_EQ(f.Balance(card).balance, 8 * 100 + 3 * 57 + 50);
  f.ExpectInvariants();
}

// Reversing an earn whose bonus was already spent: the bonus's reversal has no cover
// either, and its debt (owed to the promotion's funder) is part of debt_created.
TEST_F(PromotionTest, DebtFromAReversedBonusShowsInDebtCreated) {
  PromotionRow fixed = Create(FixedPromo("Ninety-nine", 99, kT0, kT0 + kDay));
  Posting e = Ok(f.Earn(shop, card, 10000, "e-1"));  // 1000 + 99
  ASSERT_EQ(e.balance_after, 1099);
  ASSERT_EQ(Ok(f.Redeem(fuel, card, 1099)).balance_after, 0);
  Posting r = Ok(f.Reverse(shop, "e-1", 0, "r-1"));
  EXPECT_EQ(r.points, 1000);
  EXPECT_EQ(r.debt_created, 1000 + 99);
  EXPECT_EQ(BonusReversed(e, fixed), 99);
  BalanceView v = f.Balance(card);
  EXPECT_EQ(v.balance, -1099);
  EXPECT_EQ(v.debt, 1099);
  // A replay answers what the reversal answered.
  Posting again = Ok(f.Reverse(shop, "e-1", 0, "r-1"));
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.debt_created, 1099);
  f.ExpectInvariants();
}

TEST_F(PromotionTest, CreatePromotionValidates) {
  PromotionRow p = FixedPromo("Bad", 10, kT0, kT0);
  ExpectError(f.ledger().CreatePromotion("ops", p).status(), absl::StatusCode::kInvalidArgument,
              "promotion.ends_at_micros");
  p = MultiplierPromo("x1", 10000, kT0, kT0 + kDay);
  ExpectError(f.ledger().CreatePromotion("ops", p).status(), absl::StatusCode::kInvalidArgument,
              "promotion.multiplier_bp");
  p = FixedPromo("Scope", 10, kT0, kT0 + kDay);
  p.scope = "partner";
  ExpectError(f.ledger().CreatePromotion("ops", p).status(), absl::StatusCode::kInvalidArgument,
              "promotion.scope_value");
  p = FixedPromo("Funder", 10, kT0, kT0 + kDay);
  p.funder_id = 99999;
  ExpectError(f.ledger().CreatePromotion("ops", p).status(), absl::StatusCode::kNotFound,
              "promotion.funder_partner_id");
  EXPECT_THAT(Ok(f.ledger().ListPromotions(true)), IsEmpty());
  f.ExpectInvariants();
}

}  // namespace
}  // namespace loyalty::testing

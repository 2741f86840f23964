// The analytics reports (hub/analytics/analytics.h) on a small coalition posted through
// the real ledger on the real database, every figure computed by hand below.
//
// Days are counted from LedgerFixture::kStart (2026-01-15 10:00 UTC), "D12" = +12 days.
// Partners A (grocery) and B (fuel) earn 5%: 1000 cents -> 50 points (1 point = 0.01 EUR).
// A funds promotion P: +100 points on earns at A of at least 15.00 EUR in [D10, D20).
//
//   m1  A: D2 1000, D12 2000 (bonus), D15 1000, D20+1h 1200;  redeems 60 at B on D28
//   m2  A: D12 3000 (bonus)
//   m3  A: D3 1000, D14 1000 (below the minimum: no bonus)
//   m4  A: D4 2000
//   m5  B: D21 4000;  A: D25 1000;  B: D26 500;  redeems 30 at A on D27, 10 of it reversed
//
// The reports are read on D30.
#include "hub/analytics/analytics.h"

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/common/error_reason.h"
#include "tests/rules/rules_util.h"
#include "tests/support/test_db.h"
#include "tests/support/test_util.h"

namespace loyalty::testing {
namespace {

using ::testing::ElementsAre;

constexpr Micros kDay = 86'400'000'000;
constexpr Micros kHour = 3'600'000'000;
constexpr Micros kT0 = LedgerFixture::kStart;

Micros Day(int d) { return kT0 + d * kDay; }

class AnalyticsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a = f.AddPartner("grocery", 500);
    b = f.AddPartner("fuel", 500);
    for (int i = 0; i < 4; ++i) cards.push_back(f.AddMember(a));
    cards.push_back(f.AddMember(b));
    for (const std::string& c : cards) members.push_back(f.Balance(c).member_id);
    ASSERT_TRUE(f.db().store()->RunInTransaction([&](StoreTxn& txn) {
      return txn.PutSettlementTerms({a, 10000, 10000, 0}, kT0);
    }).ok());
    PromotionRow p = FixedPromo("Big basket bonus", 100, Day(10), Day(20));
    p.funder_id = a;
    p.scope = "partner";
    p.scope_value = absl::StrCat(a);
    p.min_spend_minor = 1500;
    promotion = Ok(f.ledger().CreatePromotion("test", p));

    At(Day(2), [&] { Ok(f.Earn(a, cards[0], 1000)); });
    At(Day(3), [&] { Ok(f.Earn(a, cards[2], 1000)); });
    At(Day(4), [&] { Ok(f.Earn(a, cards[3], 2000)); });
    At(Day(12), [&] {
      EXPECT_EQ(Ok(f.Earn(a, cards[0], 2000)).bonuses.size(), 1u);
      EXPECT_EQ(Ok(f.Earn(a, cards[1], 3000)).bonuses.size(), 1u);
    });
    At(Day(14), [&] { EXPECT_TRUE(Ok(f.Earn(a, cards[2], 1000)).bonuses.empty()); });
    At(Day(15), [&] { Ok(f.Earn(a, cards[0], 1000)); });
    At(Day(20) + kHour, [&] { Ok(f.Earn(a, cards[0], 1200)); });
    At(Day(21), [&] { Ok(f.Earn(b, cards[4], 4000)); });
    At(Day(25), [&] { Ok(f.Earn(a, cards[4], 1000)); });
    At(Day(26), [&] { Ok(f.Earn(b, cards[4], 500)); });
    At(Day(27), [&] {
      Ok(f.Redeem(a, cards[4], 30, "m5-redeem"));
      Ok(f.Reverse(a, "m5-redeem", 10));
    });
    At(Day(28), [&] { Ok(f.Redeem(b, cards[0], 60)); });
    f.clock().Set(Day(30));
    f.ExpectInvariants();
  }

  template <typename Fn>
  void At(Micros t, Fn fn) {
    f.clock().Set(t);
    fn();
  }

  Viewer Operator() { return {true, 0, "test-operator"}; }
  Viewer PartnerViewer(PartnerId p) { return {false, p, absl::StrCat("partner:", p)}; }

  int64_t AuditRows(const std::string& action) {
    return f.Query(absl::StrCat("SELECT COUNT(*) FROM audit_log WHERE action = '", action, "'"));
  }

  LedgerFixture f;
  Analytics analytics{f.db().store(), &f.clock(), AnalyticsOptions{}};
  PartnerId a = 0, b = 0;
  std::vector<std::string> cards;
  std::vector<MemberId> members;
  PromotionRow promotion;
};

TEST_F(AnalyticsTest, PromotionEffectByDifferenceInDifferences) {
  PromotionEffectParams p;
  p.promotion_id = promotion.id;
  PromotionEffectReport r = Ok(analytics.PromotionEffect(Operator(), p));
  EXPECT_EQ(r.partner_id, a);  // the promotion's own partner
  EXPECT_EQ(r.window_start, Day(10));
  EXPECT_EQ(r.window_end, Day(20));
  EXPECT_EQ(r.pre_start, Day(0));
  // Treated m1, m2: pre (1 visit, 1000), during (3 visits, 6000).
  EXPECT_EQ(r.treated_pre.members, 2);
  EXPECT_EQ(r.treated_pre.visits, 1);
  EXPECT_EQ(r.treated_pre.spend_minor, 1000);
  EXPECT_EQ(r.treated_during.visits, 3);
  EXPECT_EQ(r.treated_during.spend_minor, 6000);
  EXPECT_DOUBLE_EQ(r.treated_during.spend_per_member_minor, 3000);
  // Control m3, m4 (active at A before, no bonus): pre (2, 3000), during (1, 1000).
  EXPECT_EQ(r.control_pre.members, 2);
  EXPECT_EQ(r.control_pre.visits, 2);
  EXPECT_EQ(r.control_pre.spend_minor, 3000);
  EXPECT_EQ(r.control_during.visits, 1);
  EXPECT_EQ(r.control_during.spend_minor, 1000);
  // Treated change per member (+1, +2500) less control's (-0.5, -1000).
  EXPECT_DOUBLE_EQ(r.visits_uplift_per_member.value, 1.5);
  EXPECT_DOUBLE_EQ(r.spend_uplift_per_member_minor.value, 3500);
  EXPECT_LE(r.spend_uplift_per_member_minor.ci_low, 3500);
  EXPECT_GE(r.spend_uplift_per_member_minor.ci_high, 3500);
  EXPECT_EQ(r.incremental_spend_minor, 7000);
  // Two bonuses of 100 points at A's issue price of 0.01 EUR: 2.00 EUR.
  EXPECT_EQ(r.bonus_points, 200);
  EXPECT_EQ(r.issue_price_micros, 10000);
  EXPECT_EQ(r.cost_minor, 200);
  EXPECT_DOUBLE_EQ(r.return_on_cost, 35.0);
  EXPECT_EQ(r.currency, "EUR");
  EXPECT_EQ(r.bootstrap_samples, 1000);
  EXPECT_EQ(r.seed, 1u);
  // The same call repeats exactly.
  PromotionEffectReport again = Ok(analytics.PromotionEffect(Operator(), p));
  EXPECT_EQ(again.spend_uplift_per_member_minor.ci_low, r.spend_uplift_per_member_minor.ci_low);
  EXPECT_EQ(again.spend_uplift_per_member_minor.ci_high, r.spend_uplift_per_member_minor.ci_high);
  EXPECT_EQ(AuditRows("analytics_promotion_effect"), 2);
}

TEST_F(AnalyticsTest, PromotionEffectRefusesBadInput) {
  PromotionEffectParams p;
  p.promotion_id = 999;
  EXPECT_EQ(analytics.PromotionEffect(Operator(), p).status().code(),
            absl::StatusCode::kNotFound);
  p.promotion_id = 0;
  EXPECT_EQ(FieldOf(analytics.PromotionEffect(Operator(), p).status()), "promotion_id");
  p.promotion_id = promotion.id;
  p.bootstrap_samples = 5;
  EXPECT_EQ(FieldOf(analytics.PromotionEffect(Operator(), p).status()), "bootstrap_samples");
  p.bootstrap_samples = 0;
  p.partner_id = 0;
  // A's promotion does not exist for B; A sees it with its own price.
  EXPECT_EQ(analytics.PromotionEffect(PartnerViewer(b), p).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(Ok(analytics.PromotionEffect(PartnerViewer(a), p)).cost_minor, 200);
  p.partner_id = a;
  absl::Status denied = analytics.PromotionEffect(PartnerViewer(b), p).status();
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ReasonOf(denied), reason::kOtherPartnersData);
  // Refused calls are audited too.
  EXPECT_EQ(AuditRows("analytics_promotion_effect"), 6);
}

TEST_F(AnalyticsTest, JoiningEffectAndCohorts) {
  JoiningParams p;
  p.partner_id = a;
  p.period_start = Day(0);
  p.period_end = Day(30);
  p.weeks = 1;
  JoiningReport r = Ok(analytics.JoiningEffect(Operator(), p));
  // Everyone's first earn at A is in the period; only m5 had earned elsewhere before.
  EXPECT_EQ(r.joiners, 5);
  EXPECT_EQ(r.joiners_known_before, 1);
  // In the week from each first earn: m1 1000, m3 1000, m4 2000, m2 3000, m5 1000 at A
  // (m5 also 500 at B); in the week before: m5's 4000 at B.
  EXPECT_EQ(r.at_partner_before.visits, 0);
  EXPECT_EQ(r.at_partner_after.visits, 5);
  EXPECT_EQ(r.at_partner_after.spend_minor, 8000);
  EXPECT_DOUBLE_EQ(r.at_partner_after.spend_per_member_minor, 1600);
  EXPECT_EQ(r.coalition_before.visits, 1);
  EXPECT_EQ(r.coalition_before.spend_minor, 4000);
  EXPECT_EQ(r.coalition_after.visits, 6);
  EXPECT_EQ(r.coalition_after.spend_minor, 8500);
  // Cohorts at A: January (m1..m4; m1 back in February) and February (m5).
  ASSERT_EQ(r.cohorts.size(), 2u);
  EXPECT_EQ(r.cohorts[0].month, "2026-01");
  EXPECT_EQ(r.cohorts[0].members, 4);
  EXPECT_THAT(r.cohorts[0].active, ElementsAre(4, 1));
  EXPECT_THAT(r.cohorts[0].share, ElementsAre(1.0, 0.25));
  EXPECT_EQ(r.cohorts[1].month, "2026-02");
  EXPECT_THAT(r.cohorts[1].active, ElementsAre(1));

  // A partner sees its own joiners; their activity elsewhere is below k = 10: hidden.
  JoiningReport own = Ok(analytics.JoiningEffect(PartnerViewer(a), {0, Day(0), Day(30), 1}));
  EXPECT_EQ(own.partner_id, a);
  EXPECT_EQ(own.at_partner_after.spend_minor, 8000);
  EXPECT_TRUE(own.coalition_before.suppressed);
  EXPECT_EQ(own.coalition_before.spend_minor, 0);
  EXPECT_EQ(own.joiners_known_before, 0);
  EXPECT_TRUE(own.coalition_after.suppressed);
  EXPECT_EQ(analytics.JoiningEffect(PartnerViewer(b), {a, 0, 0, 0}).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(FieldOf(analytics.JoiningEffect(Operator(), {a, 0, 0, 53}).status()), "weeks");
  EXPECT_EQ(FieldOf(analytics.JoiningEffect(Operator(), {0, 0, 0, 0}).status()), "partner_id");
}

TEST_F(AnalyticsTest, SegmentsRfmConcentrationAtRisk) {
  SegmentsParams p;
  p.at_risk_days = 10;
  SegmentsReport r = Ok(analytics.Segments(Operator(), p));
  EXPECT_EQ(r.members, 5);
  EXPECT_EQ(r.visits, 11);
  EXPECT_EQ(r.spend_minor, 17700);
  // Recency days (9, 18, 16, 26, 4), visits (4, 1, 2, 1, 3), spend (5200, 3000, 2000,
  // 2000, 5500) for m1..m5 score R (4, 2, 3, 1, 5), F (5, 1, 3, 1, 4), M (4, 3, 1, 1, 5).
  std::set<std::tuple<int, int, int, int64_t>> cells;
  for (const RfmCellFigure& c : r.rfm) {
    EXPECT_EQ(c.members, 1);
    cells.insert({c.recency, c.frequency, c.monetary, c.spend_minor});
  }
  EXPECT_EQ(cells, (std::set<std::tuple<int, int, int, int64_t>>{
                       {4, 5, 4, 5200}, {2, 1, 3, 3000}, {3, 3, 1, 2000}, {1, 1, 1, 2000},
                       {5, 4, 5, 5500}}));
  // The top 20% is one member (m5, 5500 of 17700).
  EXPECT_DOUBLE_EQ(r.top20_spend_share, 5500.0 / 17700.0);
  // Silent for 10 days: m2, m3, m4.
  EXPECT_EQ(r.at_risk.members, 3);
  EXPECT_EQ(r.at_risk.visits, 4);
  EXPECT_EQ(r.at_risk.spend_minor, 7000);
  ASSERT_EQ(r.tiers.size(), 1u);
  EXPECT_EQ(r.tiers[0].members, 5);
  ASSERT_EQ(r.top_members.size(), 5u);
  EXPECT_EQ(r.top_members[0].member_id, members[4]);
  EXPECT_EQ(r.top_members[0].spend_minor, 5500);
  EXPECT_FALSE(r.top_members[0].at_risk);
  EXPECT_EQ(r.min_cell_members, 0);

  // A partner's own tills, member level: activity at A only (m5: one visit, 1000).
  SegmentsParams own = p;
  own.partner_id = a;
  SegmentsReport at_a = Ok(analytics.Segments(PartnerViewer(a), own));
  EXPECT_EQ(at_a.spend_minor, 17700 - 4500);
  EXPECT_FALSE(at_a.top_members.empty());
  // The coalition seen by a partner: five members, below k: nothing member-level.
  SegmentsReport coalition = Ok(analytics.Segments(PartnerViewer(a), p));
  EXPECT_EQ(coalition.min_cell_members, 10);
  EXPECT_EQ(coalition.members, 5);
  EXPECT_EQ(coalition.spend_minor, 0);  // a total over fewer than k members
  EXPECT_TRUE(coalition.top_members.empty());
  for (const RfmCellFigure& c : coalition.rfm) EXPECT_TRUE(c.suppressed);
  for (const ConcentrationPointFigure& c : coalition.concentration) EXPECT_TRUE(c.suppressed);
  EXPECT_TRUE(coalition.at_risk.suppressed);
  EXPECT_EQ(coalition.top20_spend_share, 0);
  // Another partner's tills: refused.
  own.partner_id = b;
  EXPECT_EQ(analytics.Segments(PartnerViewer(a), own).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(AnalyticsTest, FlowsRatesAndOutstanding) {
  FlowsParams p;
  p.period_start = Day(0);
  p.period_end = Day(30);
  FlowsReport r = Ok(analytics.Flows(Operator(), p));
  // February: 30 - 10 points of B's lot redeemed at A; 60 of A's lots redeemed at B.
  std::map<std::pair<PartnerId, PartnerId>, Points> cells;
  for (const FlowCellFigure& c : r.cells) {
    EXPECT_EQ(c.month, "2026-02");
    EXPECT_EQ(c.members, 1);
    cells[{c.earned_at, c.redeemed_at}] = c.points;
  }
  EXPECT_EQ(cells, (std::map<std::pair<PartnerId, PartnerId>, Points>{{{b, a}, 20}, {{a, b}, 60}}));
  EXPECT_EQ(r.redeemed_points, 80);
  // Lots earned in the period: A 860 points (earns and bonuses), B 225.
  std::map<PartnerId, FunderRatesFigure> funders;
  for (const FunderRatesFigure& fr : r.funders) {
    funders[fr.funder_id] = fr;
    EXPECT_EQ(fr.issued, fr.redeemed + fr.expired + fr.reversed + fr.outstanding);
  }
  EXPECT_EQ(funders[a].issued, 860);
  EXPECT_EQ(funders[a].redeemed, 60);
  EXPECT_DOUBLE_EQ(funders[a].redemption_rate, 60.0 / 860.0);
  EXPECT_EQ(funders[b].issued, 225);
  EXPECT_EQ(funders[b].redeemed, 20);
  EXPECT_EQ(funders[b].outstanding, 205);
  // Outstanding = every member's balance; 12-month expiry: all of it in 2027.
  Points balances = 0;
  for (const std::string& c : cards) balances += f.Balance(c).balance;
  EXPECT_EQ(r.outstanding_points, balances);
  EXPECT_EQ(r.outstanding_points, 1005);
  for (const ExpiryBucketFigure& e : r.outstanding) EXPECT_THAT(e.month, ::testing::StartsWith("2027-"));

  // A partner sees flows only over >= 10 members: every cell here is one member.
  FlowsReport seen = Ok(analytics.Flows(PartnerViewer(a), p));
  for (const FlowCellFigure& c : seen.cells) {
    EXPECT_TRUE(c.suppressed);
    EXPECT_EQ(c.points, 0);
  }
  // No funder row reaches A: its own covers 5 members' lots (fewer than k), B's is
  // another funder's.
  for (const FunderRatesFigure& fr : seen.funders) EXPECT_TRUE(fr.suppressed);
  EXPECT_EQ(seen.redeemed_points, 0);  // the sum of what A is shown
  EXPECT_EQ(FieldOf(analytics.Flows(Operator(), {Day(5), Day(1), 0}).status()), "period_end");
  EXPECT_EQ(AuditRows("analytics_flows"), 3);
}

TEST_F(AnalyticsTest, ReportsBeyondTheConcurrencyLimitAreRefused) {
  AnalyticsOptions none;
  none.max_concurrent_reports = 0;  // every slot taken
  Analytics full(f.db().store(), &f.clock(), none);
  absl::Status s = full.Segments(Operator(), {}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ReasonOf(s), reason::kHubAtCapacity);
  EXPECT_EQ(f.Query("SELECT COUNT(*) FROM audit_log WHERE action = 'analytics_segments' AND "
                    "detail LIKE '%RESOURCE_EXHAUSTED'"),
            1);
  // A slot is given back after each report: many in a row all run.
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(analytics.Segments(Operator(), {}).ok());
}

TEST(AnalyticsBreakageTest, ExpiredPointsAreBreakage) {
  LedgerFixture f;
  f.SetExpiryMonths(1);
  const PartnerId a = f.AddPartner("grocery", 500);
  const std::string card = f.AddMember(a);
  Ok(f.Earn(a, card, 1000));  // 50 points, expiring a month on
  f.clock().Set(kT0 + kDay);
  Ok(f.Redeem(a, card, 20));
  f.clock().Set(kT0 + 40 * kDay);
  ExpiryOutcome expired = Ok(f.ledger().RunExpiry());
  EXPECT_EQ(expired.points_expired, 30);
  Analytics analytics(f.db().store(), &f.clock(), AnalyticsOptions{});
  FlowsReport r = Ok(analytics.Flows({true, 0, "test"}, {kT0, kT0 + 41 * kDay, 0}));
  ASSERT_EQ(r.funders.size(), 1u);
  EXPECT_EQ(r.funders[0].issued, 50);
  EXPECT_EQ(r.funders[0].redeemed, 20);
  EXPECT_EQ(r.funders[0].expired, 30);
  EXPECT_EQ(r.funders[0].outstanding, 0);
  EXPECT_DOUBLE_EQ(r.funders[0].redemption_rate, 0.4);
  EXPECT_DOUBLE_EQ(r.funders[0].breakage_rate, 0.6);
  EXPECT_EQ(r.outstanding_points, 0);
  f.ExpectInvariants();
}

}  // namespace
}  // namespace loyalty::testing

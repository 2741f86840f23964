// Properties of the analytics reports over random journals posted through the real
// ledger: segment totals are member totals, flows sum to the redemptions, a funder's
// issued points are accounted for, and no figure over fewer than k members reaches a
// partner.
#include <map>
#include <random>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "hub/analytics/analytics.h"
#include "tests/support/test_db.h"
#include "tests/support/test_util.h"

namespace loyalty::testing {
namespace {

constexpr Micros kDay = 86'400'000'000;
constexpr Micros kT0 = LedgerFixture::kStart;
constexpr int kDays = 90;
constexpr int64_t kMinCell = 10;

struct Journal {
  std::vector<PartnerId> partners;
  std::vector<std::string> cards;
};

// Members earn, redeem and get reversals at random partners over kDays days.
Journal PostRandomJournal(LedgerFixture& f, uint64_t seed) {
  std::mt19937_64 random(seed);
  auto below = [&](int n) { return static_cast<int>(random() % n); };
  Journal j;
  for (const char* c : {"grocery", "fuel", "gym", "books"}) j.partners.push_back(f.AddPartner(c, 500));
  const int members = 30 + below(20);
  for (int i = 0; i < members; ++i) j.cards.push_back(f.AddMember(j.partners[below(4)]));
  std::vector<std::pair<PartnerId, std::string>> earns, redeems;
  for (int day = 0; day < kDays; ++day) {
    f.clock().Set(kT0 + day * kDay + below(3600) * 1'000'000LL);
    const int ops = 2 + below(6);
    for (int k = 0; k < ops; ++k) {
      const std::string& card = j.cards[below(static_cast<int>(j.cards.size()))];
      const PartnerId p = j.partners[below(4)];
      const int what = below(10);
      if (what < 6) {
        const std::string id = f.NextTxnId();
        if (f.Earn(p, card, 100 + below(20000), id).ok()) earns.push_back({p, id});
      } else if (what < 8) {
        const Points available = f.Balance(card).available;
        if (available > 0) {
          const std::string id = f.NextTxnId();
          if (f.Redeem(p, card, 1 + below(static_cast<int>(std::min<Points>(available, 500))), id).ok())
            redeems.push_back({p, id});
        }
      } else if (what == 8 && !earns.empty()) {
        const auto& [ep, eid] = earns[below(static_cast<int>(earns.size()))];
        (void)f.Reverse(ep, eid, 1 + below(40));  // may find nothing left to reverse
      } else if (what == 9 && !redeems.empty()) {
        const auto& [rp, rid] = redeems[below(static_cast<int>(redeems.size()))];
        (void)f.Reverse(rp, rid, 1 + below(40));
      }
    }
  }
  f.clock().Set(kT0 + (kDays + 1) * kDay);
  return j;
}

class AnalyticsPropertyTest : public ::testing::TestWithParam<uint64_t> {};

TEST_P(AnalyticsPropertyTest, FiguresAddUpAndNothingBelowKReachesAPartner) {
  LedgerFixture f;
  const Journal j = PostRandomJournal(f, GetParam());
  f.ExpectInvariants();
  AnalyticsOptions options;
  options.min_cell_members = kMinCell;
  Analytics analytics(f.db().store(), &f.clock(), options);
  const Viewer op{true, 0, "test"};

  // Segment totals are member totals, and the partners' totals add up to the coalition's.
  SegmentsReport all = Ok(analytics.Segments(op, {}));
  const int64_t net_spend = f.Query(
      "SELECT CAST(SUM(CASE WHEN reversed_points <= 0 OR points <= 0 THEN amount_minor "
      "WHEN reversed_points >= points THEN 0 ELSE amount_minor - "
      "CAST(amount_minor AS DECIMAL(38,0)) * reversed_points DIV points END) AS SIGNED) "
      "FROM txns WHERE kind = 'earn'");
  EXPECT_EQ(all.spend_minor, net_spend);
  EXPECT_EQ(all.visits, f.Query("SELECT COUNT(*) FROM txns WHERE kind = 'earn'"));
  EXPECT_EQ(all.members, f.Query("SELECT COUNT(DISTINCT member_id) FROM txns WHERE kind = 'earn'"));
  int64_t cell_members = 0, cell_spend = 0, tier_members = 0;
  for (const RfmCellFigure& c : all.rfm) {
    cell_members += c.members;
    cell_spend += c.spend_minor;
  }
  for (const TierCountFigure& t : all.tiers) tier_members += t.members;
  EXPECT_GE(all.members, 25);
  EXPECT_EQ(cell_members, all.members);
  EXPECT_EQ(cell_spend, all.spend_minor);
  EXPECT_EQ(tier_members, all.members);
  EXPECT_EQ(all.concentration.back().spend_minor, all.spend_minor);
  int64_t partner_spend = 0;
  for (PartnerId p : j.partners) {
    SegmentsParams sp;
    sp.partner_id = p;
    partner_spend += Ok(analytics.Segments(op, sp)).spend_minor;
  }
  EXPECT_EQ(partner_spend, all.spend_minor);

  // Flows sum to the redemptions less their reversals; issued points are accounted for.
  FlowsReport flows = Ok(analytics.Flows(op, {kT0, kT0 + (kDays + 1) * kDay, 0}));
  const int64_t redeemed =
      f.Query("SELECT COALESCE(SUM(points), 0) FROM txns WHERE kind = 'redeem'") -
      f.Query("SELECT COALESCE(SUM(points), 0) FROM txns WHERE kind = 'reverse_redeem'");
  EXPECT_GT(redeemed, 0);
  Points cells = 0;
  for (const FlowCellFigure& c : flows.cells) cells += c.points;
  EXPECT_EQ(cells, redeemed);
  EXPECT_EQ(flows.redeemed_points, redeemed);
  for (const FunderRatesFigure& r : flows.funders) {
    EXPECT_EQ(r.issued, r.redeemed + r.expired + r.reversed + r.outstanding) << r.funder_id;
  }
  Points balances = 0;
  for (const std::string& c : j.cards) balances += f.Balance(c).balance;
  EXPECT_EQ(flows.outstanding_points, balances);

  // Cohorts at a partner hold each of its members once.
  JoiningReport joining = Ok(analytics.JoiningEffect(op, {j.partners[0], kT0, kT0 + kDays * kDay, 2}));
  int64_t cohort_members = 0;
  for (const CohortFigures& c : joining.cohorts) cohort_members += c.members;
  EXPECT_EQ(cohort_members, f.Query(absl::StrCat(
                                "SELECT COUNT(DISTINCT member_id) FROM txns WHERE kind = 'earn' "
                                "AND partner_id = ", j.partners[0])));
  EXPECT_EQ(joining.joiners, cohort_members);

  // Nothing over fewer than k members reaches a partner through a coalition-wide figure.
  int shown = 0, hidden = 0;  // both branches are exercised
  for (PartnerId p : j.partners) {
    const Viewer v{false, p, "partner"};
    SegmentsReport s = Ok(analytics.Segments(v, {}));
    EXPECT_TRUE(s.top_members.empty());
    for (const RfmCellFigure& c : s.rfm) {
      EXPECT_TRUE(c.suppressed ? c.members == 0 && c.spend_minor == 0 : c.members >= kMinCell);
    }
    for (const ConcentrationPointFigure& c : s.concentration) {
      EXPECT_TRUE(c.suppressed ? c.spend_minor == 0 : c.members >= kMinCell);
      ++(c.suppressed ? hidden : shown);
    }
    for (const TierCountFigure& t : s.tiers) EXPECT_TRUE(t.suppressed || t.members >= kMinCell);
    EXPECT_TRUE(s.at_risk.suppressed ? s.at_risk.spend_minor == 0 : s.at_risk.members >= kMinCell);
    FlowsReport pf = Ok(analytics.Flows(v, {kT0, kT0 + (kDays + 1) * kDay, 0}));
    for (const FlowCellFigure& c : pf.cells) {
      EXPECT_TRUE(c.suppressed ? c.points == 0 : c.members >= kMinCell);
    }
    for (const FunderRatesFigure& r : pf.funders) EXPECT_TRUE(r.suppressed || r.members >= kMinCell);
    for (const ExpiryBucketFigure& e : pf.outstanding) EXPECT_TRUE(e.suppressed || e.members >= kMinCell);
    JoiningReport pj = Ok(analytics.JoiningEffect(v, {0, kT0, kT0 + kDays * kDay, 2}));
    EXPECT_EQ(pj.partner_id, p);
    EXPECT_TRUE(pj.coalition_before.suppressed || pj.joiners_known_before >= kMinCell);
    EXPECT_TRUE(pj.coalition_after.suppressed || pj.joiners >= kMinCell);
  }
  EXPECT_GT(shown, 0);
  EXPECT_GT(hidden, 0);
}

INSTANTIATE_TEST_SUITE_P(Seeds, AnalyticsPropertyTest, ::testing::Values(1, 2, 3));

}  // namespace
}  // namespace loyalty::testing

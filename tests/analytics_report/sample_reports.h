// Hand-made AnalyticsService answers for the report tests: small enough to check every
// figure by hand, with one suppressed cell per table and names that need escaping.
#ifndef LOYALTY_TESTS_ANALYTICS_REPORT_SAMPLE_REPORTS_H_
#define LOYALTY_TESTS_ANALYTICS_REPORT_SAMPLE_REPORTS_H_

#include <cstdint>
#include <initializer_list>

#include "loyalty/v1/analytics.pb.h"

namespace loyalty::testing {

// 2026-03-01T00:00:00Z, 2026-04-01T00:00:00Z, 2026-05-01T00:00:00Z in UTC micros.
inline constexpr int64_t kMarch = 1'772'323'200'000'000;
inline constexpr int64_t kApril = 1'775'001'600'000'000;
inline constexpr int64_t kMay = 1'777'593'600'000'000;

// The minimum cell of a partner key in these reports.
inline constexpr int64_t kSampleMinCell = 10;

inline void SetGroup(v1::GroupFigures* g, int64_t members, int64_t visits, int64_t spend_minor) {
  g->set_members(members);
  g->set_visits(visits);
  g->set_spend_minor(spend_minor);
  g->set_visits_per_member(static_cast<double>(visits) / static_cast<double>(members));
  g->set_spend_per_member_minor(static_cast<double>(spend_minor) / static_cast<double>(members));
}

inline void SetEstimate(v1::Estimate* e, double value, double low, double high) {
  e->set_value(value);
  e->set_ci_low(low);
  e->set_ci_high(high);
}

// "Double <b>points</b> & "more"" at partner 2: treated 40 members, control 60.
inline v1::PromotionEffect SamplePromotion() {
  v1::PromotionEffect p;
  p.set_promotion_id(7);
  p.set_promotion_name("Double <b>points</b> & \"more\"");
  p.set_partner_id(2);
  p.set_pre_start(kMarch);
  p.set_window_start(kApril);
  p.set_window_end(kMay);
  SetGroup(p.mutable_treated_pre(), 40, 80, 200'000);
  SetGroup(p.mutable_treated_during(), 40, 120, 300'000);
  SetGroup(p.mutable_control_pre(), 60, 90, 240'000);
  p.mutable_control_during()->set_suppressed(true);
  SetEstimate(p.mutable_visits_uplift_per_member(), 0.5, 0.25, 0.75);
  SetEstimate(p.mutable_spend_uplift_per_member_minor(), 1500, -200, 3100);
  p.set_bonus_points(5000);
  p.set_issue_price_micros(10'000);
  p.set_cost_minor(5000);
  p.set_incremental_spend_minor(12'345);
  p.set_incremental_spend_low_minor(-1600);
  p.set_incremental_spend_high_minor(24'800);
  p.set_return_on_cost(2.469);
  p.set_currency("EUR");
  p.set_bootstrap_samples(1000);
  p.set_seed(1);
  return p;
}

inline v1::CohortRetention* AddCohort(v1::JoiningEffect* j, const char* month, int64_t members,
                                      std::initializer_list<int64_t> active) {
  v1::CohortRetention* c = j->add_cohorts();
  c->set_month(month);
  c->set_members(members);
  for (int64_t a : active) {
    c->add_active(a);
    c->add_share(static_cast<double>(a) / static_cast<double>(members));
  }
  return c;
}

// Partner 2's joiners: cohorts 2026-01 (3 months of retention), 2026-02 (2), and a
// suppressed 2026-03.
inline v1::JoiningEffect SampleJoining() {
  v1::JoiningEffect j;
  j.set_partner_id(2);
  j.set_period_start(kMarch);
  j.set_period_end(kMay);
  j.set_weeks(8);
  j.set_joiners(150);
  j.set_joiners_known_before(90);
  SetGroup(j.mutable_at_partner_before(), 150, 0, 0);
  j.mutable_at_partner_before()->set_visits_per_member(0);
  j.mutable_at_partner_before()->set_spend_per_member_minor(0);
  SetGroup(j.mutable_at_partner_after(), 150, 450, 900'000);
  SetGroup(j.mutable_coalition_before(), 150, 300, 600'000);
  SetGroup(j.mutable_coalition_after(), 150, 600, 1'500'000);
  AddCohort(&j, "2026-01", 120, {120, 80, 60});
  AddCohort(&j, "2026-02", 30, {30, 12});
  v1::CohortRetention* hidden = AddCohort(&j, "2026-03", 0, {0});
  hidden->set_suppressed(true);
  return j;
}

// Coalition-wide segments as a partner key sees them (k = 10): three RFM cells, one
// suppressed; the concentration curve with its 20% point at 63.4%.
inline v1::Segments SampleSegments() {
  v1::Segments s;
  s.set_partner_id(0);
  s.set_as_of(kMay);
  s.set_lookback_days(90);
  s.set_at_risk_days(60);
  s.set_members(250);
  s.set_visits(1200);
  s.set_spend_minor(4'500'000);
  auto add_cell = [&s](int r, int f, int m, int64_t members, int64_t spend, bool suppressed) {
    v1::RfmCell* c = s.add_rfm();
    c->set_recency_score(r);
    c->set_frequency_score(f);
    c->set_monetary_score(m);
    c->set_members(members);
    c->set_spend_minor(spend);
    c->set_suppressed(suppressed);
  };
  add_cell(5, 5, 5, 40, 2'000'000, false);
  add_cell(4, 3, 2, 25, 350'000, false);
  add_cell(1, 1, 5, 0, 0, true);
  const struct {
    int percent;
    int64_t members;
    int64_t spend;
    double share;
  } curve[] = {{1, 3, 400'000, 0.0889},      {5, 13, 1'200'000, 0.2667},
               {10, 25, 1'900'000, 0.4222},  {20, 50, 2'853'000, 0.634},
               {50, 125, 4'000'000, 0.8889}, {100, 250, 4'500'000, 1.0}};
  for (const auto& c : curve) {
    v1::ConcentrationPoint* p = s.add_concentration();
    p->set_top_percent(c.percent);
    p->set_members(c.members);
    p->set_spend_minor(c.spend);
    p->set_spend_share(c.share);
  }
  s.mutable_concentration(0)->set_suppressed(true);  // 3 members < k
  s.mutable_concentration(0)->clear_members();
  s.mutable_concentration(0)->clear_spend_minor();
  s.mutable_concentration(0)->clear_spend_share();
  s.set_top20_spend_share(0.634);
  v1::TierCount* gold = s.add_tiers();
  gold->set_tier("Gold <script>alert(1)</script>");
  gold->set_members(30);
  v1::TierCount* none = s.add_tiers();
  none->set_tier("");
  none->set_members(220);
  SetGroup(s.mutable_at_risk(), 35, 70, 210'000);
  s.set_min_cell_members(kSampleMinCell);
  return s;
}

inline void AddFlowCell(v1::Flows* f, const char* month, int64_t earned_at, int64_t redeemed_at,
                        int64_t points, int64_t members, bool suppressed = false) {
  v1::FlowCell* c = f->add_cells();
  c->set_month(month);
  c->set_earned_at(earned_at);
  c->set_redeemed_at(redeemed_at);
  c->set_points(points);
  c->set_members(members);
  c->set_suppressed(suppressed);
}

// Points earned at partners 2 and 3 (and the operator, 0) redeemed at 2 and 3 in two
// months; one suppressed cell. 9,000 points outstanding.
inline v1::Flows SampleFlows() {
  v1::Flows f;
  f.set_period_start(kMarch);
  f.set_period_end(kMay);
  AddFlowCell(&f, "2026-03", 2, 3, 1200, 15);
  AddFlowCell(&f, "2026-03", 3, 2, 800, 12);
  AddFlowCell(&f, "2026-04", 2, 3, 1300, 16);
  AddFlowCell(&f, "2026-04", 0, 2, 0, 0, /*suppressed=*/true);
  f.set_redeemed_points(3400);
  v1::FunderRates* grocer = f.add_funders();
  grocer->set_funder_id(2);
  grocer->set_issued_points(10'000);
  grocer->set_redeemed_points(2500);
  grocer->set_expired_points(500);
  grocer->set_reversed_points(100);
  grocer->set_outstanding_points(6900);
  grocer->set_redemption_rate(0.25);
  grocer->set_breakage_rate(0.05);
  grocer->set_members(80);
  v1::FunderRates* op = f.add_funders();
  op->set_funder_id(0);
  op->set_suppressed(true);
  auto add_bucket = [&f](const char* month, int64_t funder, int64_t points, int64_t members,
                         bool suppressed) {
    v1::ExpiryBucket* b = f.add_outstanding();
    b->set_month(month);
    b->set_funder_id(funder);
    b->set_points(points);
    b->set_members(members);
    b->set_suppressed(suppressed);
  };
  add_bucket("2026-06", 2, 4000, 40, false);
  add_bucket("2026-07", 2, 2900, 30, false);
  add_bucket("2026-07", 0, 0, 0, true);
  add_bucket("never", 3, 2100, 12, false);
  f.set_outstanding_points(9000);
  f.set_min_cell_members(kSampleMinCell);
  return f;
}

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_ANALYTICS_REPORT_SAMPLE_REPORTS_H_

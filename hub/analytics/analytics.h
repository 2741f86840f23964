// Analytics: did the program work? Reports computed from the journal and the purchase
// records in one read-only snapshot (Store::RunAnalytics), with who-may-see-what
// applied and every call audited. The arithmetic is in figures.h; what each figure
// means is in docs/analytics.md; the wire form is protos/loyalty/v1/analytics.proto.
#ifndef LOYALTY_HUB_ANALYTICS_ANALYTICS_H_
#define LOYALTY_HUB_ANALYTICS_ANALYTICS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "hub/common/clock.h"
#include "hub/store/store.h"

namespace loyalty {

// Who asks. The operator sees everything; a partner sees member-level figures only about
// activity at its own tills, and coalition-wide figures only over >= k members.
struct Viewer {
  bool is_operator = false;
  PartnerId partner = 0;  // the caller's partner id (partners only)
  std::string actor;      // for the audit log
};

struct AnalyticsOptions {
  int64_t min_cell_members = 10;  // k
  int max_bootstrap_samples = 10000;
  // Reports computed at once; one more is RESOURCE_EXHAUSTED (HUB_AT_CAPACITY) so that
  // reports cannot take every worker and database connection from the postings.
  int max_concurrent_reports = 4;
};

struct GroupFigures {
  int64_t members = 0;
  int64_t visits = 0;
  int64_t spend_minor = 0;
  double visits_per_member = 0;
  double spend_per_member_minor = 0;
  bool suppressed = false;
};

struct EstimateFigure {
  double value = 0;
  double ci_low = 0;
  double ci_high = 0;
};

struct PromotionEffectParams {
  int64_t promotion_id = 0;
  PartnerId partner_id = 0;
  int bootstrap_samples = 0;
  uint64_t seed = 0;
};

struct PromotionEffectReport {
  int64_t promotion_id = 0;
  std::string promotion_name;
  PartnerId partner_id = 0;
  Micros pre_start = 0;
  Micros window_start = 0;
  Micros window_end = 0;
  GroupFigures treated_pre, treated_during, control_pre, control_during;
  EstimateFigure visits_uplift_per_member;
  EstimateFigure spend_uplift_per_member_minor;
  Points bonus_points = 0;
  int64_t issue_price_micros = 0;
  int64_t cost_minor = 0;
  int64_t incremental_spend_minor = 0;
  int64_t incremental_spend_low_minor = 0;
  int64_t incremental_spend_high_minor = 0;
  double return_on_cost = 0;
  std::string currency;
  int bootstrap_samples = 0;
  uint64_t seed = 0;
};

struct JoiningParams {
  PartnerId partner_id = 0;
  Micros period_start = 0;
  Micros period_end = 0;
  int weeks = 0;
};

struct CohortFigures {
  std::string month;
  int64_t members = 0;
  std::vector<int64_t> active;
  std::vector<double> share;
  bool suppressed = false;
};

struct JoiningReport {
  PartnerId partner_id = 0;
  Micros period_start = 0;
  Micros period_end = 0;
  int weeks = 0;
  int64_t joiners = 0;
  int64_t joiners_known_before = 0;
  GroupFigures at_partner_before, at_partner_after, coalition_before, coalition_after;
  std::vector<CohortFigures> cohorts;
};

struct SegmentsParams {
  PartnerId partner_id = 0;
  int lookback_days = 0;
  int at_risk_days = 0;
  int top_members = -1;  // -1: the default
};

struct RfmCellFigure {
  int recency = 0, frequency = 0, monetary = 0;
  int64_t members = 0;
  int64_t spend_minor = 0;
  bool suppressed = false;
};

struct ConcentrationPointFigure {
  int top_percent = 0;
  int64_t members = 0;
  int64_t spend_minor = 0;
  double spend_share = 0;
  bool suppressed = false;
};

struct TierCountFigure {
  std::string tier;
  int64_t members = 0;
  bool suppressed = false;
};

struct MemberScoreFigure {
  MemberId member_id = 0;
  Micros last_visit = 0;
  int64_t visits = 0;
  int64_t spend_minor = 0;
  int recency = 0, frequency = 0, monetary = 0;
  bool at_risk = false;
};

struct SegmentsReport {
  PartnerId partner_id = 0;
  Micros as_of = 0;
  int lookback_days = 0;
  int at_risk_days = 0;
  int64_t members = 0;
  int64_t visits = 0;
  int64_t spend_minor = 0;
  std::vector<RfmCellFigure> rfm;
  std::vector<ConcentrationPointFigure> concentration;
  double top20_spend_share = 0;
  std::vector<TierCountFigure> tiers;
  GroupFigures at_risk;
  std::vector<MemberScoreFigure> top_members;
  int64_t min_cell_members = 0;
};

struct FlowsParams {
  Micros period_start = 0;
  Micros period_end = 0;
  int expiry_months = 0;
};

struct FlowCellFigure {
  std::string month;
  PartnerId earned_at = 0;
  PartnerId redeemed_at = 0;
  Points points = 0;
  int64_t members = 0;  // counted up to FlowsReport::member_count_cap
  bool suppressed = false;
};

// A funder over a period: points of its lots earned in the period (issued), what
// consumptions posted in the period took from its lots, and what its lots hold now.
struct FunderRatesFigure {
  PartnerId funder_id = 0;
  Points issued = 0, redeemed = 0, expired = 0, reversed = 0, outstanding = 0;
  double redemption_rate = 0;
  double breakage_rate = 0;
  int64_t members = 0;
  bool suppressed = false;
};

struct ExpiryBucketFigure {
  std::string month;  // "YYYY-MM", "overdue", "later" or "never"
  PartnerId funder_id = 0;
  Points points = 0;
  int64_t members = 0;
  bool suppressed = false;
};

struct FlowsReport {
  Micros period_start = 0;
  Micros period_end = 0;
  std::vector<FlowCellFigure> cells;
  Points redeemed_points = 0;
  std::vector<FunderRatesFigure> funders;
  std::vector<ExpiryBucketFigure> outstanding;
  Points outstanding_points = 0;
  int64_t min_cell_members = 0;
  int64_t member_count_cap = 0;
};

// Thread-safe. REQUIRES: `store` and `clock` outlive it.
class Analytics {
 public:
  Analytics(Store* store, const Clock* clock, AnalyticsOptions options)
      : store_(store), clock_(clock), options_(options) {}
  Analytics(const Analytics&) = delete;
  Analytics& operator=(const Analytics&) = delete;

  // Each returns INVALID_ARGUMENT naming the field for a bad parameter,
  // PERMISSION_DENIED when a partner asks about another partner, NOT_FOUND for an
  // unknown promotion; each call, refused or not, leaves one audit entry.
  absl::StatusOr<PromotionEffectReport> PromotionEffect(const Viewer& v,
                                                        const PromotionEffectParams& p);
  absl::StatusOr<JoiningReport> JoiningEffect(const Viewer& v, const JoiningParams& p);
  absl::StatusOr<SegmentsReport> Segments(const Viewer& v, const SegmentsParams& p);
  absl::StatusOr<FlowsReport> Flows(const Viewer& v, const FlowsParams& p);

 private:
  absl::StatusOr<PromotionEffectReport> ComputePromotionEffect(const Viewer& v,
                                                               PromotionEffectParams p);
  absl::StatusOr<JoiningReport> ComputeJoiningEffect(const Viewer& v, JoiningParams p);
  absl::StatusOr<SegmentsReport> ComputeSegments(const Viewer& v, SegmentsParams p);
  absl::StatusOr<FlowsReport> ComputeFlows(const Viewer& v, FlowsParams p);
  // Writes the audit entry of one call and passes its outcome through.
  template <typename T>
  absl::StatusOr<T> Audited(const Viewer& v, const char* action, const std::string& detail,
                            absl::StatusOr<T> outcome);
  // k for this viewer: 0 (no suppression) for the operator.
  int64_t MinCell(const Viewer& v) const;

  // Runs `compute` in one of the max_concurrent_reports slots, or fails it
  // RESOURCE_EXHAUSTED when none is free.
  template <typename Fn>
  auto Limited(Fn compute) -> decltype(compute());
  // Takes a slot, or fails RESOURCE_EXHAUSTED.
  absl::Status Enter();
  void Leave();

  Store* const store_;
  const Clock* const clock_;
  const AnalyticsOptions options_;
  absl::Mutex mu_;
  int running_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace loyalty

#endif  // LOYALTY_HUB_ANALYTICS_ANALYTICS_H_

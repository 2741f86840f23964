#include "hub/api/analytics_service.h"

#include "hub/auth/authenticator.h"
#include "hub/common/status_macros.h"
#include "hub/ledger/validate.h"

namespace loyalty {
namespace {

Viewer ViewerOf(const Principal& caller) {
  Viewer v;
  v.is_operator = caller.role == Role::kAdmin || caller.role == Role::kFinance;
  v.partner = v.is_operator ? 0 : caller.partner_id;
  v.actor = ActorName(caller);
  return v;
}

void ToProto(const GroupFigures& g, v1::GroupFigures* out) {
  out->set_members(g.members);
  out->set_visits(g.visits);
  out->set_spend_minor(g.spend_minor);
  out->set_visits_per_member(g.visits_per_member);
  out->set_spend_per_member_minor(g.spend_per_member_minor);
  out->set_suppressed(g.suppressed);
}

void ToProto(const EstimateFigure& e, v1::Estimate* out) {
  out->set_value(e.value);
  out->set_ci_low(e.ci_low);
  out->set_ci_high(e.ci_high);
}

void ToProto(const PromotionEffectReport& r, v1::PromotionEffect* out) {
  out->set_promotion_id(r.promotion_id);
  out->set_promotion_name(r.promotion_name);
  out->set_partner_id(r.partner_id);
  out->set_pre_start(r.pre_start);
  out->set_window_start(r.window_start);
  out->set_window_end(r.window_end);
  ToProto(r.treated_pre, out->mutable_treated_pre());
  ToProto(r.treated_during, out->mutable_treated_during());
  ToProto(r.control_pre, out->mutable_control_pre());
  ToProto(r.control_during, out->mutable_control_during());
  ToProto(r.visits_uplift_per_member, out->mutable_visits_uplift_per_member());
  ToProto(r.spend_uplift_per_member_minor, out->mutable_spend_uplift_per_member_minor());
  out->set_bonus_points(r.bonus_points);
  out->set_issue_price_micros(r.issue_price_micros);
  out->set_cost_minor(r.cost_minor);
  out->set_incremental_spend_minor(r.incremental_spend_minor);
  out->set_incremental_spend_low_minor(r.incremental_spend_low_minor);
  out->set_incremental_spend_high_minor(r.incremental_spend_high_minor);
  out->set_return_on_cost(r.return_on_cost);
  out->set_currency(r.currency);
  out->set_bootstrap_samples(r.bootstrap_samples);
  out->set_seed(r.seed);
}

void ToProto(const JoiningReport& r, v1::JoiningEffect* out) {
  out->set_partner_id(r.partner_id);
  out->set_period_start(r.period_start);
  out->set_period_end(r.period_end);
  out->set_weeks(r.weeks);
  out->set_joiners(r.joiners);
  out->set_joiners_known_before(r.joiners_known_before);
  ToProto(r.at_partner_before, out->mutable_at_partner_before());
  ToProto(r.at_partner_after, out->mutable_at_partner_after());
  ToProto(r.coalition_before, out->mutable_coalition_before());
  ToProto(r.coalition_after, out->mutable_coalition_after());
  for (const CohortFigures& c : r.cohorts) {
    v1::CohortRetention* p = out->add_cohorts();
    p->set_month(c.month);
    p->set_members(c.members);
    for (int64_t a : c.active) p->add_active(a);
    for (double s : c.share) p->add_share(s);
    p->set_suppressed(c.suppressed);
  }
}

void ToProto(const SegmentsReport& r, v1::Segments* out) {
  out->set_partner_id(r.partner_id);
  out->set_as_of(r.as_of);
  out->set_lookback_days(r.lookback_days);
  out->set_at_risk_days(r.at_risk_days);
  out->set_members(r.members);
  out->set_visits(r.visits);
  out->set_spend_minor(r.spend_minor);
  for (const RfmCellFigure& c : r.rfm) {
    v1::RfmCell* p = out->add_rfm();
    p->set_recency_score(c.recency);
    p->set_frequency_score(c.frequency);
    p->set_monetary_score(c.monetary);
    p->set_members(c.members);
    p->set_spend_minor(c.spend_minor);
    p->set_suppressed(c.suppressed);
  }
  for (const ConcentrationPointFigure& c : r.concentration) {
    v1::ConcentrationPoint* p = out->add_concentration();
    p->set_top_percent(c.top_percent);
    p->set_members(c.members);
    p->set_spend_minor(c.spend_minor);
    p->set_spend_share(c.spend_share);
    p->set_suppressed(c.suppressed);
  }
  out->set_top20_spend_share(r.top20_spend_share);
  for (const TierCountFigure& t : r.tiers) {
    v1::TierCount* p = out->add_tiers();
    p->set_tier(t.tier);
    p->set_members(t.members);
    p->set_suppressed(t.suppressed);
  }
  ToProto(r.at_risk, out->mutable_at_risk());
  for (const MemberScoreFigure& m : r.top_members) {
    v1::MemberScore* p = out->add_top_members();
    p->set_member_id(m.member_id);
    p->set_last_visit(m.last_visit);
    p->set_visits(m.visits);
    p->set_spend_minor(m.spend_minor);
    p->set_recency_score(m.recency);
    p->set_frequency_score(m.frequency);
    p->set_monetary_score(m.monetary);
    p->set_at_risk(m.at_risk);
  }
  out->set_min_cell_members(r.min_cell_members);
}

void ToProto(const FlowsReport& r, v1::Flows* out) {
  out->set_period_start(r.period_start);
  out->set_period_end(r.period_end);
  for (const FlowCellFigure& c : r.cells) {
    v1::FlowCell* p = out->add_cells();
    p->set_month(c.month);
    p->set_earned_at(c.earned_at);
    p->set_redeemed_at(c.redeemed_at);
    p->set_points(c.points);
    p->set_members(c.members);
    p->set_suppressed(c.suppressed);
  }
  out->set_redeemed_points(r.redeemed_points);
  for (const FunderRatesFigure& f : r.funders) {
    v1::FunderRates* p = out->add_funders();
    p->set_funder_id(f.funder_id);
    p->set_issued_points(f.issued);
    p->set_redeemed_points(f.redeemed);
    p->set_expired_points(f.expired);
    p->set_reversed_points(f.reversed);
    p->set_outstanding_points(f.outstanding);
    p->set_redemption_rate(f.redemption_rate);
    p->set_breakage_rate(f.breakage_rate);
    p->set_members(f.members);
    p->set_suppressed(f.suppressed);
  }
  for (const ExpiryBucketFigure& b : r.outstanding) {
    v1::ExpiryBucket* p = out->add_outstanding();
    p->set_month(b.month);
    p->set_funder_id(b.funder_id);
    p->set_points(b.points);
    p->set_members(b.members);
    p->set_suppressed(b.suppressed);
  }
  out->set_outstanding_points(r.outstanding_points);
  out->set_min_cell_members(r.min_cell_members);
  out->set_member_count_cap(r.member_count_cap);
}

}  // namespace

grpc::ServerUnaryReactor* AnalyticsServiceImpl::GetPromotionEffect(
    grpc::CallbackServerContext* ctx, const v1::GetPromotionEffectRequest* req,
    v1::PromotionEffect* resp) {
  return Serve(ctx, "GetPromotionEffect", [this, req, resp](const Principal& caller) {
    PromotionEffectParams p;
    p.promotion_id = req->promotion_id();
    p.partner_id = req->partner_id();
    p.bootstrap_samples = req->bootstrap_samples();
    p.seed = req->seed();
    ASSIGN_OR_RETURN(PromotionEffectReport r, env_.analytics->PromotionEffect(ViewerOf(caller), p));
    ToProto(r, resp);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AnalyticsServiceImpl::GetJoiningEffect(
    grpc::CallbackServerContext* ctx, const v1::GetJoiningEffectRequest* req,
    v1::JoiningEffect* resp) {
  return Serve(ctx, "GetJoiningEffect", [this, req, resp](const Principal& caller) {
    JoiningParams p;
    p.partner_id = req->partner_id();
    p.period_start = req->period_start();
    p.period_end = req->period_end();
    p.weeks = req->weeks();
    ASSIGN_OR_RETURN(JoiningReport r, env_.analytics->JoiningEffect(ViewerOf(caller), p));
    ToProto(r, resp);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AnalyticsServiceImpl::GetSegments(grpc::CallbackServerContext* ctx,
                                                            const v1::GetSegmentsRequest* req,
                                                            v1::Segments* resp) {
  return Serve(ctx, "GetSegments", [this, req, resp](const Principal& caller) {
    SegmentsParams p;
    p.partner_id = req->partner_id();
    p.lookback_days = req->lookback_days();
    p.at_risk_days = req->at_risk_days();
    // 0 = the default; a caller who wants none asks for aggregates by partner_id 0.
    if (req->top_members() < 0) return InvalidField("top_members", "must be 0..1000");
    p.top_members = req->top_members() == 0 ? -1 : req->top_members();
    ASSIGN_OR_RETURN(SegmentsReport r, env_.analytics->Segments(ViewerOf(caller), p));
    ToProto(r, resp);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AnalyticsServiceImpl::GetFlows(grpc::CallbackServerContext* ctx,
                                                         const v1::GetFlowsRequest* req,
                                                         v1::Flows* resp) {
  return Serve(ctx, "GetFlows", [this, req, resp](const Principal& caller) {
    FlowsParams p;
    p.period_start = req->period_start();
    p.period_end = req->period_end();
    p.expiry_months = req->expiry_months();
    ASSIGN_OR_RETURN(FlowsReport r, env_.analytics->Flows(ViewerOf(caller), p));
    ToProto(r, resp);
    return absl::OkStatus();
  });
}

}  // namespace loyalty

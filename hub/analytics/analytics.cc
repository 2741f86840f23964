#include "hub/analytics/analytics.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "hub/analytics/figures.h"
#include "hub/common/error_reason.h"
#include "hub/common/money.h"
#include "hub/common/status_macros.h"
#include "hub/ledger/validate.h"
#include "hub/store/analytics_rows.h"

namespace loyalty {
namespace {

using analytics::Months;
using analytics::Ratio;

constexpr Micros kDay = 86'400'000'000;
constexpr Micros kMinTime = 946'684'800'000'000;    // 2000-01-01
constexpr Micros kMaxTime = 4'102'444'800'000'000;  // 2100-01-01
constexpr int kDefaultBootstrap = 1000;
constexpr int kMinBootstrap = 100;
constexpr uint64_t kDefaultSeed = 1;
constexpr int kDefaultWeeks = 8;
constexpr int kDefaultLookbackDays = 365;
constexpr int kDefaultAtRiskDays = 60;
constexpr int kDefaultTopMembers = 20;
constexpr int kMaxTopMembers = 1000;
constexpr int kMaxExpiryMonths = 120;
constexpr int64_t kFlowMemberCap = 100;
const std::vector<int> kConcentrationPercents = {1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100};

absl::Status OtherPartner(absl::string_view field) {
  return WithField(
      WithReason(absl::PermissionDeniedError(absl::StrCat(
                     field, ": a partner key may only ask about its own partner id")),
                 reason::kOtherPartnersData),
      field);
}

// The partner a partner-or-operator call is about: a partner viewer gets its own id for
// 0 and PERMISSION_DENIED for any other.
absl::StatusOr<PartnerId> OwnPartner(const Viewer& v, PartnerId asked, absl::string_view field) {
  if (asked < 0) return InvalidField(field, "must be >= 0");
  if (v.is_operator) return asked;
  if (asked != 0 && asked != v.partner) return OtherPartner(field);
  return v.partner;
}

// A period [start, end) from a request: both 0 = the last 12 months up to now.
absl::Status ResolvePeriod(Micros now, Micros* start, Micros* end) {
  if (*start == 0 && *end == 0) {
    *end = now;
    *start = now - 365 * kDay;
    return absl::OkStatus();
  }
  if (*start < kMinTime || *start > kMaxTime) {
    return InvalidField("period_start", "must be a time between 2000 and 2100 (UTC micros)");
  }
  if (*end < kMinTime || *end > kMaxTime) {
    return InvalidField("period_end", "must be a time between 2000 and 2100 (UTC micros)");
  }
  if (*end <= *start) return InvalidField("period_end", "must be after period_start");
  return absl::OkStatus();
}

GroupFigures Group(int64_t members, int64_t visits, int64_t spend, int64_t per) {
  GroupFigures g;
  g.members = members;
  g.visits = visits;
  g.spend_minor = spend;
  g.visits_per_member = Ratio(visits, per);
  g.spend_per_member_minor = Ratio(spend, per);
  return g;
}

// Zeroes a figure a viewer may not see.
void Suppress(GroupFigures* g) { *g = GroupFigures{0, 0, 0, 0, 0, true}; }

absl::StatusOr<ProgramRecord> ProgramOf(AnalyticsRows& rows) {
  ASSIGN_OR_RETURN(std::optional<ProgramRecord> program, rows.Program());
  if (!program) {
    return WithReason(absl::FailedPreconditionError("the program is not configured yet"),
                      reason::kProgramNotConfigured);
  }
  return *program;
}

absl::TimeZone ZoneOf(const ProgramRecord& program) {
  absl::TimeZone tz = absl::UTCTimeZone();
  if (ValidateTimeZoneName("time_zone", program.time_zone).ok()) {
    (void)absl::LoadTimeZone(program.time_zone, &tz);
  }
  return tz;
}

absl::Status PromotionNotFound(int64_t id) {
  return WithField(WithReason(absl::NotFoundError(absl::StrCat("promotion_id: no promotion ", id)),
                              reason::kPromotionNotFound),
                   "promotion_id");
}

// The promotions a partner may ask about: its own (it funds them or they are scoped to
// it) and those for everyone; others answer as if they did not exist.
bool VisibleTo(const Viewer& v, const PromotionRow& p) {
  if (v.is_operator || p.funder_id == v.partner || p.scope == "all") return true;
  int64_t scoped = 0;
  return p.scope == "partner" && absl::SimpleAtoi(p.scope_value, &scoped) && scoped == v.partner;
}

// The months of the outstanding-by-expiry table by default: as far as the program's
// points can live, plus the month they are earned in; 24 when they never expire.
int DefaultExpiryMonths(const ProgramRecord& program) {
  int horizon = program.expiry_policy == expiry_policy::kEndOfYear
                    ? 12 * (program.expiry_years + 1)
                    : program.expiry_months;
  if (horizon <= 0) return 24;
  return std::clamp(horizon + 1, 12, kMaxExpiryMonths);
}

// The month label of bucket `b` of `m` (-1: before the table).
std::string MonthLabel(const Months& m, int b) {
  if (b < 0 || b >= static_cast<int>(m.labels.size())) return "";
  return m.labels[b];
}

}  // namespace

int64_t Analytics::MinCell(const Viewer& v) const {
  return v.is_operator ? 0 : options_.min_cell_members;
}

absl::Status Analytics::Enter() {
  absl::MutexLock lock(&mu_);
  if (running_ >= options_.max_concurrent_reports) {
    return WithReason(absl::ResourceExhaustedError(absl::StrCat(
                          options_.max_concurrent_reports,
                          " analytics reports are being computed; try again shortly")),
                      reason::kHubAtCapacity);
  }
  ++running_;
  return absl::OkStatus();
}

void Analytics::Leave() {
  absl::MutexLock lock(&mu_);
  --running_;
}

template <typename T>
absl::StatusOr<T> Analytics::Audited(const Viewer& v, const char* action,
                                     const std::string& detail, absl::StatusOr<T> outcome) {
  const std::string line =
      absl::StrCat(detail, outcome.ok() ? " -> OK"
                                        : absl::StrCat(" -> ", absl::StatusCodeToString(
                                                                   outcome.status().code())));
  absl::Status audit = store_->RunInTransaction([&](StoreTxn& txn) {
    return txn.InsertAudit(clock_->NowMicros(), v.actor, action, line, "", "");
  });
  // A report that cannot be audited is not given out.
  if (!audit.ok()) return audit;
  return outcome;
}

template <typename Fn>
auto Analytics::Limited(Fn compute) -> decltype(compute()) {
  if (absl::Status s = Enter(); !s.ok()) return s;
  struct Slot {
    Analytics* analytics;
    ~Slot() { analytics->Leave(); }  // whatever way compute() ends
  } slot{this};
  return compute();
}

// ---------------------------------------------------------------- promotion ----

absl::StatusOr<PromotionEffectReport> Analytics::PromotionEffect(const Viewer& v,
                                                                 const PromotionEffectParams& p) {
  return Audited(v, "analytics_promotion_effect",
                 absl::StrCat("promotion_id=", p.promotion_id, " partner_id=", p.partner_id),
                 Limited([&] { return ComputePromotionEffect(v, p); }));
}

absl::StatusOr<PromotionEffectReport> Analytics::ComputePromotionEffect(const Viewer& v,
                                                                        PromotionEffectParams p) {
  if (p.promotion_id <= 0) return InvalidField("promotion_id", "must be > 0");
  if (p.bootstrap_samples == 0) p.bootstrap_samples = kDefaultBootstrap;
  if (p.bootstrap_samples < kMinBootstrap || p.bootstrap_samples > options_.max_bootstrap_samples) {
    return InvalidField("bootstrap_samples",
                        absl::StrCat("must be 0 or ", kMinBootstrap, "..",
                                     options_.max_bootstrap_samples));
  }
  if (p.seed == 0) p.seed = kDefaultSeed;
  ASSIGN_OR_RETURN(PartnerId asked, OwnPartner(v, p.partner_id, "partner_id"));
  const Micros now = clock_->NowMicros();

  PromotionEffectReport out;
  std::vector<AwardRow> awards;
  std::vector<ActivityRow> activity;
  absl::Status read = store_->RunAnalytics([&](AnalyticsRows& rows) -> absl::Status {
    ASSIGN_OR_RETURN(ProgramRecord program, ProgramOf(rows));
    ASSIGN_OR_RETURN(std::optional<PromotionRow> promo, rows.GetPromotion(p.promotion_id));
    if (!promo) return PromotionNotFound(p.promotion_id);
    if (!VisibleTo(v, *promo)) return PromotionNotFound(p.promotion_id);
    PartnerId partner = asked;
    if (partner == 0) {
      int64_t scoped = 0;
      if (promo->scope == "partner" && absl::SimpleAtoi(promo->scope_value, &scoped)) {
        partner = scoped;
      } else {
        partner = promo->funder_id;
      }
    }
    if (partner == 0) {
      return InvalidField("partner_id",
                          "required: the promotion is neither scoped to nor funded by a partner");
    }
    out.promotion_id = promo->id;
    out.promotion_name = promo->name;
    out.partner_id = partner;
    out.window_start = promo->starts_at;
    out.window_end = std::min(promo->ends_at, now);
    if (out.window_end <= out.window_start) {
      return absl::FailedPreconditionError(
          absl::StrCat("promotion_id: promotion ", promo->id, " has not started yet"));
    }
    out.pre_start = out.window_start - (out.window_end - out.window_start);
    out.currency = program.currency;

    int64_t price = program.point_value_micros;  // the operator funds at the point value
    ASSIGN_OR_RETURN(std::vector<SettlementTermsRow> terms, rows.SettlementTerms());
    for (const SettlementTermsRow& t : terms) {
      if (t.partner_id == promo->funder_id && promo->funder_id != 0) price = t.issue_price_micros;
    }
    // Another funder's price is its settlement term: not for a partner to see.
    out.issue_price_micros = v.is_operator || promo->funder_id == v.partner ? price : 0;

    ASSIGN_OR_RETURN(awards, rows.PromotionAwards(promo->id, partner));
    ActivityQuery q;
    q.partner = partner;
    q.from = out.pre_start;
    q.until = out.window_end;
    q.bucket_starts = {out.pre_start, out.window_start};
    ASSIGN_OR_RETURN(activity, rows.MemberActivity(q));
    for (const AwardRow& a : awards) {
      ASSIGN_OR_RETURN(out.bonus_points, CheckedAdd(out.bonus_points, a.points, "bonus_points"));
    }
    const std::optional<int> exponent = CurrencyExponent(program.currency);
    ASSIGN_OR_RETURN(out.cost_minor, ValueMinorHalfEven(out.bonus_points,
                                                        out.issue_price_micros,
                                                        exponent.value_or(2)));
    return absl::OkStatus();
  });
  if (!read.ok()) return read;

  // Each member's pre and during figures at the partner.
  std::unordered_map<MemberId, analytics::PrePost> figures;
  for (const ActivityRow& r : activity) {
    analytics::PrePost& f = figures[r.member];
    if (r.bucket == 0) {
      f.visits_pre += r.visits;
      f.spend_pre += r.spend_minor;
    } else if (r.bucket == 1) {
      f.visits_during += r.visits;
      f.spend_during += r.spend_minor;
    }
  }
  std::unordered_set<MemberId> treated_ids;
  std::vector<analytics::PrePost> treated;
  std::vector<analytics::PrePost> control;
  for (const AwardRow& a : awards) {
    treated_ids.insert(a.member);
    auto it = figures.find(a.member);
    treated.push_back(it == figures.end() ? analytics::PrePost{} : it->second);
  }
  for (const auto& [member, f] : figures) {
    if (f.visits_pre > 0 && treated_ids.count(member) == 0) control.push_back(f);
  }
  // The map's order is not the members' order: sort so the bootstrap repeats exactly.
  auto by_value = [](const analytics::PrePost& a, const analytics::PrePost& b) {
    return std::tie(a.visits_pre, a.spend_pre, a.visits_during, a.spend_during) <
           std::tie(b.visits_pre, b.spend_pre, b.visits_during, b.spend_during);
  };
  std::sort(control.begin(), control.end(), by_value);
  std::sort(treated.begin(), treated.end(), by_value);

  auto group = [](const std::vector<analytics::PrePost>& g, bool pre) {
    int64_t visits = 0, spend = 0;
    for (const analytics::PrePost& f : g) {
      visits += pre ? f.visits_pre : f.visits_during;
      spend += pre ? f.spend_pre : f.spend_during;
    }
    const int64_t n = static_cast<int64_t>(g.size());
    return Group(n, visits, spend, n);
  };
  out.treated_pre = group(treated, true);
  out.treated_during = group(treated, false);
  out.control_pre = group(control, true);
  out.control_during = group(control, false);

  const analytics::DidEstimate did =
      analytics::DifferenceInDifferences(treated, control, p.bootstrap_samples, p.seed);
  out.visits_uplift_per_member = {did.visits.value, did.visits.low, did.visits.high};
  out.spend_uplift_per_member_minor = {did.spend.value, did.spend.low, did.spend.high};
  const double nt = static_cast<double>(treated.size());
  out.incremental_spend_minor = did.incremental_spend;
  out.incremental_spend_low_minor = static_cast<int64_t>(std::llround(did.spend.low * nt));
  out.incremental_spend_high_minor = static_cast<int64_t>(std::llround(did.spend.high * nt));
  out.return_on_cost = Ratio(out.incremental_spend_minor, out.cost_minor);
  out.bootstrap_samples = p.bootstrap_samples;
  out.seed = p.seed;
  return out;
}

// ------------------------------------------------------------------ joining ----

absl::StatusOr<JoiningReport> Analytics::JoiningEffect(const Viewer& v, const JoiningParams& p) {
  return Audited(v, "analytics_joining_effect",
                 absl::StrCat("partner_id=", p.partner_id, " period=", p.period_start, "..",
                              p.period_end, " weeks=", p.weeks),
                 Limited([&] { return ComputeJoiningEffect(v, p); }));
}

absl::StatusOr<JoiningReport> Analytics::ComputeJoiningEffect(const Viewer& v, JoiningParams p) {
  ASSIGN_OR_RETURN(PartnerId partner, OwnPartner(v, p.partner_id, "partner_id"));
  if (partner == 0) return InvalidField("partner_id", "required for an operator key");
  if (p.weeks == 0) p.weeks = kDefaultWeeks;
  if (p.weeks < 1 || p.weeks > 52) return InvalidField("weeks", "must be 0 or 1..52");
  const Micros now = clock_->NowMicros();
  RETURN_IF_ERROR(ResolvePeriod(now, &p.period_start, &p.period_end));

  JoiningReport out;
  out.partner_id = partner;
  out.period_start = p.period_start;
  out.period_end = p.period_end;
  out.weeks = p.weeks;
  std::vector<JoinerWindowRow> windows;
  std::vector<ActivityRow> months_active;
  Months months;
  absl::Status read = store_->RunAnalytics([&](AnalyticsRows& rows) -> absl::Status {
    ASSIGN_OR_RETURN(ProgramRecord program, ProgramOf(rows));
    ASSIGN_OR_RETURN(windows, rows.JoinerWindows(partner, p.period_start, p.period_end,
                                                 p.weeks * 7 * kDay));
    // Cohorts: from the period's first month to now (or the period's end if later).
    months = analytics::MonthsBetween(ZoneOf(program), p.period_start,
                                      std::max(now, p.period_end));
    ActivityQuery q;
    q.partner = partner;
    q.from = 0;
    q.until = std::max(now, p.period_end);
    q.bucket_starts = months.starts;
    ASSIGN_OR_RETURN(months_active, rows.MemberActivity(q));
    return absl::OkStatus();
  });
  if (!read.ok()) return read;

  for (const JoinerWindowRow& w : windows) {
    if (w.at_partner && w.after) out.joiners = w.members;  // each joiner's first earn
  }
  int64_t v_before = 0, s_before = 0, v_after = 0, s_after = 0;
  int64_t elsewhere_after = 0;  // joiners who also earned at other partners afterwards
  for (const JoinerWindowRow& w : windows) {
    if (!w.at_partner && w.after) elsewhere_after = w.members;
    if (w.at_partner) {
      (w.after ? out.at_partner_after : out.at_partner_before) =
          Group(out.joiners, w.visits, w.spend_minor, out.joiners);
    } else if (!w.after) {
      out.joiners_known_before = w.members;
    }
    (w.after ? v_after : v_before) += w.visits;
    (w.after ? s_after : s_before) += w.spend_minor;
  }
  if (out.at_partner_before.members == 0) out.at_partner_before = Group(out.joiners, 0, 0, 0);
  if (out.at_partner_after.members == 0) out.at_partner_after = Group(out.joiners, 0, 0, 0);
  out.coalition_before = Group(out.joiners, v_before, s_before, out.joiners);
  out.coalition_after = Group(out.joiners, v_after, s_after, out.joiners);
  const int64_t k = MinCell(v);
  // Activity at other partners is coalition-wide: a partner sees it over >= k members.
  if (out.joiners_known_before < k) {
    Suppress(&out.coalition_before);
    out.joiners_known_before = 0;
  }
  // Coalition after less at the partner after is the activity elsewhere of the joiners
  // who went elsewhere: that group, too, must hold k members.
  if (out.joiners < k || elsewhere_after < k) Suppress(&out.coalition_after);

  std::vector<analytics::MemberMonth> member_months;
  member_months.reserve(months_active.size());
  for (const ActivityRow& r : months_active) member_months.push_back({r.member, r.bucket});
  for (const analytics::CohortFigure& c :
       analytics::CohortRetention(member_months, static_cast<int>(months.starts.size()))) {
    CohortFigures f;
    f.month = MonthLabel(months, c.month);
    f.members = c.members;
    f.active = c.active;
    for (int64_t a : c.active) f.share.push_back(Ratio(a, c.members));
    out.cohorts.push_back(std::move(f));
  }
  return out;
}

// ----------------------------------------------------------------- segments ----

absl::StatusOr<SegmentsReport> Analytics::Segments(const Viewer& v, const SegmentsParams& p) {
  return Audited(v, "analytics_segments",
                 absl::StrCat("partner_id=", p.partner_id, " lookback_days=", p.lookback_days,
                              " at_risk_days=", p.at_risk_days, " top_members=", p.top_members),
                 Limited([&] { return ComputeSegments(v, p); }));
}

absl::StatusOr<SegmentsReport> Analytics::ComputeSegments(const Viewer& v, SegmentsParams p) {
  if (p.partner_id < 0) return InvalidField("partner_id", "must be >= 0");
  // A partner: its own tills at member level, or the coalition (0) as aggregates.
  if (!v.is_operator && p.partner_id != 0 && p.partner_id != v.partner) {
    return OtherPartner("partner_id");
  }
  const bool member_level = v.is_operator || p.partner_id != 0;
  const int64_t k = member_level ? 0 : options_.min_cell_members;
  if (p.lookback_days == 0) p.lookback_days = kDefaultLookbackDays;
  if (p.lookback_days < 1 || p.lookback_days > 3660) {
    return InvalidField("lookback_days", "must be 0 or 1..3660");
  }
  if (p.at_risk_days == 0) p.at_risk_days = std::min(kDefaultAtRiskDays, p.lookback_days);
  if (p.at_risk_days < 1 || p.at_risk_days > p.lookback_days) {
    return InvalidField("at_risk_days", "must be 0 or 1..lookback_days");
  }
  if (p.top_members < 0) p.top_members = kDefaultTopMembers;
  if (p.top_members > kMaxTopMembers) {
    return InvalidField("top_members", absl::StrCat("must be 0..", kMaxTopMembers));
  }
  const Micros now = clock_->NowMicros();

  std::vector<ActivityRow> activity;
  std::vector<std::pair<MemberId, std::string>> tiers;
  absl::Status read = store_->RunAnalytics([&](AnalyticsRows& rows) -> absl::Status {
    ActivityQuery q;
    q.partner = p.partner_id;
    q.from = now - p.lookback_days * kDay;
    q.until = now;
    ASSIGN_OR_RETURN(activity, rows.MemberActivity(q));
    ASSIGN_OR_RETURN(tiers, rows.MemberTiers());
    return absl::OkStatus();
  });
  if (!read.ok()) return read;

  SegmentsReport out;
  out.partner_id = p.partner_id;
  out.as_of = now;
  out.lookback_days = p.lookback_days;
  out.at_risk_days = p.at_risk_days;
  out.min_cell_members = k;
  const size_t n = activity.size();  // one row per member: a single bucket
  std::vector<int64_t> recency(n), frequency(n), monetary(n);
  for (size_t i = 0; i < n; ++i) {
    recency[i] = (now - activity[i].last_at) / kDay;
    frequency[i] = activity[i].visits;
    monetary[i] = activity[i].spend_minor;
    out.visits += activity[i].visits;
    out.spend_minor += activity[i].spend_minor;
  }
  out.members = static_cast<int64_t>(n);
  const std::vector<int> r = analytics::QuintileScores(recency, false);
  const std::vector<int> f = analytics::QuintileScores(frequency, true);
  const std::vector<int> m = analytics::QuintileScores(monetary, true);

  std::map<std::tuple<int, int, int>, RfmCellFigure> cells;
  const Micros silent_since = now - p.at_risk_days * kDay;
  int64_t risk_members = 0, risk_visits = 0, risk_spend = 0;
  for (size_t i = 0; i < n; ++i) {
    RfmCellFigure& c = cells[{r[i], f[i], m[i]}];
    c.recency = r[i];
    c.frequency = f[i];
    c.monetary = m[i];
    c.members += 1;
    c.spend_minor += monetary[i];
    if (activity[i].last_at < silent_since) {
      risk_members += 1;
      risk_visits += activity[i].visits;
      risk_spend += activity[i].spend_minor;
    }
  }
  for (auto& [key, c] : cells) {
    if (c.members < k) c = RfmCellFigure{c.recency, c.frequency, c.monetary, 0, 0, true};
    out.rfm.push_back(c);
  }

  for (const analytics::ConcentrationFigure& c :
       analytics::Concentration(monetary, kConcentrationPercents)) {
    ConcentrationPointFigure pt{c.top_percent, c.members, c.spend, c.share, false};
    if (c.members < k) pt = {c.top_percent, 0, 0, 0, true};
    if (c.top_percent == 20) out.top20_spend_share = pt.spend_share;
    out.concentration.push_back(pt);
  }

  std::unordered_map<MemberId, const std::string*> tier_of;
  for (const auto& [member, tier] : tiers) tier_of[member] = &tier;
  std::map<std::string, int64_t> tier_counts;
  for (const ActivityRow& a : activity) {
    auto it = tier_of.find(a.member);
    tier_counts[it == tier_of.end() ? std::string() : *it->second] += 1;
  }
  for (const auto& [tier, count] : tier_counts) {
    out.tiers.push_back(count < k ? TierCountFigure{tier, 0, true}
                                  : TierCountFigure{tier, count, false});
  }

  out.at_risk = Group(risk_members, risk_visits, risk_spend, risk_members);
  if (risk_members < k) Suppress(&out.at_risk);
  // The totals are a figure over all the members: below k, only their count is shown.
  if (out.members < k) {
    out.visits = 0;
    out.spend_minor = 0;
  }

  if (member_level && p.top_members > 0) {
    std::vector<size_t> order(n);
    for (size_t i = 0; i < n; ++i) order[i] = i;
    const size_t top = std::min<size_t>(n, p.top_members);
    std::partial_sort(order.begin(), order.begin() + top, order.end(), [&](size_t a, size_t b) {
      if (monetary[a] != monetary[b]) return monetary[a] > monetary[b];
      return activity[a].member < activity[b].member;
    });
    for (size_t j = 0; j < top; ++j) {
      const size_t i = order[j];
      out.top_members.push_back({activity[i].member, activity[i].last_at, activity[i].visits,
                                 monetary[i], r[i], f[i], m[i],
                                 activity[i].last_at < silent_since});
    }
  }
  return out;
}

// -------------------------------------------------------------------- flows ----

absl::StatusOr<FlowsReport> Analytics::Flows(const Viewer& v, const FlowsParams& p) {
  return Audited(v, "analytics_flows",
                 absl::StrCat("period=", p.period_start, "..", p.period_end,
                              " expiry_months=", p.expiry_months),
                 Limited([&] { return ComputeFlows(v, p); }));
}

absl::StatusOr<FlowsReport> Analytics::ComputeFlows(const Viewer& v, FlowsParams p) {
  const Micros now = clock_->NowMicros();
  RETURN_IF_ERROR(ResolvePeriod(now, &p.period_start, &p.period_end));
  if (p.expiry_months < 0 || p.expiry_months > kMaxExpiryMonths) {
    return InvalidField("expiry_months", absl::StrCat("must be 0 or 1..", kMaxExpiryMonths));
  }
  const int64_t k = MinCell(v);
  // Members of a flow cell are counted up to this: enough to decide suppression, and a
  // count a reader can use, without a pass over every redemption of the period.
  const int64_t cap = std::max<int64_t>(k, kFlowMemberCap);
  FlowsReport out;
  out.period_start = p.period_start;
  out.period_end = p.period_end;
  out.min_cell_members = k;
  out.member_count_cap = cap;
  std::vector<ConsumptionSumRow> sums;
  std::vector<FunderLotsRow> funders;
  std::vector<OutstandingRow> outstanding;
  Months months, expiry;
  absl::Status read = store_->RunAnalytics([&](AnalyticsRows& rows) -> absl::Status {
    ASSIGN_OR_RETURN(ProgramRecord program, ProgramOf(rows));
    const absl::TimeZone tz = ZoneOf(program);
    if (p.expiry_months == 0) p.expiry_months = DefaultExpiryMonths(program);
    months = analytics::MonthsBetween(tz, p.period_start, p.period_end);
    ASSIGN_OR_RETURN(sums, rows.ConsumptionSums(p.period_start, p.period_end, months.starts));
    // The flow cells: redemptions less restores, by month, funder and redeemer.
    std::map<std::tuple<int, PartnerId, PartnerId>, std::pair<Points, int64_t>> cells;
    for (const ConsumptionSumRow& c : sums) {
      if (c.kind != consumption_kind::kRedeem && c.kind != consumption_kind::kRestore) continue;
      auto& [points, records] = cells[{c.bucket, c.funder, c.redeemer}];
      points += c.points;
      records += c.rows;
    }
    for (const auto& [key, sum] : cells) {
      const auto& [bucket, funder, redeemer] = key;
      FlowCellFigure f;
      f.month = MonthLabel(months, bucket);
      f.earned_at = funder;
      f.redeemed_at = redeemer;
      f.points = sum.first;
      out.redeemed_points += sum.first;
      if (sum.second >= k) {  // fewer rows than k cannot be k members
        FlowCellKey cell{std::max(p.period_start, months.starts[bucket]),
                         bucket + 1 < static_cast<int>(months.starts.size())
                             ? months.starts[bucket + 1]
                             : p.period_end,
                         funder, redeemer};
        ASSIGN_OR_RETURN(f.members, rows.FlowCellMembers(cell, cap));
      }
      if (f.members < k) f = {f.month, funder, redeemer, 0, 0, true};
      out.cells.push_back(std::move(f));
    }
    ASSIGN_OR_RETURN(funders, rows.FunderLots(p.period_start, p.period_end));
    // Expiry months from this one on, and one more start: everything after it is "later".
    const absl::CivilMonth first(absl::ToCivilSecond(absl::FromUnixMicros(now), tz));
    const Micros table_end = absl::ToUnixMicros(absl::FromCivil(first + p.expiry_months, tz));
    expiry = analytics::MonthsBetween(tz, now, table_end);
    std::vector<Micros> starts = expiry.starts;
    starts.push_back(table_end);
    ASSIGN_OR_RETURN(outstanding, rows.Outstanding(starts));
    return absl::OkStatus();
  });
  if (!read.ok()) return read;

  // Per funder over the period: issued (lots earned in it), what consumptions posted in
  // it took, and what its lots hold now.
  std::map<PartnerId, FunderRatesFigure> rates;
  for (const FunderLotsRow& r : funders) {
    FunderRatesFigure& f = rates[r.funder];
    f.issued = r.issued;
    f.members = r.members;
  }
  for (const ConsumptionSumRow& c : sums) {
    FunderRatesFigure& f = rates[c.funder];
    if (c.kind == consumption_kind::kRedeem || c.kind == consumption_kind::kRestore ||
        c.kind == consumption_kind::kAdjust) {
      f.redeemed += c.points;
    } else if (c.kind == consumption_kind::kExpire) {
      f.expired += c.points;
    } else {  // reverse_own, reverse_cover, debt_repay
      f.reversed += c.points;
    }
  }
  const int table = static_cast<int>(expiry.starts.size());
  for (const OutstandingRow& r : outstanding) {
    out.outstanding_points += r.points;
    rates[r.funder].outstanding += r.points;
    std::string label = r.bucket == -2      ? "never"
                        : r.bucket == -1    ? "overdue"
                        : r.bucket >= table ? "later"
                                            : expiry.labels[r.bucket];
    ExpiryBucketFigure f{std::move(label), r.funder, r.points, r.members, false};
    if (r.members < k) f = {f.month, r.funder, 0, 0, true};
    out.outstanding.push_back(std::move(f));
  }
  for (auto& [funder, f] : rates) {
    f.funder_id = funder;
    f.redemption_rate = Ratio(f.redeemed, f.issued);
    f.breakage_rate = Ratio(f.expired, f.issued);
    // A partner sees its own funder row only: another funder's totals less the cells
    // shown would give away its cells below k.
    const bool hidden = f.members < k || (!v.is_operator && funder != v.partner);
    if (hidden) f = FunderRatesFigure{funder, 0, 0, 0, 0, 0, 0, 0, 0, true};
    out.funders.push_back(f);
  }
  if (k > 0) {
    // A partner's totals are over what it is shown, so no total gives away a hidden cell.
    out.redeemed_points = 0;
    for (const FlowCellFigure& c : out.cells) out.redeemed_points += c.points;
    out.outstanding_points = 0;
    for (ExpiryBucketFigure& e : out.outstanding) {
      if (!v.is_operator && e.funder_id != v.partner) e = {e.month, e.funder_id, 0, 0, true};
      out.outstanding_points += e.points;
    }
  }
  return out;
}

}  // namespace loyalty

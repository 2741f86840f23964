#include "analytics_records.h"

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "hub/common/escape.h"
#include "absl/strings/str_format.h"

namespace loyalty::cli {
namespace {

// ---- Records ------------------------------------------------------------------------

Field Count(int64_t v, bool suppressed, Audience a) {
  if (suppressed && a == Audience::kPeople) return std::string(kSuppressedWord);
  return v;
}

Field Ratio(double v, bool suppressed, Audience a) {
  if (suppressed && a == Audience::kPeople) return std::string(kSuppressedWord);
  return v;
}

// Scripts read the flag; people read the word in the figures instead.
void AddSuppressed(Record& r, bool suppressed, Audience a) {
  if (a == Audience::kScripts) r.Add("suppressed", suppressed);
}

std::vector<Record> GroupRecords(const std::vector<NamedGroup>& groups, Audience a) {
  std::vector<Record> out;
  for (const NamedGroup& n : groups) {
    const v1::GroupFigures& g = *n.figures;
    const bool s = g.suppressed();
    Record r;
    r.Add("group", n.group).Add("window", n.window);
    r.Add("members", Count(g.members(), s, a)).Add("visits", Count(g.visits(), s, a));
    r.Add("spend_minor", Count(g.spend_minor(), s, a));
    r.Add("visits_per_member", Ratio(g.visits_per_member(), s, a));
    r.Add("spend_per_member_minor", Ratio(g.spend_per_member_minor(), s, a));
    AddSuppressed(r, s, a);
    out.push_back(std::move(r));
  }
  return out;
}

// A share as people read it: 0.6667 -> "66.7%".
std::string Percent(double share) { return absl::StrFormat("%.1f%%", share * 100); }

// A cohort: for people one `mK=active/share` field per month after joining; for scripts
// a list of {months_after, active, share}.
Record CohortRecord(const v1::CohortRetention& c, Audience a) {
  const bool s = c.suppressed();
  Record r;
  r.Add("month", c.month()).Add("members", Count(c.members(), s, a));
  std::vector<Record> retention;
  for (int k = 0; k < c.active_size(); ++k) {
    const double share = k < c.share_size() ? c.share(k) : 0;
    if (a == Audience::kPeople) {
      r.Add(absl::StrCat("m", k),
            s ? std::string(kSuppressedWord) : absl::StrCat(c.active(k), "/", Percent(share)));
      continue;
    }
    Record month;
    month.Add("months_after", int64_t{k}).Add("active", c.active(k)).Add("share", share);
    retention.push_back(std::move(month));
  }
  if (a == Audience::kScripts) r.Add("retention", std::move(retention));
  AddSuppressed(r, s, a);
  return r;
}

}  // namespace

std::vector<NamedGroup> PromotionGroups(const v1::PromotionEffect& r) {
  return {{"treated", "pre", &r.treated_pre()},
          {"treated", "during", &r.treated_during()},
          {"control", "pre", &r.control_pre()},
          {"control", "during", &r.control_during()}};
}

std::vector<NamedGroup> JoiningGroups(const v1::JoiningEffect& r) {
  return {{"at_partner", "before", &r.at_partner_before()},
          {"at_partner", "after", &r.at_partner_after()},
          {"coalition", "before", &r.coalition_before()},
          {"coalition", "after", &r.coalition_after()}};
}

Record PromotionEffectRecord(const v1::PromotionEffect& r, Audience a) {
  Record out;
  out.Add("promotion_id", r.promotion_id()).Add("promotion_name", r.promotion_name());
  out.Add("partner_id", r.partner_id()).Add("currency", r.currency());
  out.Add("pre_starts_at_micros", r.pre_start()).Add("starts_at_micros", r.window_start());
  out.Add("ends_at_micros", r.window_end());
  out.Add("groups", GroupRecords(PromotionGroups(r), a));
  const v1::Estimate& visits = r.visits_uplift_per_member();
  out.Add("visits_uplift_per_member", visits.value());
  out.Add("visits_uplift_per_member_low", visits.ci_low());
  out.Add("visits_uplift_per_member_high", visits.ci_high());
  const v1::Estimate& spend = r.spend_uplift_per_member_minor();
  out.Add("spend_uplift_per_member_minor", spend.value());
  out.Add("spend_uplift_per_member_low_minor", spend.ci_low());
  out.Add("spend_uplift_per_member_high_minor", spend.ci_high());
  out.Add("bonus_points", r.bonus_points()).Add("issue_price_micros", r.issue_price_micros());
  out.Add("cost_minor", r.cost_minor());
  out.Add("incremental_spend_minor", r.incremental_spend_minor());
  out.Add("incremental_spend_low_minor", r.incremental_spend_low_minor());
  out.Add("incremental_spend_high_minor", r.incremental_spend_high_minor());
  out.Add("return_on_cost", r.return_on_cost());
  out.Add("bootstrap_samples", int64_t{r.bootstrap_samples()});
  out.Add("seed", static_cast<int64_t>(r.seed()));
  return out;
}

Record JoiningEffectRecord(const v1::JoiningEffect& r, Audience a) {
  Record out;
  out.Add("partner_id", r.partner_id());
  out.Add("period_start_at_micros", r.period_start()).Add("period_end_at_micros", r.period_end());
  out.Add("weeks", int64_t{r.weeks()}).Add("joiners", r.joiners());
  out.Add("joiners_known_before", r.joiners_known_before());
  out.Add("groups", GroupRecords(JoiningGroups(r), a));
  std::vector<Record> cohorts;
  for (const v1::CohortRetention& c : r.cohorts()) cohorts.push_back(CohortRecord(c, a));
  out.Add("cohorts", std::move(cohorts));
  return out;
}

const v1::ConcentrationPoint* ConcentrationAt(const v1::Segments& r, int32_t top_percent) {
  for (const v1::ConcentrationPoint& p : r.concentration()) {
    if (p.top_percent() == top_percent) return &p;
  }
  return nullptr;
}

Record SegmentsRecord(const v1::Segments& r, Audience a) {
  Record out;
  out.Add("partner_id", r.partner_id()).Add("computed_at_micros", r.as_of());
  out.Add("lookback_days", int64_t{r.lookback_days()});
  out.Add("at_risk_days", int64_t{r.at_risk_days()});
  out.Add("members", r.members()).Add("visits", r.visits()).Add("spend_minor", r.spend_minor());
  const v1::ConcentrationPoint* top20 = ConcentrationAt(r, 20);
  out.Add("top20_spend_share",
          Ratio(r.top20_spend_share(), top20 != nullptr && top20->suppressed(), a));
  const v1::GroupFigures& risk = r.at_risk();
  out.Add("at_risk_members", Count(risk.members(), risk.suppressed(), a));
  out.Add("at_risk_spend_minor", Count(risk.spend_minor(), risk.suppressed(), a));
  out.Add("min_cell_members", r.min_cell_members());
  std::vector<Record> rfm;
  for (const v1::RfmCell& c : r.rfm()) {
    Record row;
    row.Add("recency_score", int64_t{c.recency_score()});
    row.Add("frequency_score", int64_t{c.frequency_score()});
    row.Add("monetary_score", int64_t{c.monetary_score()});
    row.Add("members", Count(c.members(), c.suppressed(), a));
    row.Add("spend_minor", Count(c.spend_minor(), c.suppressed(), a));
    AddSuppressed(row, c.suppressed(), a);
    rfm.push_back(std::move(row));
  }
  out.Add("rfm", std::move(rfm));
  std::vector<Record> curve;
  for (const v1::ConcentrationPoint& p : r.concentration()) {
    Record row;
    row.Add("top_percent", int64_t{p.top_percent()});
    row.Add("members", Count(p.members(), p.suppressed(), a));
    row.Add("spend_minor", Count(p.spend_minor(), p.suppressed(), a));
    row.Add("spend_share", Ratio(p.spend_share(), p.suppressed(), a));
    AddSuppressed(row, p.suppressed(), a);
    curve.push_back(std::move(row));
  }
  out.Add("concentration", std::move(curve));
  std::vector<Record> tiers;
  for (const v1::TierCount& t : r.tiers()) {
    Record row;
    row.Add("tier", t.tier().empty() && a == Audience::kPeople ? "(none)" : t.tier());
    row.Add("members", Count(t.members(), t.suppressed(), a));
    AddSuppressed(row, t.suppressed(), a);
    tiers.push_back(std::move(row));
  }
  out.Add("tiers", std::move(tiers));
  std::vector<Record> top;
  for (const v1::MemberScore& m : r.top_members()) {
    Record row;
    row.Add("member_id", m.member_id()).Add("last_visit_at_micros", m.last_visit());
    row.Add("visits", m.visits()).Add("spend_minor", m.spend_minor());
    row.Add("recency_score", int64_t{m.recency_score()});
    row.Add("frequency_score", int64_t{m.frequency_score()});
    row.Add("monetary_score", int64_t{m.monetary_score()});
    row.Add("at_risk", m.at_risk());
    top.push_back(std::move(row));
  }
  out.Add("top_members", std::move(top));
  return out;
}

Record FlowsRecord(const v1::Flows& r, Audience a) {
  Record out;
  out.Add("period_start_at_micros", r.period_start()).Add("period_end_at_micros", r.period_end());
  out.Add("redeemed_points", r.redeemed_points());
  out.Add("outstanding_points", r.outstanding_points());
  out.Add("min_cell_members", r.min_cell_members());
  std::vector<Record> cells;
  for (const v1::FlowCell& c : r.cells()) {
    Record row;
    row.Add("month", c.month()).Add("earned_at", c.earned_at());
    row.Add("redeemed_at", c.redeemed_at());
    row.Add("points", Count(c.points(), c.suppressed(), a));
    row.Add("members", Count(c.members(), c.suppressed(), a));
    AddSuppressed(row, c.suppressed(), a);
    cells.push_back(std::move(row));
  }
  out.Add("cells", std::move(cells));
  std::vector<Record> funders;
  for (const v1::FunderRates& f : r.funders()) {
    const bool s = f.suppressed();
    Record row;
    row.Add("funder_id", f.funder_id());
    row.Add("issued_points", Count(f.issued_points(), s, a));
    row.Add("redeemed_points", Count(f.redeemed_points(), s, a));
    row.Add("expired_points", Count(f.expired_points(), s, a));
    row.Add("reversed_points", Count(f.reversed_points(), s, a));
    row.Add("outstanding_points", Count(f.outstanding_points(), s, a));
    row.Add("redemption_rate", Ratio(f.redemption_rate(), s, a));
    row.Add("breakage_rate", Ratio(f.breakage_rate(), s, a));
    row.Add("members", Count(f.members(), s, a));
    AddSuppressed(row, s, a);
    funders.push_back(std::move(row));
  }
  out.Add("funders", std::move(funders));
  std::vector<Record> outstanding;
  for (const v1::ExpiryBucket& b : r.outstanding()) {
    Record row;
    row.Add("month", b.month()).Add("funder_id", b.funder_id());
    row.Add("points", Count(b.points(), b.suppressed(), a));
    row.Add("members", Count(b.members(), b.suppressed(), a));
    AddSuppressed(row, b.suppressed(), a);
    outstanding.push_back(std::move(row));
  }
  out.Add("outstanding", std::move(outstanding));
  return out;
}

// ---- CSV ----------------------------------------------------------------------------

namespace {

void AppendCsvLine(std::string& out, const std::vector<std::string>& fields) {
  for (size_t i = 0; i < fields.size(); ++i) {
    absl::StrAppend(&out, i ? "," : "", CsvField(fields[i]));
  }
  out += "\n";
}

std::string CountCell(int64_t v, bool suppressed) {
  return suppressed ? kSuppressedWord : absl::StrCat(v);
}

std::string RatioCell(double v, bool suppressed) {
  return suppressed ? kSuppressedWord : absl::StrFormat("%.3f", v);
}

std::string GroupsCsv(const std::vector<NamedGroup>& groups) {
  std::string out;
  AppendCsvLine(out, {"group", "window", "members", "visits", "spend_minor", "visits_per_member",
                      "spend_per_member_minor"});
  for (const NamedGroup& n : groups) {
    const v1::GroupFigures& g = *n.figures;
    const bool s = g.suppressed();
    AppendCsvLine(out, {n.group, n.window, CountCell(g.members(), s), CountCell(g.visits(), s),
                        CountCell(g.spend_minor(), s), RatioCell(g.visits_per_member(), s),
                        RatioCell(g.spend_per_member_minor(), s)});
  }
  return out;
}

}  // namespace

std::string PromotionEffectCsv(const v1::PromotionEffect& r) {
  return GroupsCsv(PromotionGroups(r));
}

std::string JoiningEffectCsv(const v1::JoiningEffect& r) {
  int months = 0;  // the widest cohort's columns
  for (const v1::CohortRetention& c : r.cohorts()) months = std::max(months, c.active_size());
  std::vector<std::string> header = {"month", "members"};
  for (int k = 0; k < months; ++k) header.push_back(absl::StrCat("active_", k));
  for (int k = 0; k < months; ++k) header.push_back(absl::StrCat("share_", k));
  std::string out;
  AppendCsvLine(out, header);
  for (const v1::CohortRetention& c : r.cohorts()) {
    const bool s = c.suppressed();
    std::vector<std::string> row = {c.month(), CountCell(c.members(), s)};
    for (int k = 0; k < months; ++k) {
      row.push_back(k < c.active_size() ? CountCell(c.active(k), s) : "");
    }
    for (int k = 0; k < months; ++k) {
      row.push_back(k < c.share_size() ? RatioCell(c.share(k), s) : "");
    }
    AppendCsvLine(out, row);
  }
  return out;
}

std::string SegmentsCsv(const v1::Segments& r) {
  std::string out;
  AppendCsvLine(out,
                {"recency_score", "frequency_score", "monetary_score", "members", "spend_minor"});
  for (const v1::RfmCell& c : r.rfm()) {
    AppendCsvLine(out, {absl::StrCat(c.recency_score()), absl::StrCat(c.frequency_score()),
                        absl::StrCat(c.monetary_score()), CountCell(c.members(), c.suppressed()),
                        CountCell(c.spend_minor(), c.suppressed())});
  }
  return out;
}

std::string FlowsCsv(const v1::Flows& r) {
  std::string out;
  AppendCsvLine(out, {"month", "earned_at", "redeemed_at", "points", "members"});
  for (const v1::FlowCell& c : r.cells()) {
    AppendCsvLine(out,
                  {c.month(), absl::StrCat(c.earned_at()), absl::StrCat(c.redeemed_at()),
                   CountCell(c.points(), c.suppressed()), CountCell(c.members(), c.suppressed())});
  }
  return out;
}

}  // namespace loyalty::cli

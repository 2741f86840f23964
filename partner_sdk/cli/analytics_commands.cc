// The `analytics` subcommand: AnalyticsService's reports as text, --json, --csv (the
// report's main table) or one HTML page (analytics_html.h). Every key role may call it;
// what a partner key sees is limited by the hub (analytics_connection.h).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "analytics_html.h"
#include "analytics_records.h"
#include "command.h"
#include "hub/common/status_macros.h"
#include "loyalty/error_details.h"

namespace loyalty::cli {
namespace {

constexpr char kReportNames[] = "promotion, joining, segments, flows or html";

// The flags each report reads; any other flag of the command is refused for it.
struct ReportSpec {
  const char* name;
  std::vector<std::string> flags;
};

const std::vector<ReportSpec>& ReportSpecs() {
  static const auto* specs = new std::vector<ReportSpec>{
      {"promotion", {"promotion_id", "partner_id", "bootstrap_samples", "seed", "csv"}},
      {"joining", {"partner_id", "since", "until", "weeks", "csv"}},
      {"segments", {"partner_id", "lookback_days", "at_risk_days", "top_members", "csv"}},
      {"flows", {"since", "until", "expiry_months", "csv"}},
      {"html",
       {"out", "promotion_id", "partner_id", "since", "until", "weeks", "lookback_days",
        "at_risk_days", "top_members", "expiry_months"}},
  };
  return *specs;
}

std::vector<FlagSpec> AnalyticsFlags() {
  return {
      {"report", absl::StrCat(kReportNames, " (or give it as the argument)"), true},
      {"partner_id",
       "segments: activity at this partner only (default 0 = the whole coalition); joining, "
       "html: the partner (a partner key: itself by default; an operator key must name it); "
       "promotion: the partner measured (default: the promotion's own)"},
      {"promotion_id",
       "promotion: required; html: default the last created promotion at a partner that has "
       "started (admin keys; for other keys the section is left out)"},
      {"since",
       "joining, flows: period start: ISO-8601 UTC (2026-01-01) or UTC micros; with "
       "--until (neither = the last 12 months)"},
      {"until", "joining, flows: period end, exclusive"},
      {"weeks", "joining: the before/after windows, 1..52; default 8"},
      {"lookback_days", "segments: members active in the last N days, 1..3660; default 365"},
      {"at_risk_days", "segments: silent this many days counts as at risk; default 60"},
      {"top_members", "segments: member rows (member-level keys), 0..1000; default 20"},
      {"expiry_months", "flows: months of the outstanding-by-expiry table, 1..120; default 24"},
      {"bootstrap_samples", "promotion: 100..10000; default 1000"},
      {"seed", "promotion: the bootstrap's seed; the same seed gives the same interval"},
      {"csv",
       "print the report's main table as CSV with a header line: promotion the four groups, "
       "joining the cohorts, segments the RFM cells, flows the flow cells",
       false, true},
      {"out",
       "html: the file to write (required); html reads the flags of the four reports, "
       "except --csv, --bootstrap_samples and --seed"},
  };
}

absl::StatusOr<const ReportSpec*> FindReport(const Args& a) {
  const std::string name = a.Str("report");
  for (const ReportSpec& spec : ReportSpecs()) {
    if (name == spec.name) return &spec;
  }
  return absl::InvalidArgumentError(absl::StrCat("report: \"", name, "\" is not ", kReportNames));
}

// INVALID_ARGUMENT naming the first flag given that `spec` does not read.
absl::Status CheckFlags(const Args& a, const ReportSpec& spec) {
  for (const FlagSpec& f : AnalyticsFlags()) {
    if (f.name == "report" || !a.Has(f.name)) continue;
    if (std::find(spec.flags.begin(), spec.flags.end(), f.name) == spec.flags.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", f.name, ": not used by the ", spec.name, " report"));
    }
  }
  if (a.Bool("csv") && a.Bool("json")) {
    return absl::InvalidArgumentError("--csv and --json: choose one");
  }
  return absl::OkStatus();
}

// An int32 request field from a flag (0 when absent = the hub's default).
absl::StatusOr<int32_t> Int32Flag(const Args& a, const std::string& name) {
  ASSIGN_OR_RETURN(const int64_t v, a.Int(name));
  if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, ": out of range"));
  }
  return static_cast<int32_t>(v);
}

// --since / --until as a period; both absent = 0, 0 (the hub's last 12 months).
absl::Status ReadPeriod(const Args& a, int64_t* start, int64_t* end) {
  if (a.Has("since")) {
    ASSIGN_OR_RETURN(*start, ParseTimeFlag(a, "since"));
  }
  if (a.Has("until")) {
    ASSIGN_OR_RETURN(*end, ParseTimeFlag(a, "until"));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::GetPromotionEffectRequest> PromotionRequest(const Args& a) {
  v1::GetPromotionEffectRequest req;
  ASSIGN_OR_RETURN(const int64_t id, a.Int("promotion_id"));
  ASSIGN_OR_RETURN(const int64_t partner, a.Int("partner_id"));
  ASSIGN_OR_RETURN(const int32_t samples, Int32Flag(a, "bootstrap_samples"));
  ASSIGN_OR_RETURN(const int64_t seed, a.Int("seed"));
  req.set_promotion_id(id);
  req.set_partner_id(partner);
  req.set_bootstrap_samples(samples);
  req.set_seed(static_cast<uint64_t>(seed));
  return req;
}

absl::StatusOr<v1::GetJoiningEffectRequest> JoiningRequest(const Args& a) {
  v1::GetJoiningEffectRequest req;
  ASSIGN_OR_RETURN(const int64_t partner, a.Int("partner_id"));
  ASSIGN_OR_RETURN(const int32_t weeks, Int32Flag(a, "weeks"));
  int64_t start = 0, end = 0;
  RETURN_IF_ERROR(ReadPeriod(a, &start, &end));
  req.set_partner_id(partner);
  req.set_weeks(weeks);
  req.set_period_start(start);
  req.set_period_end(end);
  return req;
}

absl::StatusOr<v1::GetSegmentsRequest> SegmentsRequest(const Args& a) {
  v1::GetSegmentsRequest req;
  ASSIGN_OR_RETURN(const int64_t partner, a.Int("partner_id"));
  ASSIGN_OR_RETURN(const int32_t lookback, Int32Flag(a, "lookback_days"));
  ASSIGN_OR_RETURN(const int32_t at_risk, Int32Flag(a, "at_risk_days"));
  ASSIGN_OR_RETURN(const int32_t top, Int32Flag(a, "top_members"));
  req.set_partner_id(partner);
  req.set_lookback_days(lookback);
  req.set_at_risk_days(at_risk);
  req.set_top_members(top);
  return req;
}

absl::StatusOr<v1::GetFlowsRequest> FlowsRequest(const Args& a) {
  v1::GetFlowsRequest req;
  ASSIGN_OR_RETURN(const int32_t months, Int32Flag(a, "expiry_months"));
  int64_t start = 0, end = 0;
  RETURN_IF_ERROR(ReadPeriod(a, &start, &end));
  req.set_expiry_months(months);
  req.set_period_start(start);
  req.set_period_end(end);
  return req;
}

// One report as the command prints it. --csv is printed here (the Record printer knows
// no CSV), leaving an empty record to print.
template <typename Report>
absl::StatusOr<Record> Print(const Args& a, absl::StatusOr<Report> report,
                             Record (*record)(const Report&, Audience),
                             std::string (*csv)(const Report&)) {
  if (!report.ok()) return report.status();
  if (a.Bool("csv")) {
    std::fputs(csv(*report).c_str(), stdout);
    return Record{};
  }
  return record(*report, a.Bool("json") ? Audience::kScripts : Audience::kPeople);
}

// ---- html ---------------------------------------------------------------------------

constexpr char kNoPromotionListing[] =
    "No --promotion_id was given and this key may not list promotions (admin and partner "
    "keys only): run again with --promotion_id to include one.";
constexpr char kNoPromotionStarted[] =
    "No promotion at a partner (scoped to or funded by one) has started yet.";
constexpr char kJoiningNeedsPartner[] =
    "An operator key must name the partner: run again with --partner_id to include it.";

// The promotion to show without --promotion_id: the one created last (the highest id)
// among those that have started by `now_micros` and that the hub can measure without a
// partner named (scoped to a partner, or funded by one).
std::optional<int64_t> MostRecentPromotion(const std::vector<sdk::Promotion>& promotions,
                                           int64_t now_micros) {
  std::optional<int64_t> best;
  for (const sdk::Promotion& p : promotions) {
    const bool measurable = p.scope == sdk::PromotionScope::kPartner || p.funder_partner_id != 0;
    if (!measurable || p.starts_at_micros > now_micros) continue;
    if (!best.has_value() || p.promotion_id > *best) best = p.promotion_id;
  }
  return best;
}

// A partner key's promotion without --promotion_id: the one created last among those in
// its program rules that the hub reports to it (scoped to it, or to everyone) and that
// have started; measured at its own tills.
absl::StatusOr<std::optional<int64_t>> PartnersLatestPromotion(Clients& c, int64_t now_micros) {
  ASSIGN_OR_RETURN(sdk::PartnerClient * partner, c.Partner());
  sdk::GetProgramRulesParams p;
  p.include_ended = true;
  ASSIGN_OR_RETURN(sdk::ProgramRules rules, partner->GetProgramRules(p));
  std::optional<int64_t> best;
  for (const sdk::Promotion& promo : rules.promotions) {
    const bool reported =
        promo.scope == sdk::PromotionScope::kPartner || promo.scope == sdk::PromotionScope::kAll;
    if (!reported || promo.starts_at_micros > now_micros) continue;
    if (!best.has_value() || promo.promotion_id > *best) best = promo.promotion_id;
  }
  return best;
}

// The promotion section: --promotion_id's, else the most recent one the key can list (an
// admin key: every promotion; a partner key: its program rules); measured at the
// promotion's own partner (a partner key: its own tills) with the hub's default bootstrap.
absl::Status AddPromotion(const Args& a, sdk::AnalyticsClient& client, Clients& c,
                          int64_t now_micros, AnalyticsPage* page) {
  v1::GetPromotionEffectRequest req;
  ASSIGN_OR_RETURN(const int64_t id, a.Int("promotion_id"));
  req.set_promotion_id(id);
  if (!a.Has("promotion_id")) {
    ASSIGN_OR_RETURN(sdk::AdminClient * admin, c.Admin());
    sdk::ListPromotionsParams p;
    p.include_inactive = true;
    absl::StatusOr<std::vector<sdk::Promotion>> all = admin->ListPromotions(p);
    std::optional<int64_t> latest;
    if (all.status().code() == absl::StatusCode::kPermissionDenied) {
      absl::StatusOr<std::optional<int64_t>> own = PartnersLatestPromotion(c, now_micros);
      if (own.status().code() == absl::StatusCode::kPermissionDenied) {  // a finance key
        page->promotion_note = kNoPromotionListing;
        return absl::OkStatus();
      }
      if (!own.ok()) return own.status();
      latest = *own;
    } else {
      if (!all.ok()) return all.status();
      latest = MostRecentPromotion(*all, now_micros);
    }
    if (!latest.has_value()) {
      page->promotion_note = kNoPromotionStarted;
      return absl::OkStatus();
    }
    req.set_promotion_id(*latest);
  }
  ASSIGN_OR_RETURN(page->promotion, client.GetPromotionEffect(req));
  return absl::OkStatus();
}

// True for the hub's answer to an operator key that named no partner.
bool NeedsPartner(const absl::Status& s) {
  if (s.code() != absl::StatusCode::kInvalidArgument) return false;
  for (const sdk::FieldViolation& v : sdk::FieldViolations(s)) {
    if (v.field == "partner_id") return true;
  }
  return false;
}

absl::Status AddJoining(const Args& a, sdk::AnalyticsClient& client, AnalyticsPage* page) {
  ASSIGN_OR_RETURN(v1::GetJoiningEffectRequest req, JoiningRequest(a));
  absl::StatusOr<v1::JoiningEffect> joining = client.GetJoiningEffect(req);
  if (!a.Has("partner_id") && NeedsPartner(joining.status())) {
    page->joining_note = kJoiningNeedsPartner;
    return absl::OkStatus();
  }
  if (!joining.ok()) return joining.status();
  page->joining = *std::move(joining);
  return absl::OkStatus();
}

// Writes `contents` to `path` through a temporary file, so a reader never sees half a page.
absl::Status WriteFile(const std::string& path, const std::string& contents) {
  const std::string tmp = path + ".tmp";
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  if (!out) {
    return LocalFileError(absl::StatusCode::kPermissionDenied,
                          absl::StrCat("--out: cannot write ", tmp));
  }
  out << contents;
  out.close();
  std::error_code ec;
  if (out) std::filesystem::rename(tmp, path, ec);
  if (!out || ec) {
    std::filesystem::remove(tmp, ec);
    return LocalFileError(absl::StatusCode::kDataLoss, absl::StrCat("--out: cannot write ", path));
  }
  return absl::OkStatus();
}

absl::StatusOr<Record> Html(const Args& a, sdk::AnalyticsClient& client, Clients& c) {
  AnalyticsPage page;
  const int64_t now = absl::ToUnixMicros(absl::Now());
  page.generated_at_micros = now;
  if (a.Has("partner_id")) {
    page.subtitle = absl::StrCat("Joining and segments of partner #", a.Str("partner_id"),
                                 "; flows across the coalition.");
  }
  RETURN_IF_ERROR(AddPromotion(a, client, c, now, &page));
  RETURN_IF_ERROR(AddJoining(a, client, &page));
  ASSIGN_OR_RETURN(v1::GetSegmentsRequest segments, SegmentsRequest(a));
  ASSIGN_OR_RETURN(page.segments, client.GetSegments(segments));
  ASSIGN_OR_RETURN(v1::GetFlowsRequest flows, FlowsRequest(a));
  ASSIGN_OR_RETURN(page.flows, client.GetFlows(flows));
  const std::string html = AnalyticsHtml(page);
  RETURN_IF_ERROR(WriteFile(a.Str("out"), html));
  std::vector<std::string> left_out;
  if (!page.promotion.has_value()) left_out.push_back("Promotion effect: " + page.promotion_note);
  if (!page.joining.has_value()) left_out.push_back("Effect of joining: " + page.joining_note);
  Record out;
  out.Add("out", a.Str("out")).Add("bytes", static_cast<int64_t>(html.size()));
  out.Add("promotion_id", page.promotion.has_value() ? page.promotion->promotion_id() : 0);
  out.Add("left_out", std::move(left_out));
  return out;
}

absl::StatusOr<Record> Analytics(const Args& a, Clients& c) {
  ASSIGN_OR_RETURN(const ReportSpec* spec, FindReport(a));
  RETURN_IF_ERROR(CheckFlags(a, *spec));
  const std::string report = spec->name;
  if (report == "promotion" && !a.Has("promotion_id")) {
    return absl::InvalidArgumentError("--promotion_id: required for the promotion report");
  }
  if (report == "html" && a.Str("out").empty()) {
    return absl::InvalidArgumentError("--out: required for the html report");
  }
  ASSIGN_OR_RETURN(sdk::AnalyticsClient * client, c.Analytics());
  if (report == "promotion") {
    ASSIGN_OR_RETURN(v1::GetPromotionEffectRequest req, PromotionRequest(a));
    return Print(a, client->GetPromotionEffect(req), PromotionEffectRecord, PromotionEffectCsv);
  }
  if (report == "joining") {
    ASSIGN_OR_RETURN(v1::GetJoiningEffectRequest req, JoiningRequest(a));
    return Print(a, client->GetJoiningEffect(req), JoiningEffectRecord, JoiningEffectCsv);
  }
  if (report == "segments") {
    ASSIGN_OR_RETURN(v1::GetSegmentsRequest req, SegmentsRequest(a));
    return Print(a, client->GetSegments(req), SegmentsRecord, SegmentsCsv);
  }
  if (report == "flows") {
    ASSIGN_OR_RETURN(v1::GetFlowsRequest req, FlowsRequest(a));
    return Print(a, client->GetFlows(req), FlowsRecord, FlowsCsv);
  }
  return Html(a, *client, c);
}

}  // namespace

std::vector<Command> AnalyticsCommands() {
  return {
      {"analytics",
       "reports on the program (any key; partner keys see suppressed small cells): "
       "`analytics segments`, `analytics promotion --promotion_id=N`, `analytics joining`, "
       "`analytics flows`, or all four as one page with `analytics html --out=FILE`; "
       "money in minor units",
       AnalyticsFlags(), Analytics, true, "report"},
  };
}

}  // namespace loyalty::cli

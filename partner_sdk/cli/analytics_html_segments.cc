// The analytics page's sections about who the members are (analytics_html_internal.h):
// segments (RFM cells, tiers, members at risk, top members) and the concentration of
// spend.
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "analytics_charts.h"
#include "analytics_html_internal.h"
#include "analytics_records.h"

namespace loyalty::cli::html_internal {
namespace {

void AppendSegmentsSummary(std::string& out, const v1::Segments& s, const Context& ctx) {
  const v1::GroupFigures& risk = s.at_risk();
  out += "<table class=\"summary\"><tbody>\n";
  out +=
      SummaryRow("Scope", s.partner_id() == 0 ? "the whole coalition"
                                              : absl::StrCat("activity at ", Who(s.partner_id())));
  out += SummaryRow("As of", Utc(s.as_of()));
  out += SummaryRow("Members active in the last", absl::StrCat(s.lookback_days(), " days"));
  out += SummaryRow("Members / visits / spend",
                    absl::StrCat(Count(s.members()), " / ", Count(s.visits()), " / ",
                                 Count(s.spend_minor()), " minor units"));
  out += SummaryRow(absl::StrCat("At risk (silent for ", s.at_risk_days(), " days)"),
                    risk.suppressed() ? ctx.suppressed
                                      : absl::StrCat(Count(risk.members()), " members, ",
                                                     Count(risk.spend_minor()), " minor units"));
  out += "</tbody></table>\n";
}

void AppendRfmCells(std::string& out, const v1::Segments& s, const Context& ctx) {
  out += "<h3>RFM cells</h3>\n";
  out += Note(
      "Scores 1..5 for recency, frequency and monetary value (5 = best); only cells "
      "with members are listed.");
  absl::StrAppend(
      &out, "<table>\n",
      HeaderRow({"Recency", "Frequency", "Monetary", "Members", "Spend (minor units)"}, "rrrrr"),
      "<tbody>\n");
  int rows = 0;
  for (const v1::RfmCell& c : s.rfm()) {
    if (++rows > kMaxTableRows) break;
    absl::StrAppend(
        &out, "<tr>", NumTd(absl::StrCat(c.recency_score())),
        NumTd(absl::StrCat(c.frequency_score())), NumTd(absl::StrCat(c.monetary_score())),
        FigureTds({Count(c.members()), Count(c.spend_minor())}, c.suppressed(), ctx), "</tr>\n");
  }
  if (s.rfm().empty()) out += EmptyRow(5, "No active members.");
  out += "</tbody></table>\n";
}

void AppendTiers(std::string& out, const v1::Segments& s, const Context& ctx) {
  absl::StrAppend(&out, "<h3>Tiers</h3>\n<table>\n", HeaderRow({"Tier", "Members"}, "lr"),
                  "<tbody>\n");
  for (const v1::TierCount& t : s.tiers()) {
    absl::StrAppend(&out, "<tr>", TextTd(t.tier().empty() ? "(no tier)" : t.tier()),
                    FigureTds({Count(t.members())}, t.suppressed(), ctx), "</tr>\n");
  }
  if (s.tiers().empty()) out += EmptyRow(2, "No tiers.");
  out += "</tbody></table>\n";
}

// Only member-level callers get member rows; the table is left out without them.
void AppendTopMembers(std::string& out, const v1::Segments& s) {
  if (s.top_members().empty()) return;
  absl::StrAppend(
      &out, "<h3>Top members by spend</h3>\n<table>\n",
      HeaderRow({"Member", "Last visit", "Visits", "Spend (minor units)", "RFM", "At risk"},
                "rlrrrl"),
      "<tbody>\n");
  for (const v1::MemberScore& m : s.top_members()) {
    absl::StrAppend(&out, "<tr>", NumTd(absl::StrCat(m.member_id())), TextTd(Utc(m.last_visit())),
                    NumTd(Count(m.visits())), NumTd(Count(m.spend_minor())),
                    NumTd(absl::StrCat(m.recency_score(), m.frequency_score(), m.monetary_score())),
                    TextTd(m.at_risk() ? "yes" : "no"), "</tr>\n");
  }
  out += "</tbody></table>\n";
}

}  // namespace

void AppendSegments(std::string& out, const AnalyticsPage& page, const Context& ctx) {
  const v1::Segments* s =
      OpenSection(out, "segments", "Segments", page.segments, page.segments_note);
  if (s == nullptr) return;
  AppendSegmentsSummary(out, *s, ctx);
  AppendRfmCells(out, *s, ctx);
  AppendTiers(out, *s, ctx);
  AppendTopMembers(out, *s);
  out += "</section>\n";
}

void AppendConcentration(std::string& out, const AnalyticsPage& page, const Context& ctx) {
  const v1::Segments* s =
      OpenSection(out, "concentration", "Concentration", page.segments, page.segments_note);
  if (s == nullptr) return;
  const v1::ConcentrationPoint* top20 = ConcentrationAt(*s, 20);
  const bool top20_shown = top20 != nullptr && !top20->suppressed();
  const std::string lead =
      top20_shown ? absl::StrCat("The top 20% of members account for ",
                                 Percent(s->top20_spend_share()), " of spend.")
                  : absl::StrCat("The top 20% of members' share of spend is ", ctx.suppressed, ".");
  absl::StrAppend(&out, "<p class=\"lead\">", HtmlEscape(lead), "</p>\n");
  std::vector<charts::CurvePoint> curve;
  for (const v1::ConcentrationPoint& p : s->concentration()) {
    if (!p.suppressed()) curve.push_back({static_cast<double>(p.top_percent()), p.spend_share()});
  }
  std::optional<charts::CurvePoint> mark;
  if (top20_shown) mark = charts::CurvePoint{20, s->top20_spend_share()};
  out += Chart(charts::CurveSvg("Concentration of spend", curve, mark,
                                absl::StrCat("top 20%: ", Percent(s->top20_spend_share()))));
  absl::StrAppend(
      &out, "<table>\n",
      HeaderRow({"Top members", "Members", "Spend (minor units)", "Share of spend"}, "rrrr"),
      "<tbody>\n");
  for (const v1::ConcentrationPoint& p : s->concentration()) {
    absl::StrAppend(
        &out, "<tr>", NumTd(absl::StrCat(p.top_percent(), "%")),
        FigureTds({Count(p.members()), Count(p.spend_minor()), Percent(p.spend_share())},
                  p.suppressed(), ctx),
        "</tr>\n");
  }
  if (s->concentration().empty()) out += EmptyRow(4, "No spend in the period.");
  out += "</tbody></table>\n</section>\n";
}

}  // namespace loyalty::cli::html_internal

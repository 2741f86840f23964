#include "analytics_html.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "analytics_charts.h"
#include "analytics_html_internal.h"
#include "analytics_records.h"
#include "hub/common/status_macros.h"

namespace loyalty::cli {

namespace html_internal {
namespace {

// "-1234567" -> "-1,234,567"; a fraction after a '.' is kept as is.
std::string GroupDigits(const std::string& number) {
  const size_t start = !number.empty() && number[0] == '-' ? 1 : 0;
  const size_t end = std::min(number.find('.'), number.size());
  std::string out = number.substr(0, start);
  for (size_t i = start; i < end; ++i) {
    if (i > start && (end - i) % 3 == 0) out.push_back(',');
    out.push_back(number[i]);
  }
  return out + number.substr(end);
}

std::string SuppressedTd(const Context& ctx, int columns = 1) {
  return absl::StrCat("<td class=\"num suppressed\"", columns > 1 ? " colspan=\"" : "",
                      columns > 1 ? absl::StrCat(columns, "\"") : "", ">",
                      HtmlEscape(ctx.suppressed), "</td>");
}

}  // namespace

std::string Count(int64_t v) { return GroupDigits(absl::StrCat(v)); }

std::string Decimal(double v, int places) {
  if (!std::isfinite(v)) return "-";
  return GroupDigits(absl::StrFormat("%.*f", places, v));
}

std::string Percent(double share) {
  if (!std::isfinite(share)) return "-";
  return absl::StrFormat("%.1f%%", share * 100);
}

std::string Utc(int64_t micros) {
  if (micros == 0) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M UTC", absl::FromUnixMicros(micros), absl::UTCTimeZone());
}

// A partner as the page names it: the proto carries ids only; 0 is the operator.
std::string Who(int64_t partner_id) {
  if (partner_id == kOtherPartners) return "Other partners";
  return partner_id == 0 ? "Operator" : absl::StrCat("Partner #", partner_id);
}

// align holds one letter per column: 'r' right-aligns a numeric column.
std::string HeaderRow(const std::vector<std::string>& cells, const std::string& align) {
  LOYALTY_CHECK(align.size() == cells.size());
  std::string out = "<thead><tr>";
  for (size_t i = 0; i < cells.size(); ++i) {
    absl::StrAppend(&out, align[i] == 'r' ? "<th class=\"num\">" : "<th>", HtmlEscape(cells[i]),
                    "</th>");
  }
  return out + "</tr></thead>\n";
}

std::string TextTd(const std::string& text) {
  return absl::StrCat("<td>", HtmlEscape(text), "</td>");
}

std::string NumTd(const std::string& text) {
  return absl::StrCat("<td class=\"num\">", HtmlEscape(text), "</td>");
}

// The cells of figures that are suppressed together: one spanning cell then.
std::string FigureTds(const std::vector<std::string>& figures, bool suppressed,
                      const Context& ctx) {
  if (suppressed) return SuppressedTd(ctx, static_cast<int>(figures.size()));
  std::string out;
  for (const std::string& f : figures) out += NumTd(f);
  return out;
}

std::string EmptyRow(size_t columns, const std::string& text) {
  return absl::StrCat("<tr><td colspan=\"", columns, "\" class=\"zero\">", HtmlEscape(text),
                      "</td></tr>\n");
}

std::string Note(const std::string& text) {
  return absl::StrCat("<p class=\"note\">", HtmlEscape(text), "</p>\n");
}

std::string SummaryRow(const std::string& label, const std::string& value) {
  return absl::StrCat("<tr><th>", HtmlEscape(label), "</th><td>", HtmlEscape(value),
                      "</td></tr>\n");
}

std::string Chart(const std::string& svg) {
  return absl::StrCat("<div class=\"chart\">\n", svg, "</div>\n");
}

namespace {

constexpr char kCss[] = R"css(
body{font-family:"DejaVu Sans",Verdana,Arial,sans-serif;color:#1f2937;background:#fff;
  margin:0 auto;max-width:1180px;padding:24px 28px;font-size:14px;line-height:1.4}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:18px;margin:32px 0 10px;padding-bottom:4px;border-bottom:2px solid #cbd5e1}
h3{font-size:15px;margin:18px 0 6px}
p.sub,p.note{color:#475569;margin:4px 0 10px}
p.lead{font-size:16px;margin:6px 0 10px}
table{border-collapse:collapse;margin:6px 0 4px;font-size:13px}
th,td{border:1px solid #cbd5e1;padding:4px 9px;text-align:left;vertical-align:top}
td:first-child{white-space:nowrap}
table.wide th,table.wide td{padding:4px 5px}
thead th{background:#e2e8f0;font-weight:bold}
tbody th{background:#f1f5f9;font-weight:normal}
tfoot td,tfoot th{background:#e2e8f0;font-weight:bold}
table.summary th{width:260px}
.num{text-align:right;white-space:nowrap;font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace}
th.num{font-family:inherit}
.zero{color:#94a3b8}
.suppressed{color:#64748b;font-style:italic;font-family:inherit;white-space:normal}
.chart{border:1px solid #cbd5e1;padding:8px 0;margin:6px 0}
svg text{font-family:"DejaVu Sans",Verdana,Arial,sans-serif;font-size:13px;fill:#1f2937}
svg text.legend{font-size:12px;fill:#475569}
svg text.pos{fill:#15803d}
svg text.neg{fill:#b91c1c}
td.heat0{background:#f8fafc}td.heat1{background:#eff6ff}td.heat2{background:#dbeafe}
td.heat3{background:#bfdbfe}td.heat4{background:#93c5fd}td.heat5{background:#60a5fa}
td.heat6{background:#3b82f6;color:#fff}td.heat7{background:#2563eb;color:#fff}
td.heat8{background:#1d4ed8;color:#fff}td.heat9{background:#1e3a8a;color:#fff}
@page{size:A4;margin:14mm 12mm}
@media print{
  body{max-width:none;padding:0;font-size:9.5pt}
  h2{margin-top:18px;break-after:avoid}
  table{font-size:8pt}
  table.wide{font-size:7pt}
  table.wide th,table.wide td{padding:1px 3px}
  th,td{padding:2px 4px}
  thead{display:table-header-group}
  tr,.chart,table.summary{break-inside:avoid}
  .chart{border:none;padding:0}
  .chart svg{width:100%;height:auto}
  *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
)css";

// Retention columns past this many months after joining are left out: a year after the
// joining month, and the table still fits an A4 page (the CSV has every month).
constexpr int kMaxCohortMonths = 13;

// "at_partner" -> "At partner".
std::string GroupName(const NamedGroup& g) {
  std::string who = absl::StrReplaceAll(g.group, {{"_", " "}});
  if (!who.empty()) who[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(who[0])));
  return who;
}

// "at_partner", "before" -> "At partner, before".
std::string GroupLabel(const NamedGroup& g) { return absl::StrCat(GroupName(g), ", ", g.window); }

// What a suppressed cell says: k from the report that states it.
Context ContextOf(const AnalyticsPage& page) {
  int64_t k = 0;
  if (page.segments.has_value()) k = std::max(k, page.segments->min_cell_members());
  if (page.flows.has_value()) k = std::max(k, page.flows->min_cell_members());
  return {k > 0 ? absl::StrCat("suppressed (fewer than ", k, " members)")
                : "suppressed (too few members)"};
}

// ---- Promotion effect and effect of joining -------------------------------------------

std::string GroupsTable(const std::vector<NamedGroup>& groups, const Context& ctx) {
  std::string out = absl::StrCat("<table>\n",
                                 HeaderRow({"Group", "Members", "Visits", "Spend (minor units)",
                                            "Visits per member", "Spend per member (minor units)"},
                                           "lrrrrr"),
                                 "<tbody>\n");
  for (const NamedGroup& n : groups) {
    const v1::GroupFigures& g = *n.figures;
    absl::StrAppend(
        &out, "<tr>", TextTd(GroupLabel(n)),
        FigureTds({Count(g.members()), Count(g.visits()), Count(g.spend_minor()),
                   Decimal(g.visits_per_member(), 2), Decimal(g.spend_per_member_minor(), 2)},
                  g.suppressed(), ctx),
        "</tr>\n");
  }
  return out + "</tbody></table>\n";
}

// Visits and spend per member of four groups, lighter bars for the earlier window.
std::string GroupBarsSvg(const std::string& label, const std::vector<NamedGroup>& groups) {
  static constexpr const char* kColors[] = {"#93c5fd", "#2563eb", "#cbd5e1", "#64748b"};
  charts::BarPanel visits{"Visits per member", {}};
  charts::BarPanel spend{"Spend per member (minor units)", {}};
  for (size_t i = 0; i < groups.size() && i < 4; ++i) {
    const v1::GroupFigures& g = *groups[i].figures;
    const std::string name = GroupName(groups[i]);
    visits.bars.push_back({name, groups[i].window, g.visits_per_member(),
                           Decimal(g.visits_per_member(), 2), kColors[i], g.suppressed()});
    spend.bars.push_back({name, groups[i].window, g.spend_per_member_minor(),
                          Decimal(g.spend_per_member_minor(), 0), kColors[i], g.suppressed()});
  }
  return charts::BarChartSvg(label, {visits, spend});
}

std::string EstimateText(const v1::Estimate& e, int places) {
  return absl::StrCat(Decimal(e.value(), places), " [", Decimal(e.ci_low(), places), ", ",
                      Decimal(e.ci_high(), places), "]");
}

void AppendPromotion(std::string& out, const AnalyticsPage& page, const Context& ctx) {
  const v1::PromotionEffect* p =
      OpenSection(out, "promotion", "Promotion effect", page.promotion, page.promotion_note);
  if (p == nullptr) return;
  const std::string money =
      p->currency().empty() ? " minor units" : absl::StrCat(" minor units of ", p->currency());
  out += "<table class=\"summary\"><tbody>\n";
  out += SummaryRow("Promotion", absl::StrCat(p->promotion_name(), " (#", p->promotion_id(), ")"));
  out += SummaryRow("Measured at", Who(p->partner_id()));
  out += SummaryRow("Before", absl::StrCat(Utc(p->pre_start()), " to ", Utc(p->window_start())));
  out += SummaryRow("During", absl::StrCat(Utc(p->window_start()), " to ", Utc(p->window_end())));
  out += SummaryRow("Bonus points", Count(p->bonus_points()));
  out += SummaryRow("Cost", absl::StrCat(Count(p->cost_minor()), money, " (",
                                         Count(p->issue_price_micros()), " micros per point)"));
  out += SummaryRow("Incremental spend",
                    absl::StrCat(Count(p->incremental_spend_minor()), money, " (95% interval ",
                                 Count(p->incremental_spend_low_minor()), " to ",
                                 Count(p->incremental_spend_high_minor()), ")"));
  out += SummaryRow("Return on cost", Decimal(p->return_on_cost(), 2));
  out +=
      SummaryRow("Bootstrap", absl::StrCat(p->bootstrap_samples(), " samples, seed ", p->seed()));
  out += "</tbody></table>\n";
  out += Note(
      "Treated: members who got a bonus of the promotion on an earn at the partner. Control: "
      "members who earned there before and got no bonus. Uplift = (treated during - treated "
      "before) - (control during - control before), per member; incremental spend = spend "
      "uplift x treated members; return on cost = incremental spend / cost.");
  const std::vector<NamedGroup> groups = PromotionGroups(*p);
  out += Chart(GroupBarsSvg("Visits and spend per member, treated and control", groups));
  out += GroupsTable(groups, ctx);
  out += "<h3>Uplift per member, with its 95% interval</h3>\n";
  out += Chart(charts::IntervalChartSvg(
      "Uplift per member",
      {{"Visits per member", p->visits_uplift_per_member().value(),
        p->visits_uplift_per_member().ci_low(), p->visits_uplift_per_member().ci_high(),
        EstimateText(p->visits_uplift_per_member(), 3)},
       {"Spend per member (minor units)", p->spend_uplift_per_member_minor().value(),
        p->spend_uplift_per_member_minor().ci_low(), p->spend_uplift_per_member_minor().ci_high(),
        EstimateText(p->spend_uplift_per_member_minor(), 1)}}));
  out += "</section>\n";
}

void AppendJoining(std::string& out, const AnalyticsPage& page, const Context& ctx) {
  const v1::JoiningEffect* j =
      OpenSection(out, "joining", "Effect of joining", page.joining, page.joining_note);
  if (j == nullptr) return;
  out += "<table class=\"summary\"><tbody>\n";
  out += SummaryRow("Partner", Who(j->partner_id()));
  out += SummaryRow("First earn at the partner",
                    absl::StrCat(Utc(j->period_start()), " to ", Utc(j->period_end())));
  out += SummaryRow("Joiners", Count(j->joiners()));
  out += SummaryRow("Of whom earned elsewhere before", Count(j->joiners_known_before()));
  out += SummaryRow("Window", absl::StrCat(j->weeks(), " weeks before and after the first earn"));
  out += "</tbody></table>\n";
  const std::vector<NamedGroup> groups = JoiningGroups(*j);
  out += Chart(GroupBarsSvg("Visits and spend per member before and after joining", groups));
  out += GroupsTable(groups, ctx);
  out += Note(
      "Coalition: every partner, this one included. Before joining, visits at the "
      "partner are zero by definition.");
  out += "</section>\n";
}

// A share as a heat cell: ten shades of blue.
std::string HeatTd(int64_t active, int64_t members, double share) {
  const int level =
      std::clamp(static_cast<int>(std::floor(std::isfinite(share) ? share * 10 : 0)), 0, 9);
  return absl::StrCat("<td class=\"num heat", level, "\" title=\"", Count(active), " of ",
                      Count(members), "\">", Percent(share), "</td>");
}

void AppendCohorts(std::string& out, const AnalyticsPage& page, const Context& ctx) {
  const v1::JoiningEffect* j =
      OpenSection(out, "retention", "Retention by cohort", page.joining, page.joining_note);
  if (j == nullptr) return;
  int months = 0;
  for (const v1::CohortRetention& c : j->cohorts()) months = std::max(months, c.active_size());
  months = std::min(months, kMaxCohortMonths);
  out += Note(
      "Each row: the members whose first earn at the partner fell in that month; "
      "each column: the share of them earning there k months later (month 0: all).");
  std::vector<std::string> header = {"Cohort", "Joiners"};
  std::string align = "lr";
  for (int k = 0; k < months; ++k) {
    header.push_back(absl::StrCat("Month ", k));
    align += 'r';
  }
  absl::StrAppend(&out, "<table class=\"wide\">\n", HeaderRow(header, align), "<tbody>\n");
  for (const v1::CohortRetention& c : j->cohorts()) {
    absl::StrAppend(&out, "<tr>", TextTd(c.month()));
    if (c.suppressed()) {
      absl::StrAppend(&out, SuppressedTd(ctx, months + 1), "</tr>\n");
      continue;
    }
    out += NumTd(Count(c.members()));
    for (int k = 0; k < months; ++k) {
      if (k >= c.active_size() || k >= c.share_size()) {
        out += "<td></td>";
      } else if (c.members() == 0) {  // no share of nobody
        out += "<td class=\"num zero\">-</td>";
      } else {
        out += HeatTd(c.active(k), c.members(), c.share(k));
      }
    }
    out += "</tr>\n";
  }
  if (j->cohorts().empty()) out += EmptyRow(header.size(), "No members joined in the period.");
  out += "</tbody></table>\n</section>\n";
}

}  // namespace

std::string Page(const AnalyticsPage& page) {
  const Context ctx = ContextOf(page);
  const std::string title = HtmlEscape(page.title);
  std::string out = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'\">\n<title>",
      title, "</title>\n<style>", kCss, "</style>\n</head>\n<body>\n<h1>", title, "</h1>\n");
  if (!page.subtitle.empty()) {
    absl::StrAppend(&out, "<p class=\"sub\">", HtmlEscape(page.subtitle), "</p>\n");
  }
  std::string about;
  if (page.generated_at_micros != 0) {
    about = absl::StrCat("Generated ", Utc(page.generated_at_micros), ". ");
  }
  about +=
      "Money is in minor units of the program's currency (for EUR, cents: 1,250 is 12.50 EUR). "
      "Cells over too few members are suppressed for partner keys.";
  absl::StrAppend(&out, "<p class=\"sub\">", HtmlEscape(about), "</p>\n");
  AppendPromotion(out, page, ctx);
  AppendJoining(out, page, ctx);
  AppendCohorts(out, page, ctx);
  AppendSegments(out, page, ctx);
  AppendConcentration(out, page, ctx);
  AppendFlows(out, page, ctx);
  AppendRedemption(out, page, ctx);
  AppendOutstanding(out, page, ctx);
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace html_internal

std::string AnalyticsHtml(const AnalyticsPage& page) { return html_internal::Page(page); }

}  // namespace loyalty::cli

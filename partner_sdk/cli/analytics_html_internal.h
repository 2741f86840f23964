// Pieces of the analytics page shared by its files: analytics_html.cc (the page, the
// promotion and the effect of joining with its cohorts), analytics_html_segments.cc
// (segments and concentration) and analytics_html_points.cc (flows, redemption and
// breakage, outstanding by expiry). Not for other callers.
#ifndef LOYALTY_PARTNER_SDK_CLI_ANALYTICS_HTML_INTERNAL_H_
#define LOYALTY_PARTNER_SDK_CLI_ANALYTICS_HTML_INTERNAL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "analytics_html.h"

namespace loyalty::cli::html_internal {

// The most rows one table shows (a bound on the page; the CSV and --json have them all).
inline constexpr int kMaxTableRows = 500;

// What a suppressed cell says: "suppressed (fewer than k members)", k from the reports.
struct Context {
  std::string suppressed;
};

// Numbers as people read them: "1,234,567"; "1,234.57"; "66.7%"; "2026-04-01 00:00 UTC"
// (0 = "-"); non-finite doubles as "-".
std::string Count(int64_t v);
std::string Decimal(double v, int places);
std::string Percent(double share);
std::string Utc(int64_t micros);
// A partner as the page names it (the reports carry ids only): "Partner #3", 0 =
// "Operator", kOtherPartners = "Other partners" (the flows matrix's rest).
inline constexpr int64_t kOtherPartners = -1;
std::string Who(int64_t partner_id);

// Table pieces; every text is escaped. `align` holds one letter per column: 'r' right-aligns
// a numeric column.
std::string HeaderRow(const std::vector<std::string>& cells, const std::string& align);
std::string TextTd(const std::string& text);
std::string NumTd(const std::string& text);
// Figures suppressed together share one cell that says so.
std::string FigureTds(const std::vector<std::string>& figures, bool suppressed, const Context& ctx);
std::string EmptyRow(size_t columns, const std::string& text);
// A row of a two-column summary table: the label, then its value.
std::string SummaryRow(const std::string& label, const std::string& value);
std::string Note(const std::string& text);
// An SVG chart in its frame.
std::string Chart(const std::string& svg);

// Opens a section with its <h2>; when its report is absent, writes the note, closes the
// section and returns null.
template <typename Report>
const Report* OpenSection(std::string& out, const char* id, const char* heading,
                          const std::optional<Report>& report, const std::string& note) {
  absl::StrAppend(&out, "<section id=\"", id, "\">\n<h2>", heading, "</h2>\n");
  if (report.has_value()) return &*report;
  out += Note(note.empty() ? "Not part of this report." : note);
  out += "</section>\n";
  return nullptr;
}

// The whole page (AnalyticsHtml).
std::string Page(const AnalyticsPage& page);

// The sections of analytics_html_segments.cc.
void AppendSegments(std::string& out, const AnalyticsPage& page, const Context& ctx);
void AppendConcentration(std::string& out, const AnalyticsPage& page, const Context& ctx);

// The sections of analytics_html_points.cc.
void AppendFlows(std::string& out, const AnalyticsPage& page, const Context& ctx);
void AppendRedemption(std::string& out, const AnalyticsPage& page, const Context& ctx);
void AppendOutstanding(std::string& out, const AnalyticsPage& page, const Context& ctx);

}  // namespace loyalty::cli::html_internal

#endif  // LOYALTY_PARTNER_SDK_CLI_ANALYTICS_HTML_INTERNAL_H_

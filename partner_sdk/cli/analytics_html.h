// The analytics report as one self-contained HTML page (`loyalty analytics html`): the
// four AnalyticsService reports, any of which may be absent, with inline SVG charts and a
// print stylesheet for A4. A pure function of its input: the same page struct gives the
// same bytes (no clock, no locale).
//
// Self-contained: no <script>, no <img>, <link> or url(), and a Content-Security-Policy
// that forbids every load, so the page opens offline and from a mail attachment. Every
// text from the hub (promotion and tier names, months, the notes) is escaped.
//
// Sections, each an <h2>, always all of them in this order (an absent report's sections
// hold its note instead): Promotion effect, Effect of joining, Retention by cohort,
// Segments, Concentration, Flows, Redemption and breakage, Outstanding by expiry.
// A cell the hub suppressed reads "suppressed (fewer than k members)".
#ifndef LOYALTY_PARTNER_SDK_CLI_ANALYTICS_HTML_H_
#define LOYALTY_PARTNER_SDK_CLI_ANALYTICS_HTML_H_

#include <cstdint>
#include <optional>
#include <string>

#include "hub/common/escape.h"
#include "loyalty/v1/analytics.pb.h"

namespace loyalty::cli {

// What one page shows. A report left empty has a note saying why (for example "no
// promotion has started yet"); the renderer does not decide that.
struct AnalyticsPage {
  std::string title = "Loyalty analytics";
  // The line under the title, e.g. the key's scope. Default: "" (none).
  std::string subtitle;
  // When the reports were fetched, UTC micros; 0 = not shown.
  int64_t generated_at_micros = 0;

  std::optional<v1::PromotionEffect> promotion;
  std::string promotion_note;
  std::optional<v1::JoiningEffect> joining;
  std::string joining_note;
  std::optional<v1::Segments> segments;
  std::string segments_note;
  std::optional<v1::Flows> flows;
  std::string flows_note;
};

// The whole document, from <!DOCTYPE html> to </html>.
std::string AnalyticsHtml(const AnalyticsPage& page);

// The section headings, in page order (for checks of the rendered page).
inline constexpr const char* kAnalyticsHeadings[] = {
    "Promotion effect",        "Effect of joining",
    "Retention by cohort",     "Segments",
    "Concentration",           "Flows",
    "Redemption and breakage", "Outstanding by expiry"};

using loyalty::HtmlEscape;  // hub/common/escape.h

}  // namespace loyalty::cli

#endif  // LOYALTY_PARTNER_SDK_CLI_ANALYTICS_HTML_H_

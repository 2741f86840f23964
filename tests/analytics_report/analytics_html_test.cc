// The analytics HTML page (partner_sdk/cli/analytics_html.h) from hand-made reports:
// its sections in order, the figures a reader looks for, suppressed cells, escaping, and
// nothing that loads from elsewhere. The last test writes the page that the
// analytics_report_chromium test opens (CMakeLists.txt here).
#include "analytics_html.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/analytics_report/sample_reports.h"

namespace loyalty::cli {
namespace {

using ::loyalty::testing::SampleFlows;
using ::loyalty::testing::SampleJoining;
using ::loyalty::testing::SamplePromotion;
using ::loyalty::testing::SampleSegments;
using ::testing::HasSubstr;
using ::testing::Not;

AnalyticsPage FullPage() {
  AnalyticsPage page;
  page.subtitle = "Joining and segments of partner #2";
  page.generated_at_micros = loyalty::testing::kMay;
  page.promotion = SamplePromotion();
  page.joining = SampleJoining();
  page.segments = SampleSegments();
  page.flows = SampleFlows();
  return page;
}

size_t Occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Every heading once, in the documented order.
void ExpectHeadingsInOrder(const std::string& html) {
  size_t last = 0;
  for (const char* heading : kAnalyticsHeadings) {
    const std::string tag = absl::StrCat("<h2>", heading, "</h2>");
    const size_t at = html.find(tag);
    ASSERT_NE(at, std::string::npos) << tag;
    EXPECT_GT(at, last) << tag << " out of order";
    EXPECT_EQ(Occurrences(html, tag), 1u) << tag;
    last = at;
  }
}

TEST(AnalyticsHtmlTest, SelfContainedPrintablePage) {
  const std::string html = AnalyticsHtml(FullPage());
  EXPECT_EQ(html.rfind("<!DOCTYPE html>\n", 0), 0u);
  EXPECT_THAT(html, HasSubstr("<meta http-equiv=\"Content-Security-Policy\" "
                              "content=\"default-src 'none'; style-src 'unsafe-inline'\">"));
  EXPECT_THAT(html, HasSubstr("@page{size:A4;"));
  EXPECT_THAT(html, HasSubstr("@media print{"));
  const std::string lower = Lower(html);
  for (const char* banned : {"<script", "<img", "<link", "<iframe", "<object", "url(",
                             "src=", "href=", "@import", "javascript:"}) {
    EXPECT_THAT(lower, Not(HasSubstr(banned))) << banned;
  }
  EXPECT_EQ(html.substr(html.size() - 8), "</html>\n");
  EXPECT_EQ(html, AnalyticsHtml(FullPage()));  // deterministic
}

TEST(AnalyticsHtmlTest, SectionsInOrderWithTheirCharts) {
  const std::string html = AnalyticsHtml(FullPage());
  ExpectHeadingsInOrder(html);
  // Promotion bars and uplift, joining bars, the concentration curve, the expiry bars.
  EXPECT_EQ(Occurrences(html, "<svg "), 5u);
  EXPECT_EQ(Occurrences(html, "<polyline "), 1u);
  EXPECT_THAT(html, HasSubstr("aria-label=\"Uplift per member\""));
  EXPECT_THAT(html, HasSubstr("aria-label=\"Concentration of spend\""));
  EXPECT_THAT(html, HasSubstr("aria-label=\"Outstanding points by expiry\""));
}

TEST(AnalyticsHtmlTest, PromotionFigures) {
  const std::string html = AnalyticsHtml(FullPage());
  EXPECT_THAT(html, HasSubstr("<td>12,345 minor units of EUR (95% interval -1,600 to 24,800)"));
  EXPECT_THAT(html, HasSubstr("<th>Return on cost</th><td>2.47</td>"));
  EXPECT_THAT(html, HasSubstr("<th>Before</th><td>2026-03-01 00:00 UTC to 2026-04-01 00:00 UTC"));
  EXPECT_THAT(html, HasSubstr("<td>Treated, during</td><td class=\"num\">40</td>"
                              "<td class=\"num\">120</td><td class=\"num\">300,000</td>"
                              "<td class=\"num\">3.00</td><td class=\"num\">7,500.00</td>"));
  // Visits uplift 0.5 [0.25, 0.75]; spend uplift 1500 [-200, 3100].
  EXPECT_THAT(html, HasSubstr(">0.500 [0.250, 0.750]</text>"));
  EXPECT_THAT(html, HasSubstr(">1,500.0 [-200.0, 3,100.0]</text>"));
}

TEST(AnalyticsHtmlTest, SuppressedCellsSayWhy) {
  const std::string html = AnalyticsHtml(FullPage());
  // Control during (five figures in one cell), a cohort, an RFM cell, the 1% point, the
  // operator's funder row, an expiry bucket, a flows matrix cell.
  EXPECT_THAT(html, HasSubstr("<td>Control, during</td><td class=\"num suppressed\" "
                              "colspan=\"5\">suppressed (fewer than 10 members)</td>"));
  EXPECT_THAT(html, HasSubstr("<td>2026-03</td><td class=\"num suppressed\" colspan=\"4\">"
                              "suppressed (fewer than 10 members)</td>"));
  EXPECT_THAT(html, HasSubstr("<td>Operator</td><td class=\"num suppressed\" colspan=\"8\">"));
  EXPECT_THAT(html, HasSubstr("<td>2026-07</td><td>Operator</td><td class=\"num suppressed\" "
                              "colspan=\"2\">"));
  EXPECT_GE(Occurrences(html, "suppressed (fewer than 10 members)"), 8u);
  // No suppressed figure is shown as a zero next to the text.
  EXPECT_THAT(html, Not(HasSubstr("<td class=\"num\">0</td><td class=\"num suppressed\"")));
}

TEST(AnalyticsHtmlTest, SegmentsConcentrationAndCohorts) {
  const std::string html = AnalyticsHtml(FullPage());
  EXPECT_THAT(
      html, HasSubstr("<p class=\"lead\">The top 20% of members account for 63.4% of spend.</p>"));
  EXPECT_THAT(html, HasSubstr(">top 20%: 63.4%</text>"));
  EXPECT_THAT(html, HasSubstr("<th>Members / visits / spend</th><td>250 / 1,200 / 4,500,000 "
                              "minor units</td>"));
  EXPECT_THAT(html, HasSubstr("<td>35 members, 210,000 minor units</td>"));
  // 80 of 120 = 66.7%: the seventh shade; 60 of 120 = 50%: the sixth.
  EXPECT_THAT(html, HasSubstr("<td class=\"num heat6\" title=\"80 of 120\">66.7%</td>"));
  EXPECT_THAT(html, HasSubstr("<td class=\"num heat5\" title=\"60 of 120\">50.0%</td>"));
  EXPECT_THAT(html, HasSubstr("<th class=\"num\">Month 2</th>"));
}

TEST(AnalyticsHtmlTest, AMonthWithoutJoinersHasNoShares) {
  AnalyticsPage page;
  page.joining = SampleJoining();
  loyalty::testing::AddCohort(&*page.joining, "2026-04", 0, {});
  page.joining->mutable_cohorts(3)->add_active(0);
  page.joining->mutable_cohorts(3)->add_share(0);
  const std::string html = AnalyticsHtml(page);
  EXPECT_THAT(html, HasSubstr("<tr><td>2026-04</td><td class=\"num\">0</td>"
                              "<td class=\"num zero\">-</td><td></td><td></td></tr>"));
}

TEST(AnalyticsHtmlTest, FlowsMatrixRatesAndExpiry) {
  const std::string html = AnalyticsHtml(FullPage());
  // Partner 2 -> 3 over both months: 1,200 + 1,300; the operator's cell is suppressed, so
  // partner 2's column total says it leaves some out.
  EXPECT_THAT(html, HasSubstr("<tr><th>Partner #2</th><td class=\"num zero\">-</td>"
                              "<td class=\"num\">2,500</td><td class=\"num\">2,500</td></tr>"));
  EXPECT_THAT(html, HasSubstr("<tfoot><tr><th>Total</th><td class=\"num\">800*</td>"
                              "<td class=\"num\">2,500</td><td class=\"num\">3,300*"
                              "</td></tr></tfoot>"));
  EXPECT_THAT(html, HasSubstr("Redeemed in the period: 3,400 points"));
  EXPECT_THAT(html, HasSubstr("<td class=\"num\">25.0%</td><td class=\"num\">5.0%</td>"));
  EXPECT_THAT(html, HasSubstr("Outstanding now: 9,000 points."));
  EXPECT_THAT(html, HasSubstr("<title>2026-07: 2,900*</title>"));
}

TEST(AnalyticsHtmlTest, WideTablesAreBoundedToFitTheirPage) {
  AnalyticsPage page;
  v1::Flows flows;
  // Partners 1..10 earn, all redeem at partner 1: the eight largest keep their rows and
  // partners 1 and 2 share one.
  for (int64_t p = 1; p <= 10; ++p) {
    loyalty::testing::AddFlowCell(&flows, "2026-04", p, 1, p * 100, 20);
  }
  page.flows = flows;
  v1::JoiningEffect joining;
  std::vector<int64_t> active(20, 5);
  v1::CohortRetention* c = joining.add_cohorts();
  c->set_month("2025-01");
  c->set_members(5);
  for (int64_t a : active) {
    c->add_active(a);
    c->add_share(1.0);
  }
  page.joining = joining;
  const std::string html = AnalyticsHtml(page);
  EXPECT_THAT(html, HasSubstr("<tr><th>Other partners</th><td class=\"num\">300</td>"
                              "<td class=\"num\">300</td></tr>"));
  EXPECT_THAT(html, HasSubstr("<tr><th>Partner #3</th><td class=\"num\">300</td>"));
  EXPECT_THAT(html, Not(HasSubstr("<th>Partner #2</th>")));
  EXPECT_THAT(html, HasSubstr("<th class=\"num\">Month 12</th>"));
  EXPECT_THAT(html, Not(HasSubstr("Month 13")));
}

TEST(AnalyticsHtmlTest, EveryTextIsEscaped) {
  AnalyticsPage page = FullPage();
  page.title = "Q2 <review> & \"plans\"";
  const std::string html = AnalyticsHtml(page);
  EXPECT_THAT(html, HasSubstr("<title>Q2 &lt;review&gt; &amp; &quot;plans&quot;</title>"));
  EXPECT_THAT(html, HasSubstr("Double &lt;b&gt;points&lt;/b&gt; &amp; &quot;more&quot; (#7)"));
  EXPECT_THAT(html, HasSubstr("<td>Gold &lt;script&gt;alert(1)&lt;/script&gt;</td>"));
  EXPECT_THAT(html, Not(HasSubstr("<b>points")));
  EXPECT_THAT(html, Not(HasSubstr("<review>")));
  EXPECT_EQ(HtmlEscape("<a href='x'>&\"</a>"), "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;");
}

TEST(AnalyticsHtmlTest, AbsentReportsLeaveTheirNotes) {
  AnalyticsPage page;
  page.promotion_note = "No promotion <yet>.";
  page.segments = SampleSegments();
  const std::string html = AnalyticsHtml(page);
  ExpectHeadingsInOrder(html);
  EXPECT_THAT(html, HasSubstr("<h2>Promotion effect</h2>\n<p class=\"note\">No promotion "
                              "&lt;yet&gt;.</p>\n</section>"));
  EXPECT_THAT(html, HasSubstr("<h2>Effect of joining</h2>\n<p class=\"note\">Not part of this "
                              "report.</p>"));
  EXPECT_THAT(html, HasSubstr("<h2>Outstanding by expiry</h2>\n<p class=\"note\">Not part of "
                              "this report.</p>"));
  EXPECT_EQ(Occurrences(html, "<svg "), 1u);  // the concentration curve only
}

// Writes the sample page that analytics_report_chromium opens; runs last in this file.
TEST(AnalyticsHtmlTest, SampleForChromium) {
  const std::filesystem::path dir = LOYALTY_ANALYTICS_ARTIFACTS_DIR;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string html = AnalyticsHtml(FullPage());
  {
    std::ofstream out(dir / "analytics.html", std::ios::binary);
    out << html;
    ASSERT_TRUE(out.good());
  }
  EXPECT_EQ(std::filesystem::file_size(dir / "analytics.html"), html.size());
}

}  // namespace
}  // namespace loyalty::cli

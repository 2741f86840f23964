// The analytics page's sections about points (analytics_html_internal.h): flows between
// partners, redemption and breakage per funder, points outstanding by expiry month.
#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "analytics_charts.h"
#include "analytics_html_internal.h"

namespace loyalty::cli::html_internal {
namespace {

// The flows matrix shows this many partners each way, the most points first; the rest
// share one "Other partners" row or column (the CSV keeps every cell). Ten numeric
// columns fit an A4 page.
constexpr size_t kMaxMatrixPartners = 8;

// Points summed over cells some of which may be suppressed: the sum covers the cells
// shown, and the sum says when it leaves some out.
struct Tally {
  int64_t points = 0;
  bool shown = false;       // at least one cell is in `points`
  bool suppressed = false;  // at least one cell is not

  void Add(int64_t cell_points, bool cell_suppressed) {
    if (cell_suppressed) {
      suppressed = true;
    } else {
      points += cell_points;
      shown = true;
    }
  }
};

std::string TallyText(const Tally& t) {
  return t.suppressed ? absl::StrCat(Count(t.points), "*") : Count(t.points);
}

std::string TallyTd(const Tally& t, const Context& ctx) {
  if (t.shown) return NumTd(TallyText(t));
  if (t.suppressed) return FigureTds({""}, true, ctx);
  return "<td class=\"num zero\">-</td>";
}

// One side of the matrix: the kMaxMatrixPartners partners with the most points shown, by
// id, then kOtherPartners when some were left out.
std::vector<int64_t> MatrixAxis(const std::map<int64_t, int64_t>& points_by_partner) {
  std::vector<std::pair<int64_t, int64_t>> ranked(points_by_partner.begin(),
                                                  points_by_partner.end());
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  std::vector<int64_t> ids;
  for (size_t i = 0; i < ranked.size() && i < kMaxMatrixPartners; ++i) {
    ids.push_back(ranked[i].first);
  }
  std::sort(ids.begin(), ids.end());
  if (ranked.size() > kMaxMatrixPartners) ids.push_back(kOtherPartners);
  return ids;
}

int64_t OnAxis(const std::vector<int64_t>& axis, int64_t partner) {
  return std::find(axis.begin(), axis.end(), partner) != axis.end() ? partner : kOtherPartners;
}

void AppendFlowMatrix(std::string& out, const v1::Flows& f, const Context& ctx) {
  std::map<int64_t, int64_t> earned, redeemed;
  for (const v1::FlowCell& c : f.cells()) {
    earned[c.earned_at()] += c.suppressed() ? 0 : c.points();
    redeemed[c.redeemed_at()] += c.suppressed() ? 0 : c.points();
  }
  const std::vector<int64_t> rows = MatrixAxis(earned), cols = MatrixAxis(redeemed);
  std::map<std::pair<int64_t, int64_t>, Tally> cells;
  std::map<int64_t, Tally> row_total, col_total;
  Tally total;
  for (const v1::FlowCell& c : f.cells()) {
    const int64_t r = OnAxis(rows, c.earned_at()), k = OnAxis(cols, c.redeemed_at());
    for (Tally* t : {&cells[{r, k}], &row_total[r], &col_total[k], &total}) {
      t->Add(c.points(), c.suppressed());
    }
  }
  std::vector<std::string> header = {"Earned at \\ redeemed at"};
  for (int64_t k : cols) header.push_back(Who(k));
  header.push_back("Total");
  absl::StrAppend(&out, "<table class=\"wide\">\n",
                  HeaderRow(header, "l" + std::string(header.size() - 1, 'r')), "<tbody>\n");
  for (int64_t r : rows) {
    absl::StrAppend(&out, "<tr><th>", HtmlEscape(Who(r)), "</th>");
    for (int64_t k : cols) out += TallyTd(cells[{r, k}], ctx);
    absl::StrAppend(&out, TallyTd(row_total[r], ctx), "</tr>\n");
  }
  if (rows.empty()) out += EmptyRow(header.size(), "No redemptions in the period.");
  out += "</tbody>\n<tfoot><tr><th>Total</th>";
  for (int64_t k : cols) out += TallyTd(col_total[k], ctx);
  absl::StrAppend(&out, TallyTd(total, ctx), "</tr></tfoot>\n</table>\n");
}

}  // namespace

void AppendFlows(std::string& out, const AnalyticsPage& page, const Context& ctx) {
  const v1::Flows* f = OpenSection(out, "flows", "Flows", page.flows, page.flows_note);
  if (f == nullptr) return;
  out += Note(absl::StrCat(
      "Points earned at (funded by) the row's partner and redeemed at the column's, less "
      "those restored by reversals, summed over the months from ",
      Utc(f->period_start()), " to ", Utc(f->period_end()),
      ". A sum marked * leaves out cells over too few members (suppressed)."));
  AppendFlowMatrix(out, *f, ctx);
  out += Note(absl::StrCat("Redeemed in the period: ", Count(f->redeemed_points()),
                           " points, suppressed cells included."));
  out += "</section>\n";
}

void AppendRedemption(std::string& out, const AnalyticsPage& page, const Context& ctx) {
  const v1::Flows* f =
      OpenSection(out, "redemption", "Redemption and breakage", page.flows, page.flows_note);
  if (f == nullptr) return;
  out += Note(
      "What became of the points each funder issued in the period, so far. Redemption rate = "
      "redeemed / issued; breakage rate = expired / issued.");
  absl::StrAppend(&out, "<table>\n",
                  HeaderRow({"Funder", "Issued", "Redeemed", "Expired", "Reversed", "Outstanding",
                             "Redemption rate", "Breakage rate", "Members"},
                            "lrrrrrrrr"),
                  "<tbody>\n");
  for (const v1::FunderRates& r : f->funders()) {
    absl::StrAppend(
        &out, "<tr>", TextTd(Who(r.funder_id())),
        FigureTds({Count(r.issued_points()), Count(r.redeemed_points()), Count(r.expired_points()),
                   Count(r.reversed_points()), Count(r.outstanding_points()),
                   Percent(r.redemption_rate()), Percent(r.breakage_rate()), Count(r.members())},
                  r.suppressed(), ctx),
        "</tr>\n");
  }
  if (f->funders().empty()) out += EmptyRow(9, "No points issued in the period.");
  out += "</tbody></table>\n</section>\n";
}

void AppendOutstanding(std::string& out, const AnalyticsPage& page, const Context& ctx) {
  const v1::Flows* f =
      OpenSection(out, "outstanding", "Outstanding by expiry", page.flows, page.flows_note);
  if (f == nullptr) return;
  // Months in the hub's order ("YYYY-MM" ..., then "later", "never"), funders summed.
  std::vector<std::pair<std::string, Tally>> months;
  for (const v1::ExpiryBucket& b : f->outstanding()) {
    auto it = std::find_if(months.begin(), months.end(),
                           [&](const auto& m) { return m.first == b.month(); });
    if (it == months.end()) it = months.insert(months.end(), {b.month(), Tally{}});
    it->second.Add(b.points(), b.suppressed());
  }
  charts::BarPanel bars{"Points outstanding, by month of expiry", {}};
  bool some_left_out = false;
  for (const auto& [month, t] : months) {
    bars.bars.push_back({month, "", static_cast<double>(t.points), TallyText(t), "#2563eb",
                         !t.shown && t.suppressed});
    some_left_out = some_left_out || (t.shown && t.suppressed);
  }
  out += Note(absl::StrCat("Outstanding now: ", Count(f->outstanding_points()), " points.",
                           some_left_out ? " A month marked * leaves out funders with too few "
                                           "members (suppressed)."
                                         : ""));
  if (!months.empty()) out += Chart(charts::BarChartSvg("Outstanding points by expiry", {bars}));
  absl::StrAppend(&out, "<table>\n",
                  HeaderRow({"Expiry month", "Funder", "Points", "Members"}, "llrr"), "<tbody>\n");
  int rows = 0;
  for (const v1::ExpiryBucket& b : f->outstanding()) {
    if (++rows > kMaxTableRows) break;
    absl::StrAppend(&out, "<tr>", TextTd(b.month()), TextTd(Who(b.funder_id())),
                    FigureTds({Count(b.points()), Count(b.members())}, b.suppressed(), ctx),
                    "</tr>\n");
  }
  if (f->outstanding().empty()) out += EmptyRow(4, "No points outstanding.");
  out += "</tbody></table>\n</section>\n";
}

}  // namespace loyalty::cli::html_internal

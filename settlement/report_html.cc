#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "hub/common/status_macros.h"
#include "settlement/json.h"
#include "settlement/report.h"
#include "settlement/report_internal.h"

namespace loyalty::settlement {
using report_internal::BilateralMatrix;
using report_internal::Directory;
using report_internal::IntOrEmpty;
using report_internal::Magnitude;
using report_internal::Matrix;
// ---------------------------------------------------------------------------------
// HTML: one self-contained page. A Content-Security-Policy forbids every load, so a
// stray external reference shows up as a console error in the Chromium check.

namespace {

constexpr char kCss[] = R"css(
body{font-family:"DejaVu Sans",Verdana,Arial,sans-serif;color:#1f2937;background:#fff;
  margin:0 auto;max-width:1180px;padding:24px 28px;font-size:14px;line-height:1.4}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:18px;margin:32px 0 10px;padding-bottom:4px;border-bottom:2px solid #cbd5e1}
h3{font-size:15px;margin:18px 0 6px}
p.sub,p.note{color:#475569;margin:4px 0 10px}
table{border-collapse:collapse;margin:6px 0 4px;font-size:13px}
th,td{border:1px solid #cbd5e1;padding:4px 9px;text-align:left;vertical-align:top}
thead th{background:#e2e8f0;font-weight:bold}
tbody th{background:#f1f5f9;font-weight:normal}
tbody tr:nth-child(even) td{background:#f8fafc}
tfoot td,tfoot th{background:#e2e8f0;font-weight:bold}
.num{text-align:right;white-space:nowrap;font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace}
th.num{font-family:inherit}
.neg{color:#b91c1c}
.pos{color:#15803d}
.zero,.id,.diag{color:#94a3b8}
.id{font-size:11px;margin-left:4px}
code{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12px;word-break:break-all}
.badge{display:inline-block;padding:1px 8px;border-radius:9px;font-size:12px;font-weight:bold;
  color:#fff;background:#64748b}
.badge.final,.badge.matched{background:#15803d}
.badge.draft,.badge.mismatch{background:#b45309}
.badge.missing_at_hub,.badge.missing_at_partner{background:#b91c1c}
table.summary th{width:230px}
.chart{border:1px solid #cbd5e1;padding:8px 0;margin:6px 0}
svg text{font-family:"DejaVu Sans",Verdana,Arial,sans-serif;font-size:13px;fill:#1f2937}
svg text.legend{font-size:12px;fill:#475569}
svg text.pos{fill:#15803d}
svg text.neg{fill:#b91c1c}
svg text.zero{fill:#94a3b8}
@page{size:A4;margin:14mm 12mm}
@media print{
  body{max-width:none;padding:0;font-size:9.5pt}
  h2{margin-top:18px;break-after:avoid}
  table{font-size:8.5pt;width:100%}
  th,td{padding:2px 5px}
  thead{display:table-header-group}
  tr,.chart,table.summary{break-inside:avoid}
  .chart{border:none;padding:0}
  .chart svg{width:100%;height:auto}
  *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
)css";

// Chart geometry, in SVG user units (= CSS pixels).
constexpr int kChartWidth = 960;
constexpr int kNameRight = 236;  // participant names end here
constexpr int kPlotLeft = 250;   // bars live in [kPlotLeft, kPlotRight]
constexpr int kPlotRight = 810;
constexpr int kAxisX = (kPlotLeft + kPlotRight) / 2;
constexpr int kHalfWidth = (kPlotRight - kPlotLeft) / 2;
constexpr int kAmountRight = 950;  // formatted amounts end here
constexpr int kChartTop = 30;
constexpr int kRowHeight = 30;
constexpr int kBarHeight = 20;
constexpr int kChartBottom = 10;
constexpr size_t kMaxChartNameChars = 30;  // code points; longer names end in "..."

// |net| scaled so that max_abs spans kHalfWidth, rounded half up, in integers; a
// nonzero amount stays visible (1 unit). All-zero positions (max_abs 0) draw nothing.
// The shortest bar drawn for a non-zero amount, so that a small position stays visible
// next to a large one.
constexpr int kMinBarLength = 4;

int BarLength(int64_t net, uint64_t max_abs) {
  if (net == 0 || max_abs == 0) return 0;
  using U128 = unsigned __int128;
  const U128 full = U128{2} * kHalfWidth;
  const U128 len = (U128{Magnitude(net)} * full + max_abs) / (U128{max_abs} * 2);
  LOYALTY_CHECK(len <= static_cast<U128>(kHalfWidth));
  return std::max(kMinBarLength, static_cast<int>(len));
}

// num / den in basis points, rounded half to even; 0 when den is 0.
int64_t RatioBp(int64_t num, int64_t den) {
  if (den == 0) return 0;
  const __int128 scaled = static_cast<__int128>(num) * 10000;
  __int128 q = scaled / den, r = scaled % den;
  const __int128 twice = (r < 0 ? -r : r) * 2, d = den < 0 ? -den : den;
  if (twice > d || (twice == d && q % 2 != 0)) q += ((scaled < 0) != (den < 0)) ? -1 : 1;
  return static_cast<int64_t>(q);
}

// At most kMaxChartNameChars code points of a UTF-8 name, never splitting a character.
std::string ChartName(const std::string& name) {
  size_t chars = 0;
  for (size_t i = 0; i < name.size(); ++i) {
    if ((static_cast<unsigned char>(name[i]) & 0xC0) == 0x80) continue;
    if (++chars > kMaxChartNameChars) return name.substr(0, i) + "...";
  }
  return name;
}

const char* SignClass(int64_t v) { return v > 0 ? "pos" : (v < 0 ? "neg" : "zero"); }

// An amount cell: red when negative, grey when zero; `signed_colors` also makes positive
// amounts green (for net figures, where the sign is the message).
// "-1234567.89" -> "-1,234,567.89": thousands grouped for people (the CSV and JSON
// files keep plain digits for machines).
std::string GroupDigits(const std::string& number) {
  const size_t start = !number.empty() && number[0] == '-' ? 1 : 0;
  size_t end = number.find('.');
  if (end == std::string::npos) end = number.size();
  std::string out = number.substr(0, start);
  for (size_t i = start; i < end; ++i) {
    if (i > start && (end - i) % 3 == 0) out.push_back(',');
    out.push_back(number[i]);
  }
  return out + number.substr(end);
}

// An amount of minor units, formatted and grouped.
std::string Money(int64_t minor, int exponent) { return GroupDigits(FormatMinor(minor, exponent)); }

std::string MoneyTd(int64_t v, int e, bool signed_colors = false) {
  const char* cls = v < 0 ? " neg" : (v == 0 ? " zero" : (signed_colors ? " pos" : ""));
  return absl::StrCat("<td class=\"num", cls, "\">", Money(v, e), "</td>");
}

std::string NumTd(int64_t v) {
  return absl::StrCat("<td class=\"num\">", GroupDigits(std::to_string(v)), "</td>");
}

std::string TextTd(const std::string& text) {
  return absl::StrCat("<td>", HtmlEscape(text), "</td>");
}

// A participant's name with its id beside it.
std::string WhoHtml(const Directory& dir, PartnerId id) {
  return absl::StrCat(HtmlEscape(dir.Name(id)), "<span class=\"id\">#", id, "</span>");
}

std::string WhoTd(const Directory& dir, PartnerId id) {
  return absl::StrCat("<td>", WhoHtml(dir, id), "</td>");
}

std::string Badge(const std::string& status) {
  return absl::StrCat("<span class=\"badge ", HtmlEscape(status), "\">", HtmlEscape(status),
                      "</span>");
}

// align holds one letter per column: 'r' right-aligns a numeric column, anything else
// leaves it left-aligned.
std::string HeaderRow(const std::vector<std::string>& cells, const std::string& align) {
  LOYALTY_CHECK(align.size() == cells.size());
  std::string out = "<thead><tr>";
  for (size_t i = 0; i < cells.size(); ++i) {
    absl::StrAppend(&out, align[i] == 'r' ? "<th class=\"num\">" : "<th>", HtmlEscape(cells[i]),
                    "</th>");
  }
  return out + "</tr></thead>\n";
}

std::string EmptyRow(size_t columns, const char* text) {
  return absl::StrCat("<tr><td colspan=\"", columns, "\" class=\"zero\">", text, "</td></tr>\n");
}

std::string SummaryRow(const char* label, const std::string& value_html) {
  return absl::StrCat("<tr><th>", label, "</th><td>", value_html, "</td></tr>\n");
}

std::string ModelDescription(Model m) {
  return m == Model::kOperator
             ? "operator: earning partners pay the operator per point issued; the operator "
               "pays redeeming partners per point redeemed"
             : "funder_pays: the funder of a redeemed point pays the redeemer, through the "
               "hub, plus an operator fee per point issued";
}

void AppendSummary(std::string& out, const Settlement& s) {
  const int e = s.currency_exponent;
  const std::string money_unit = absl::StrCat(" ", HtmlEscape(s.currency));
  const int64_t saved = NettingSavedMinor(s);
  out += "<section id=\"summary\">\n<h2>Summary</h2>\n<table class=\"summary\"><tbody>\n";
  out += SummaryRow("Run", absl::StrCat("#", s.run_id, " ", Badge(s.status)));
  out += SummaryRow("Period", absl::StrCat("<b>", HtmlEscape(s.period.label), "</b> from ",
                                           FormatUtc(s.period.start), " to ",
                                           FormatUtc(s.period.end), " (end excluded)"));
  out += SummaryRow("Model", HtmlEscape(ModelDescription(s.model)));
  out += SummaryRow("Currency", absl::StrCat(HtmlEscape(s.currency), " (", e, " decimals)"));
  out += SummaryRow("Point value",
                    absl::StrCat(Money(s.point_value_micros, 6), money_unit, " per point"));
  out += SummaryRow("Participants / lines",
                    absl::StrCat(s.participants.size(), " / ", s.lines.size()));
  out += SummaryRow("Gross obligations (paid lines)",
                    absl::StrCat(Money(s.gross_total_minor, e), money_unit));
  out += SummaryRow("Net payments through the hub",
                    absl::StrCat(Money(s.net_total_minor, e), money_unit));
  out += SummaryRow(
      "Netting saved",
      absl::StrCat("<b>", Money(saved, e), money_unit, "</b> (",
                   FormatBasisPoints(RatioBp(saved, s.gross_total_minor)), " of gross)"));
  out += SummaryRow("Lines checksum (SHA-256)",
                    absl::StrCat("<code>", HtmlEscape(s.checksum), "</code>"));
  out += SummaryRow("Created", FormatUtc(s.created_at));
  out += SummaryRow("Finalized", s.finalized_at == 0 ? "not finalized" : FormatUtc(s.finalized_at));
  out += "</tbody></table>\n</section>\n";
}

void AppendMatrix(std::string& out, const Settlement& s, const Directory& dir) {
  const Matrix m = BilateralMatrix(s);
  const int e = s.currency_exponent;
  out +=
      "<section id=\"matrix\">\n<h2>Bilateral matrix</h2>\n<p class=\"note\">Each cell: what "
      "the row participant owes the column participant for the period, after netting the "
      "two directions against each other. Internal lines are excluded.</p>\n<table>\n"
      "<thead><tr><th>Payer \\ payee</th>";
  for (PartnerId id : m.ids) absl::StrAppend(&out, "<th class=\"num\">", WhoHtml(dir, id), "</th>");
  out += "<th class=\"num\">Total paid</th></tr></thead>\n<tbody>\n";
  for (size_t a = 0; a < m.ids.size(); ++a) {
    absl::StrAppend(&out, "<tr><th>", WhoHtml(dir, m.ids[a]), "</th>");
    for (size_t b = 0; b < m.ids.size(); ++b) {
      if (a == b) {
        out += "<td class=\"num diag\">-</td>";
      } else {
        out += MoneyTd(m.cells[a][b], e);
      }
    }
    absl::StrAppend(&out, MoneyTd(m.row_total[a], e), "</tr>\n");
  }
  out += "</tbody>\n<tfoot><tr><th>Total received</th>";
  for (int64_t t : m.col_total) out += MoneyTd(t, e);
  absl::StrAppend(&out, MoneyTd(m.total, e), "</tr></tfoot>\n</table>\n</section>\n");
}

std::string PositionsSvg(const Settlement& s, const Directory& dir) {
  uint64_t max_abs = 0;
  for (const NetPosition& p : s.positions) max_abs = std::max(max_abs, Magnitude(p.net_minor));
  const int rows = static_cast<int>(s.positions.size());
  const int height = kChartTop + rows * kRowHeight + kChartBottom;
  std::string out = absl::StrCat(
      "<svg width=\"", kChartWidth, "\" height=\"", height, "\" viewBox=\"0 0 ", kChartWidth, " ",
      height, "\" role=\"img\" aria-label=\"Net positions\">\n", "<text class=\"legend\" x=\"",
      kAxisX - 8, "\" y=\"16\" text-anchor=\"end\">&#8592; pays the hub</text>\n",
      "<text class=\"legend\" x=\"", kAxisX + 8,
      "\" y=\"16\">receives from the hub &#8594;</text>\n");
  for (int i = 0; i < rows; ++i) {
    const NetPosition& p = s.positions[i];
    const std::string name = dir.Name(p.participant);
    const std::string amount = Money(p.net_minor, s.currency_exponent);
    const int len = BarLength(p.net_minor, max_abs);
    const int y = kChartTop + i * kRowHeight;
    const int bar_y = y + (kRowHeight - kBarHeight) / 2;
    const int text_y = bar_y + kBarHeight - 5;
    absl::StrAppend(&out, "<text x=\"", kNameRight, "\" y=\"", text_y, "\" text-anchor=\"end\">",
                    HtmlEscape(ChartName(name)), "</text>\n");
    absl::StrAppend(&out, "<rect x=\"", p.net_minor < 0 ? kAxisX - len : kAxisX, "\" y=\"", bar_y,
                    "\" width=\"", len, "\" height=\"", kBarHeight, "\" fill=\"",
                    p.net_minor < 0 ? "#dc2626" : "#16a34a", "\"><title>", HtmlEscape(name), ": ",
                    amount, "</title></rect>\n");
    absl::StrAppend(&out, "<text class=\"", SignClass(p.net_minor), "\" x=\"", kAmountRight,
                    "\" y=\"", text_y, "\" text-anchor=\"end\">", amount, "</text>\n");
  }
  absl::StrAppend(&out, "<line x1=\"", kAxisX, "\" y1=\"", kChartTop - 6, "\" x2=\"", kAxisX,
                  "\" y2=\"", height - kChartBottom + 4, "\" stroke=\"#334155\"/>\n</svg>\n");
  return out;
}

void AppendPositions(std::string& out, const Settlement& s, const Directory& dir) {
  const int e = s.currency_exponent;
  bool all_zero = true;
  for (const NetPosition& p : s.positions) all_zero = all_zero && p.net_minor == 0;
  absl::StrAppend(&out, "<section id=\"positions\">\n<h2>Net positions</h2>\n<p class=\"note\">",
                  "Net = lines received - lines paid, in ", HtmlEscape(s.currency),
                  "; positions sum to zero.",
                  all_zero ? " All positions are zero this period." : "",
                  "</p>\n<div class=\"chart\">\n", PositionsSvg(s, dir), "</div>\n<table>\n",
                  HeaderRow({"Participant", "Received", "Paid", "Net"}, "lrrr"), "<tbody>\n");
  for (const NetPosition& p : s.positions) {
    absl::StrAppend(&out, "<tr>", WhoTd(dir, p.participant), MoneyTd(p.received_minor, e),
                    MoneyTd(p.paid_minor, e), MoneyTd(p.net_minor, e, /*signed_colors=*/true),
                    "</tr>\n");
  }
  if (s.positions.empty()) out += EmptyRow(4, "No positions.");
  out += "</tbody></table>\n</section>\n";
}

void AppendPayments(std::string& out, const Settlement& s, const Directory& dir) {
  const int e = s.currency_exponent;
  absl::StrAppend(&out, "<section id=\"payments\">\n<h2>Payment instructions</h2>\n",
                  "<p class=\"note\">The hub is the central counterparty: at most one payment "
                  "per participant.</p>\n<table>\n",
                  HeaderRow({"Participant", "Direction", "Amount"}, "llr"), "<tbody>\n");
  for (const Payment& p : s.payments) {
    absl::StrAppend(&out, "<tr>", WhoTd(dir, p.participant),
                    TextTd(p.to_hub ? "pays the hub" : "receives from the hub"), "<td class=\"num ",
                    p.to_hub ? "neg" : "pos", "\">", Money(p.amount_minor, e), "</td></tr>\n");
  }
  if (s.payments.empty()) out += EmptyRow(3, "No payments.");
  absl::StrAppend(&out, "</tbody>\n<tfoot><tr><td colspan=\"2\">Total each way</td>",
                  "<td class=\"num\">", Money(s.net_total_minor, e),
                  "</td></tr></tfoot>\n</table>\n</section>\n");
}

void AppendLines(std::string& out, const Settlement& s, const Directory& dir) {
  const int e = s.currency_exponent;
  absl::StrAppend(
      &out, "<section id=\"lines\">\n<h2>Settlement lines</h2>\n<table>\n",
      HeaderRow({"Kind", "Payer", "Payee", "Points", "Price per point", "Amount", "Note"},
                "lllrrrl"),
      "<tbody>\n");
  for (const Line& l : s.lines) {
    absl::StrAppend(&out, "<tr>", TextTd(l.kind), WhoTd(dir, l.payer), WhoTd(dir, l.payee),
                    NumTd(l.points), "<td class=\"num\">", Money(l.price_micros, 6), "</td>",
                    MoneyTd(l.amount_minor, e), TextTd(l.internal ? "internal, not paid" : ""),
                    "</tr>\n");
  }
  if (s.lines.empty()) out += EmptyRow(7, "No lines.");
  out += "</tbody></table>\n</section>\n";
}

void AppendRollForward(std::string& out, const Settlement& s, const Directory& dir) {
  const int e = s.currency_exponent;
  absl::StrAppend(&out, "<section id=\"roll-forward\">\n<h2>Liability roll-forward</h2>\n",
                  "<p class=\"note\">Points: opening + earned - reversed - consumed - expired = "
                  "closing. Breakage rate = expired / (consumed + expired).</p>\n<table>\n",
                  HeaderRow({"Funder", "Opening", "Earned", "Reversed", "Consumed", "Expired",
                             "Closing", "Opening value", "Closing value", "Breakage rate"},
                            "lrrrrrrrrr"),
                  "<tbody>\n");
  for (const RollForward& r : s.roll_forward) {
    absl::StrAppend(&out, "<tr>", WhoTd(dir, r.funder), NumTd(r.opening), NumTd(r.earned),
                    NumTd(r.reversed), NumTd(r.consumed), NumTd(r.expired), NumTd(r.closing),
                    MoneyTd(r.opening_value_minor, e), MoneyTd(r.closing_value_minor, e),
                    "<td class=\"num\">", FormatBasisPoints(r.breakage_rate_bp), "</td></tr>\n");
  }
  if (s.roll_forward.empty()) out += EmptyRow(10, "No funders.");
  out += "</tbody></table>\n</section>\n";
}

void AppendReconciliation(std::string& out, const Reconciliation& r) {
  absl::StrAppend(
      &out, "<section id=\"reconciliation\">\n<h2>Reconciliation</h2>\n<p class=\"sub\">",
      HtmlEscape(r.partner_name), "<span class=\"id\">#", r.partner, "</span>, period ",
      HtmlEscape(r.period.label), ", file <code>", HtmlEscape(r.file), "</code></p>\n<table>\n",
      HeaderRow({"Matched", "Missing at hub", "Missing at partner", "Mismatched", "Bad rows"},
                "rrrrr"),
      "<tbody><tr>", NumTd(r.matched), NumTd(r.missing_at_hub), NumTd(r.missing_at_partner),
      NumTd(r.mismatched), NumTd(static_cast<int64_t>(r.bad_rows.size())),
      "</tr></tbody></table>\n");
  absl::StrAppend(
      &out, "<h3>Items</h3>\n<table>\n",
      HeaderRow({"Partner txn id", "Status", "Fields", "Line", "Hub txn", "Detail"}, "lllrrl"),
      "<tbody>\n");
  for (const ReconItem& i : r.items) {
    absl::StrAppend(&out, "<tr>", TextTd(i.partner_txn_id), "<td>", Badge(i.status), "</td>",
                    TextTd(absl::StrJoin(i.mismatched_fields, ", ")), "<td class=\"num\">",
                    IntOrEmpty(i.line), "</td><td class=\"num\">", IntOrEmpty(i.hub_txn_id),
                    "</td>", TextTd(i.detail), "</tr>\n");
  }
  if (r.items.empty()) out += EmptyRow(6, "No items.");
  absl::StrAppend(&out, "</tbody></table>\n<h3>Bad rows</h3>\n<table>\n",
                  HeaderRow({"Line", "Reason"}, "rl"), "<tbody>\n");
  for (const ReconBadRow& b : r.bad_rows) {
    absl::StrAppend(&out, "<tr><td class=\"num\">", b.line, "</td>", TextTd(b.reason), "</tr>\n");
  }
  if (r.bad_rows.empty()) out += EmptyRow(2, "No bad rows.");
  out += "</tbody></table>\n</section>\n";
}

}  // namespace

std::string ReportHtml(const Settlement& s, const Reconciliation* recon) {
  const Directory dir(s);
  const std::string title =
      HtmlEscape(absl::StrCat("Settlement run ", s.run_id, ", period ", s.period.label));
  std::string out =
      absl::StrCat("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
                   "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                   "style-src 'unsafe-inline'\">\n<title>",
                   title, "</title>\n<style>", kCss, "</style>\n</head>\n<body>\n<h1>", title,
                   "</h1>\n", "<p class=\"sub\">Model ", ModelName(s.model), ", amounts in ",
                   HtmlEscape(s.currency), ", status ", HtmlEscape(s.status), ".</p>\n");
  AppendSummary(out, s);
  AppendMatrix(out, s, dir);
  AppendPositions(out, s, dir);
  AppendPayments(out, s, dir);
  AppendLines(out, s, dir);
  AppendRollForward(out, s, dir);
  if (recon != nullptr) AppendReconciliation(out, *recon);
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace loyalty::settlement

#include "analytics_charts.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "analytics_html.h"
#include "hub/common/status_macros.h"

namespace loyalty::cli::charts {
namespace {

constexpr int kWidth = 960;
constexpr int kMargin = 10;

// Bar charts.
constexpr int kPanelGap = 40;
constexpr int kTitleY = 18;
constexpr int kBarTop = 48;             // the tallest bar's top
constexpr int kBase = 208;              // every bar stands on this line
constexpr int kStraightLabelRoom = 28;  // one line of labels; a second adds kLabelLine
constexpr int kLabelLine = 16;
constexpr int kSlantedLabelRoom = 72;
constexpr double kMinSlotForText = 56;  // narrower bars slant their labels
constexpr double kBarFill = 0.66;       // of a bar's slot
constexpr double kMaxBarWidth = 96;

// Interval charts.
constexpr int kLabelRight = 236;
constexpr int kAxisLeft = 250;
constexpr int kAxisRight = 690;
constexpr int kIntervalTextX = 706;
constexpr int kIntervalTop = 24;
constexpr int kIntervalRow = 38;
constexpr int kIntervalBar = 14;
constexpr int kCapHalf = 7;

// Curves.
constexpr int kCurveLeft = 70;
constexpr int kCurveRight = 900;
constexpr int kCurveTop = 30;
constexpr int kCurveBottom = 290;
constexpr int kCurveHeight = 330;

// A coordinate with one decimal: enough for a screen, stable across runs.
std::string N(double v) { return absl::StrFormat("%.1f", v); }

double Finite(double v) { return std::isfinite(v) ? v : 0; }

std::string OpenSvg(int height, const std::string& aria_label) {
  return absl::StrCat("<svg width=\"", kWidth, "\" height=\"", height, "\" viewBox=\"0 0 ", kWidth,
                      " ", height, "\" role=\"img\" aria-label=\"", HtmlEscape(aria_label),
                      "\">\n");
}

std::string Text(double x, double y, const std::string& text, const char* anchor = "start",
                 const char* cls = "") {
  return absl::StrCat("<text x=\"", N(x), "\" y=\"", N(y), "\" text-anchor=\"", anchor, "\"",
                      *cls ? absl::StrCat(" class=\"", cls, "\"") : "", ">", HtmlEscape(text),
                      "</text>\n");
}

std::string Line(double x1, double y1, double x2, double y2, const char* extra) {
  return absl::StrCat("<line x1=\"", N(x1), "\" y1=\"", N(y1), "\" x2=\"", N(x2), "\" y2=\"", N(y2),
                      "\" ", extra, "/>\n");
}

std::string Rect(double x, double y, double w, double h, const std::string& fill,
                 const std::string& tooltip) {
  return absl::StrCat("<rect x=\"", N(x), "\" y=\"", N(y), "\" width=\"", N(w), "\" height=\"",
                      N(h), "\" fill=\"", HtmlEscape(fill), "\"><title>", HtmlEscape(tooltip),
                      "</title></rect>\n");
}

std::string FullLabel(const Bar& b) {
  return b.label2.empty() ? b.label : absl::StrCat(b.label, ", ", b.label2);
}

void AppendBarPanel(std::string& out, const BarPanel& p, double left, double width, bool slanted) {
  const size_t n = std::min(p.bars.size(), kMaxChartItems);
  out += Text(left, kTitleY, p.title, "start", "legend");
  out += Line(left, kBase, left + width, kBase, "stroke=\"#334155\"");
  double max = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!p.bars[i].suppressed) max = std::max(max, Finite(p.bars[i].value));
  }
  const double slot = width / static_cast<double>(std::max<size_t>(n, 1));
  for (size_t i = 0; i < n; ++i) {
    const Bar& b = p.bars[i];
    const double center = left + slot * (static_cast<double>(i) + 0.5);
    double top = kBase;
    if (!b.suppressed && max > 0 && Finite(b.value) > 0) {
      const double h = std::max(1.0, b.value / max * (kBase - kBarTop));
      top = kBase - h;
      const double bar_width = std::min(slot * kBarFill, kMaxBarWidth);
      out += Rect(center - bar_width / 2, top, bar_width, h, b.color,
                  absl::StrCat(FullLabel(b), ": ", b.value_text));
    }
    const std::string value = b.suppressed ? "suppressed" : b.value_text;
    if (slanted) {
      const double y = kBase + 14;
      absl::StrAppend(&out, "<text x=\"", N(center), "\" y=\"", N(y), "\" text-anchor=\"end\"",
                      " transform=\"rotate(-40 ", N(center), " ", N(y), ")\">",
                      HtmlEscape(FullLabel(b)), "</text>\n");
    } else {
      out += Text(center, top - 6, value, "middle");
      out += Text(center, kBase + 18, b.label, "middle");
      if (!b.label2.empty()) out += Text(center, kBase + 18 + kLabelLine, b.label2, "middle");
    }
  }
}

}  // namespace

std::string BarChartSvg(const std::string& aria_label, const std::vector<BarPanel>& panels) {
  LOYALTY_CHECK(!panels.empty());
  const double count = static_cast<double>(panels.size());
  const double panel_width = (kWidth - 2 * kMargin - kPanelGap * (count - 1)) / count;
  bool slanted = false, two_lines = false;
  for (const BarPanel& p : panels) {
    const double bars = static_cast<double>(std::min(p.bars.size(), kMaxChartItems));
    slanted = slanted || (bars > 0 && panel_width / bars < kMinSlotForText);
    for (const Bar& b : p.bars) two_lines = two_lines || !b.label2.empty();
  }
  const int height = kBase + (slanted     ? kSlantedLabelRoom
                              : two_lines ? kStraightLabelRoom + kLabelLine
                                          : kStraightLabelRoom);
  std::string out = OpenSvg(height, aria_label);
  for (size_t i = 0; i < panels.size(); ++i) {
    AppendBarPanel(out, panels[i], kMargin + static_cast<double>(i) * (panel_width + kPanelGap),
                   panel_width, slanted);
  }
  return out + "</svg>\n";
}

std::string IntervalChartSvg(const std::string& aria_label, const std::vector<Interval>& rows) {
  const size_t n = std::min(rows.size(), kMaxChartItems);
  const int height = kIntervalTop + static_cast<int>(n) * kIntervalRow + 12;
  const double axis = (kAxisLeft + kAxisRight) / 2.0;
  const double half = (kAxisRight - kAxisLeft) / 2.0;
  std::string out = OpenSvg(height, aria_label);
  out += Text(axis, 14, "0", "middle", "legend");
  for (size_t i = 0; i < n; ++i) {
    const Interval& r = rows[i];
    const double value = Finite(r.value), low = Finite(r.low), high = Finite(r.high);
    const double max_abs = std::max({std::fabs(value), std::fabs(low), std::fabs(high)});
    auto x = [&](double v) { return max_abs > 0 ? axis + v / max_abs * half : axis; };
    const double mid = kIntervalTop + static_cast<double>(i) * kIntervalRow + kIntervalRow / 2.0;
    out += Text(kLabelRight, mid + 5, r.label, "end");
    out += Rect(std::min(x(0), x(value)), mid - kIntervalBar / 2.0, std::fabs(x(value) - x(0)),
                kIntervalBar, value < 0 ? "#dc2626" : "#16a34a", r.text);
    out += Line(x(low), mid, x(high), mid, "stroke=\"#1f2937\" stroke-width=\"2\"");
    for (double end : {low, high}) {
      out += Line(x(end), mid - kCapHalf, x(end), mid + kCapHalf,
                  "stroke=\"#1f2937\" stroke-width=\"2\"");
    }
    out += Text(kIntervalTextX, mid + 5, r.text, "start", value < 0 ? "neg" : "pos");
  }
  out += Line(axis, kIntervalTop - 4, axis, height - 6, "stroke=\"#334155\"");
  return out + "</svg>\n";
}

std::string CurveSvg(const std::string& aria_label, const std::vector<CurvePoint>& points,
                     const std::optional<CurvePoint>& marked, const std::string& mark_text) {
  auto x = [](double percent) {
    return kCurveLeft + std::clamp(Finite(percent), 0.0, 100.0) / 100 * (kCurveRight - kCurveLeft);
  };
  auto y = [](double share) {
    return kCurveBottom - std::clamp(Finite(share), 0.0, 1.0) * (kCurveBottom - kCurveTop);
  };
  std::string out = OpenSvg(kCurveHeight, aria_label);
  for (int step = 0; step <= 100; step += 20) {
    out += Line(x(step), kCurveTop, x(step), kCurveBottom, "stroke=\"#e2e8f0\"");
    out += Line(kCurveLeft, y(step / 100.0), kCurveRight, y(step / 100.0), "stroke=\"#e2e8f0\"");
    out += Text(x(step), kCurveBottom + 18, absl::StrCat(step, "%"), "middle", "legend");
    out += Text(kCurveLeft - 8, y(step / 100.0) + 4, absl::StrCat(step, "%"), "end", "legend");
  }
  out += Text(kCurveLeft, 16, "share of spend", "start", "legend");
  out += Text(kCurveRight, kCurveBottom + 36, "top share of members, by spend", "end", "legend");
  out += Line(x(0), y(0), x(100), y(1), "stroke=\"#94a3b8\" stroke-dasharray=\"6 4\"");
  out += Text(x(88), y(0.88) + 18, "equal spend", "middle", "legend");
  std::string path = absl::StrCat(N(x(0)), ",", N(y(0)));
  std::string dots;
  const size_t n = std::min(points.size(), kMaxChartItems);
  for (size_t i = 0; i < n; ++i) {
    const CurvePoint& p = points[i];
    absl::StrAppend(&path, " ", N(x(p.x_percent)), ",", N(y(p.y_share)));
    absl::StrAppend(&dots, "<circle cx=\"", N(x(p.x_percent)), "\" cy=\"", N(y(p.y_share)),
                    "\" r=\"3\" fill=\"#2563eb\"/>\n");
  }
  absl::StrAppend(&out, "<polyline points=\"", path,
                  "\" fill=\"none\" stroke=\"#2563eb\" stroke-width=\"2.5\"/>\n", dots);
  if (marked.has_value()) {
    const double mx = x(marked->x_percent), my = y(marked->y_share);
    absl::StrAppend(&out, "<circle cx=\"", N(mx), "\" cy=\"", N(my),
                    "\" r=\"7\" fill=\"none\" stroke=\"#b91c1c\" stroke-width=\"2\"/>\n");
    out += Text(mx + 12, my + 18, mark_text, "start", "neg");
  }
  out += Line(kCurveLeft, kCurveBottom, kCurveRight, kCurveBottom, "stroke=\"#334155\"");
  out += Line(kCurveLeft, kCurveTop, kCurveLeft, kCurveBottom, "stroke=\"#334155\"");
  return out + "</svg>\n";
}

}  // namespace loyalty::cli::charts

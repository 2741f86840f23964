// The inline SVG charts of the analytics page (analytics_html.h): shapes and text only,
// nothing that names another resource. Every label is escaped here; sizes are in SVG user
// units (CSS pixels) on a 960-wide canvas that the print stylesheet scales to the page.
#ifndef LOYALTY_PARTNER_SDK_CLI_ANALYTICS_CHARTS_H_
#define LOYALTY_PARTNER_SDK_CLI_ANALYTICS_CHARTS_H_

#include <optional>
#include <string>
#include <vector>

namespace loyalty::cli::charts {

// The most bars, interval rows and curve points one chart draws (a bound on the page).
inline constexpr size_t kMaxChartItems = 240;

struct Bar {
  std::string label;       // under the bar
  std::string label2;      // a second line under the label; "" = none
  double value = 0;        // its height; a negative or suppressed value draws no bar
  std::string value_text;  // above the bar and in its tooltip
  std::string color;       // an SVG color, e.g. "#2563eb"
  bool suppressed = false;
};

// Bars side by side under one title; several panels share the width.
struct BarPanel {
  std::string title;
  std::vector<Bar> bars;
};

// Vertical bars, each panel scaled to its own largest value. Labels slant when the bars
// are narrow; the value text is then only in the tooltip.
std::string BarChartSvg(const std::string& aria_label, const std::vector<BarPanel>& panels);

// An estimate and its interval: a bar from zero to `value`, a whisker from `low` to
// `high`, each row on its own symmetric scale around a shared zero axis.
struct Interval {
  std::string label;
  double value = 0;
  double low = 0;
  double high = 0;
  std::string text;  // at the right, e.g. "12.5 [3.1, 20.4]"
};

std::string IntervalChartSvg(const std::string& aria_label, const std::vector<Interval>& rows);

// A point of a cumulative curve: x in percent of members (0..100), y a share (0..1).
struct CurvePoint {
  double x_percent = 0;
  double y_share = 0;
};

// The curve from (0, 0) through `points` (sorted by x), the equal-share diagonal for
// reference, and `marked` circled with `mark_text` beside it.
std::string CurveSvg(const std::string& aria_label, const std::vector<CurvePoint>& points,
                     const std::optional<CurvePoint>& marked, const std::string& mark_text);

}  // namespace loyalty::cli::charts

#endif  // LOYALTY_PARTNER_SDK_CLI_ANALYTICS_CHARTS_H_

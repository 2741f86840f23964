// The arithmetic of the analytics reports, on plain numbers: no database, no time
// source, no randomness but a seeded generator, so each figure can be checked by hand
// (tests/analytics/figures_test.cc). docs/analytics.md states each formula for readers.
#ifndef LOYALTY_HUB_ANALYTICS_FIGURES_H_
#define LOYALTY_HUB_ANALYTICS_FIGURES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "hub/common/clock.h"

namespace loyalty::analytics {

// A deterministic generator (SplitMix64, Steele et al. 2014): the same seed gives the
// same draws on every platform, unlike the standard library's distributions.
class SeededRandom {
 public:
  explicit SeededRandom(uint64_t seed) : state_(seed) {}
  uint64_t Next();
  // Uniform in [0, n) by multiply-shift (Lemire); REQUIRES: n > 0.
  uint64_t Below(uint64_t n);

 private:
  uint64_t state_;
};

// One member's visits and spend in the window before a promotion and in its window.
struct PrePost {
  int64_t visits_pre = 0;
  int64_t spend_pre = 0;
  int64_t visits_during = 0;
  int64_t spend_during = 0;
};

// An estimate with its 95% interval.
struct Interval {
  double value = 0;
  double low = 0;
  double high = 0;
};

struct DidEstimate {
  Interval visits;  // per member
  Interval spend;   // per member, minor units
  // The spend uplift times the treated members, exactly: (sum of treated changes) -
  // treated x (sum of control changes) / control, rounded half to even.
  int64_t incremental_spend = 0;
};

// Difference in differences of per-member means: (mean treated change) - (mean control
// change), where a member's change is its during figure less its pre figure. The
// interval is the percentile bootstrap: `samples` times, draw as many treated members
// and as many control members as there are, with replacement, from SeededRandom(seed)
// (treated first, then control, each sample in turn), and compute the estimate; sort
// the estimates s[0..B-1]; low = s[floor(0.025 B)], high = s[ceil(0.975 B) - 1].
// Either group empty: every figure 0. REQUIRES: samples >= 1.
DidEstimate DifferenceInDifferences(const std::vector<PrePost>& treated,
                                    const std::vector<PrePost>& control, int samples,
                                    uint64_t seed);

// num / den rounded half to even. REQUIRES: den > 0; the quotient fits in int64.
int64_t DivideHalfEven(__int128 num, int64_t den);

// Quintile scores 1..5: a value's score is 1 + floor(5 x worse / n), where `worse`
// counts the values strictly worse than it (smaller when higher_is_better, larger
// otherwise) and n all values. Ties share a score; the best value scores
// 1 + floor(5 (n - ties) / n) <= 5.
std::vector<int> QuintileScores(const std::vector<int64_t>& values, bool higher_is_better);

struct ConcentrationFigure {
  int top_percent = 0;
  int64_t members = 0;  // ceil(top_percent x n / 100)
  int64_t spend = 0;    // spend of the `members` biggest spenders
  double share = 0;     // spend / all spend (0 when there is none)
};

// The concentration curve of `spends` at each of `percents` (1..100).
std::vector<ConcentrationFigure> Concentration(std::vector<int64_t> spends,
                                               const std::vector<int>& percents);

// One member's activity in one month (index into the months of the table; -1: before).
struct MemberMonth {
  int64_t member = 0;
  int month = 0;
};

struct CohortFigure {
  int month = 0;                // the cohort's first month (index)
  int64_t members = 0;
  std::vector<int64_t> active;  // active[k]: members active k months on; active[0] = members
};

// Monthly cohorts: a member's cohort is its first month in the table; members active
// before it (month -1) belong to none. For each cohort, the members active k months
// later, for every k up to the table's last month. `rows` in any order, no duplicates.
std::vector<CohortFigure> CohortRetention(const std::vector<MemberMonth>& rows, int months);

// The starts of the calendar months in `tz` from the one holding `from` to the one
// holding `until - 1`, and their "YYYY-MM" labels. REQUIRES: from < until.
struct Months {
  std::vector<Micros> starts;
  std::vector<std::string> labels;
};
Months MonthsBetween(absl::TimeZone tz, Micros from, Micros until);

// a / b as a double; 0 when b is 0.
double Ratio(int64_t a, int64_t b);

}  // namespace loyalty::analytics

#endif  // LOYALTY_HUB_ANALYTICS_FIGURES_H_

#include "hub/analytics/figures.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "absl/strings/str_format.h"
#include "hub/common/status_macros.h"

namespace loyalty::analytics {

uint64_t SeededRandom::Next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t SeededRandom::Below(uint64_t n) {
  LOYALTY_CHECK(n > 0);
  return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
}

int64_t DivideHalfEven(__int128 num, int64_t den) {
  LOYALTY_CHECK(den > 0);
  __int128 q = num / den;
  __int128 r = num % den;  // same sign as num
  if (r < 0) {             // floor division
    q -= 1;
    r += den;
  }
  const __int128 twice = 2 * r;
  if (twice > den || (twice == den && (q & 1) != 0)) q += 1;
  return static_cast<int64_t>(q);
}

namespace {

// A member's changes, during less pre.
struct Change {
  int64_t visits = 0;
  int64_t spend = 0;
};

std::vector<Change> Changes(const std::vector<PrePost>& members) {
  std::vector<Change> out;
  out.reserve(members.size());
  for (const PrePost& m : members) {
    out.push_back({m.visits_during - m.visits_pre, m.spend_during - m.spend_pre});
  }
  return out;
}

struct Sums {
  __int128 visits = 0;
  __int128 spend = 0;
};

Sums SumOf(const std::vector<Change>& changes) {
  Sums s;
  for (const Change& c : changes) {
    s.visits += c.visits;
    s.spend += c.spend;
  }
  return s;
}

// Draws changes.size() members with replacement and sums their changes.
Sums Resample(const std::vector<Change>& changes, SeededRandom& random) {
  Sums s;
  const uint64_t n = changes.size();
  for (uint64_t i = 0; i < n; ++i) {
    const Change& c = changes[random.Below(n)];
    s.visits += c.visits;
    s.spend += c.spend;
  }
  return s;
}

double Mean(__int128 sum, size_t n) {
  return static_cast<double>(sum) / static_cast<double>(n);
}

// The percentile interval of `estimates` around `value`.
Interval PercentileInterval(double value, std::vector<double> estimates) {
  std::sort(estimates.begin(), estimates.end());
  const size_t b = estimates.size();
  const size_t low = static_cast<size_t>(std::floor(0.025 * static_cast<double>(b)));
  const size_t high = static_cast<size_t>(std::ceil(0.975 * static_cast<double>(b))) - 1;
  return {value, estimates[std::min(low, b - 1)], estimates[std::min(high, b - 1)]};
}

}  // namespace

DidEstimate DifferenceInDifferences(const std::vector<PrePost>& treated,
                                    const std::vector<PrePost>& control, int samples,
                                    uint64_t seed) {
  LOYALTY_CHECK(samples >= 1);
  DidEstimate out;
  if (treated.empty() || control.empty()) return out;
  const std::vector<Change> t = Changes(treated);
  const std::vector<Change> c = Changes(control);
  const Sums ts = SumOf(t);
  const Sums cs = SumOf(c);
  const size_t nt = t.size();
  const size_t nc = c.size();
  const double visits = Mean(ts.visits, nt) - Mean(cs.visits, nc);
  const double spend = Mean(ts.spend, nt) - Mean(cs.spend, nc);
  out.incremental_spend = DivideHalfEven(
      ts.spend * static_cast<__int128>(nc) - static_cast<__int128>(nt) * cs.spend,
      static_cast<int64_t>(nc));

  SeededRandom random(seed);
  std::vector<double> visit_estimates;
  std::vector<double> spend_estimates;
  visit_estimates.reserve(samples);
  spend_estimates.reserve(samples);
  for (int b = 0; b < samples; ++b) {
    const Sums rt = Resample(t, random);
    const Sums rc = Resample(c, random);
    visit_estimates.push_back(Mean(rt.visits, nt) - Mean(rc.visits, nc));
    spend_estimates.push_back(Mean(rt.spend, nt) - Mean(rc.spend, nc));
  }
  out.visits = PercentileInterval(visits, std::move(visit_estimates));
  out.spend = PercentileInterval(spend, std::move(spend_estimates));
  return out;
}

std::vector<int> QuintileScores(const std::vector<int64_t>& values, bool higher_is_better) {
  std::vector<int64_t> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  const int64_t n = static_cast<int64_t>(values.size());
  std::vector<int> out;
  out.reserve(values.size());
  for (int64_t v : values) {
    const int64_t worse =
        higher_is_better
            ? std::lower_bound(sorted.begin(), sorted.end(), v) - sorted.begin()
            : sorted.end() - std::upper_bound(sorted.begin(), sorted.end(), v);
    out.push_back(static_cast<int>(1 + (5 * worse) / n));
  }
  return out;
}

std::vector<ConcentrationFigure> Concentration(std::vector<int64_t> spends,
                                               const std::vector<int>& percents) {
  std::sort(spends.begin(), spends.end(), std::greater<int64_t>());
  const int64_t n = static_cast<int64_t>(spends.size());
  std::vector<int64_t> prefix(spends.size() + 1, 0);
  for (size_t i = 0; i < spends.size(); ++i) prefix[i + 1] = prefix[i] + spends[i];
  const int64_t total = prefix.back();
  std::vector<ConcentrationFigure> out;
  for (int p : percents) {
    ConcentrationFigure f;
    f.top_percent = p;
    f.members = (static_cast<int64_t>(p) * n + 99) / 100;
    f.spend = prefix[f.members];
    f.share = Ratio(f.spend, total);
    out.push_back(f);
  }
  return out;
}

std::vector<CohortFigure> CohortRetention(const std::vector<MemberMonth>& rows, int months) {
  // Each member's first month (-1 when active before the table).
  std::unordered_map<int64_t, int> first;
  for (const MemberMonth& r : rows) {
    auto [it, inserted] = first.emplace(r.member, r.month);
    if (!inserted) it->second = std::min(it->second, r.month);
  }
  std::vector<CohortFigure> out(months);
  for (int m = 0; m < months; ++m) {
    out[m].month = m;
    out[m].active.assign(months - m, 0);
  }
  for (const MemberMonth& r : rows) {
    const int cohort = first[r.member];
    if (cohort < 0 || r.month < cohort || r.month >= months) continue;
    out[cohort].active[r.month - cohort] += 1;
  }
  for (CohortFigure& c : out) c.members = c.active.empty() ? 0 : c.active[0];
  return out;
}

Months MonthsBetween(absl::TimeZone tz, Micros from, Micros until) {
  LOYALTY_CHECK(from < until);
  Months out;
  absl::CivilMonth m(absl::ToCivilSecond(absl::FromUnixMicros(from), tz));
  const absl::CivilMonth last(absl::ToCivilSecond(absl::FromUnixMicros(until - 1), tz));
  for (; m <= last; ++m) {
    out.starts.push_back(absl::ToUnixMicros(absl::FromCivil(m, tz)));
    out.labels.push_back(absl::StrFormat("%04d-%02d", m.year(), m.month()));
  }
  return out;
}

double Ratio(int64_t a, int64_t b) {
  return b == 0 ? 0.0 : static_cast<double>(a) / static_cast<double>(b);
}

}  // namespace loyalty::analytics

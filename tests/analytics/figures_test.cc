// The analytics arithmetic (hub/analytics/figures.h) on hand-computed numbers.
#include "hub/analytics/figures.h"

#include <vector>

#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace loyalty::analytics {
namespace {

using ::testing::ElementsAre;

TEST(SeededRandomTest, IsSplitMix64) {
  // The published first outputs of SplitMix64 from state 0.
  SeededRandom r(0);
  EXPECT_EQ(r.Next(), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(r.Next(), 0x6e789e6aa1b965f4ULL);
  SeededRandom a(7), b(7);
  for (int i = 0; i < 100; ++i) {
    const uint64_t x = a.Below(10);
    EXPECT_EQ(x, b.Below(10));
    EXPECT_LT(x, 10u);
  }
}

TEST(DivideHalfEvenTest, TiesGoToEven) {
  EXPECT_EQ(DivideHalfEven(5, 2), 2);
  EXPECT_EQ(DivideHalfEven(7, 2), 4);
  EXPECT_EQ(DivideHalfEven(-5, 2), -2);
  EXPECT_EQ(DivideHalfEven(-7, 2), -4);
  EXPECT_EQ(DivideHalfEven(1, 3), 0);
  EXPECT_EQ(DivideHalfEven(2, 3), 1);
  EXPECT_EQ(DivideHalfEven(-2, 3), -1);
  EXPECT_EQ(DivideHalfEven(29, 3), 10);
}

TEST(DifferenceInDifferencesTest, HandComputed) {
  // Treated changes (visits, spend): (+2, +3000), (+2, +2500): mean (2, 2750).
  // Control changes: (0, +100), (-1, -500): mean (-0.5, -200).
  const std::vector<PrePost> treated = {{1, 1000, 3, 4000}, {0, 0, 2, 2500}};
  const std::vector<PrePost> control = {{2, 2000, 2, 2100}, {1, 500, 0, 0}};
  const DidEstimate d = DifferenceInDifferences(treated, control, 1000, 1);
  EXPECT_DOUBLE_EQ(d.visits.value, 2.5);
  EXPECT_DOUBLE_EQ(d.spend.value, 2950.0);
  // (5500 x 2 - 2 x (-400)) / 2.
  EXPECT_EQ(d.incremental_spend, 5900);
  EXPECT_LE(d.spend.low, d.spend.value);
  EXPECT_GE(d.spend.high, d.spend.value);
}

TEST(DifferenceInDifferencesTest, IncrementalSpendRoundsHalfToEven) {
  // Treated change 10 (one member); control changes 1, 0, 0: 10 - 1/3 = 9.67 -> 10.
  const DidEstimate d =
      DifferenceInDifferences({{0, 0, 0, 10}}, {{0, 0, 0, 1}, {0, 0, 0, 0}, {0, 0, 0, 0}}, 100, 1);
  EXPECT_EQ(d.incremental_spend, 10);
  // Control changes 1, 0 (mean 1/2): 10 - 0.5 = 9.5 -> 10 (even); 11 - 0.5 -> 10 (even).
  EXPECT_EQ(DifferenceInDifferences({{0, 0, 0, 10}}, {{0, 0, 0, 1}, {0, 0, 0, 0}}, 100, 1)
                .incremental_spend,
            10);
  EXPECT_EQ(DifferenceInDifferences({{0, 0, 0, 11}}, {{0, 0, 0, 1}, {0, 0, 0, 0}}, 100, 1)
                .incremental_spend,
            10);
}

TEST(DifferenceInDifferencesTest, IntervalBoundsWithTheFixedSeed) {
  // One treated member (+20 spend) and two control members (0 and +10): a resampled
  // control mean is 0, 5 or 10 with chances 1/4, 1/2, 1/4, so of 1000 estimates about
  // 250 are 20 - 10 = 10 and 250 are 20 - 0 = 20: s[25] = 10 and s[974] = 20.
  const std::vector<PrePost> treated = {{0, 0, 0, 20}};
  const std::vector<PrePost> control = {{0, 0, 0, 0}, {0, 0, 0, 10}};
  const DidEstimate d = DifferenceInDifferences(treated, control, 1000, 1);
  EXPECT_DOUBLE_EQ(d.spend.value, 15.0);
  EXPECT_DOUBLE_EQ(d.spend.low, 10.0);
  EXPECT_DOUBLE_EQ(d.spend.high, 20.0);
  // Visits never changed: a degenerate interval.
  EXPECT_DOUBLE_EQ(d.visits.low, 0.0);
  EXPECT_DOUBLE_EQ(d.visits.high, 0.0);
}

TEST(DifferenceInDifferencesTest, TheSameSeedRepeatsAndAnotherMayNot) {
  std::vector<PrePost> treated, control;
  for (int i = 0; i < 50; ++i) {
    treated.push_back({i % 3, 100 * i, i % 5, 130 * i + 7 * (i % 4)});
    control.push_back({i % 4, 90 * i, i % 3, 95 * i});
  }
  const DidEstimate a = DifferenceInDifferences(treated, control, 500, 42);
  const DidEstimate b = DifferenceInDifferences(treated, control, 500, 42);
  const DidEstimate c = DifferenceInDifferences(treated, control, 500, 43);
  EXPECT_EQ(a.spend.low, b.spend.low);
  EXPECT_EQ(a.spend.high, b.spend.high);
  EXPECT_EQ(a.visits.low, b.visits.low);
  EXPECT_EQ(a.spend.value, c.spend.value);  // the estimate does not depend on the seed
  EXPECT_TRUE(a.spend.low != c.spend.low || a.spend.high != c.spend.high);
  EXPECT_LT(a.spend.low, a.spend.value);
  EXPECT_GT(a.spend.high, a.spend.value);
}

TEST(DifferenceInDifferencesTest, AnEmptyGroupGivesZeros) {
  const DidEstimate d = DifferenceInDifferences({{0, 0, 1, 100}}, {}, 100, 1);
  EXPECT_EQ(d.spend.value, 0);
  EXPECT_EQ(d.incremental_spend, 0);
}

TEST(QuintileScoresTest, TiesShareAScore) {
  EXPECT_THAT(QuintileScores({10, 20, 20, 30, 40}, true), ElementsAre(1, 2, 2, 4, 5));
  EXPECT_THAT(QuintileScores({10, 20, 20, 30, 40}, false), ElementsAre(5, 3, 3, 2, 1));
  // Ten members, eight of them tied at the bottom: all eight score 1.
  EXPECT_THAT(QuintileScores({1, 1, 1, 1, 1, 1, 1, 1, 5, 9}, true),
              ElementsAre(1, 1, 1, 1, 1, 1, 1, 1, 5, 5));
  EXPECT_THAT(QuintileScores({7, 7, 7}, true), ElementsAre(1, 1, 1));
  EXPECT_THAT(QuintileScores({}, true), ElementsAre());
}

TEST(ConcentrationTest, TopSharesOfSpend) {
  const std::vector<ConcentrationFigure> c =
      Concentration({10, 100, 30, 10, 50}, {1, 20, 50, 100});
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c[0].members, 1);  // ceil(1% of 5)
  EXPECT_EQ(c[0].spend, 100);
  EXPECT_EQ(c[1].members, 1);  // ceil(20% of 5)
  EXPECT_DOUBLE_EQ(c[1].share, 0.5);
  EXPECT_EQ(c[2].members, 3);  // ceil(2.5)
  EXPECT_EQ(c[2].spend, 180);
  EXPECT_DOUBLE_EQ(c[2].share, 0.9);
  EXPECT_EQ(c[3].members, 5);
  EXPECT_DOUBLE_EQ(c[3].share, 1.0);
  EXPECT_EQ(Concentration({}, {20})[0].share, 0.0);
}

TEST(CohortRetentionTest, FirstMonthDefinesTheCohort) {
  // Member 1 active in months 0, 1, 3; member 2 in 0, 2; member 3 in 1, 2; member 4
  // was active before the table (-1) and belongs to no cohort.
  const std::vector<MemberMonth> rows = {{1, 0}, {1, 1}, {1, 3}, {2, 0}, {2, 2},
                                         {3, 1}, {3, 2}, {4, -1}, {4, 1}};
  const std::vector<CohortFigure> c = CohortRetention(rows, 4);
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c[0].members, 2);
  EXPECT_THAT(c[0].active, ElementsAre(2, 1, 1, 1));
  EXPECT_EQ(c[1].members, 1);
  EXPECT_THAT(c[1].active, ElementsAre(1, 1, 0));
  EXPECT_THAT(c[2].active, ElementsAre(0, 0));
  EXPECT_THAT(c[3].active, ElementsAre(0));
}

TEST(MonthsBetweenTest, CalendarMonthsInTheProgramZone) {
  const Micros jan15 = absl::ToUnixMicros(absl::FromCivil(absl::CivilDay(2026, 1, 15), absl::UTCTimeZone()));
  const Micros mar1 = absl::ToUnixMicros(absl::FromCivil(absl::CivilDay(2026, 3, 1), absl::UTCTimeZone()));
  Months m = MonthsBetween(absl::UTCTimeZone(), jan15, mar1);
  EXPECT_THAT(m.labels, ElementsAre("2026-01", "2026-02"));
  EXPECT_EQ(m.starts[1], absl::ToUnixMicros(absl::FromCivil(absl::CivilDay(2026, 2, 1),
                                                           absl::UTCTimeZone())));
  absl::TimeZone berlin;
  ASSERT_TRUE(absl::LoadTimeZone("Europe/Berlin", &berlin));
  // 2026-01-31 23:30 UTC is already February in Berlin; February starts at 23:00 UTC.
  const Micros late = absl::ToUnixMicros(
      absl::FromCivil(absl::CivilSecond(2026, 1, 31, 23, 30, 0), absl::UTCTimeZone()));
  m = MonthsBetween(berlin, late, late + 1);
  EXPECT_THAT(m.labels, ElementsAre("2026-02"));
  EXPECT_EQ(m.starts[0], late - 30 * 60 * 1'000'000LL);
}

}  // namespace
}  // namespace loyalty::analytics

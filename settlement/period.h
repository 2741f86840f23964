// Settlement periods: calendar days, ISO weeks or months cut in the program's time zone,
// as [start, end) in UTC microseconds.
#ifndef LOYALTY_SETTLEMENT_PERIOD_H_
#define LOYALTY_SETTLEMENT_PERIOD_H_

#include <string>

#include "absl/status/statusor.h"
#include "settlement/model.h"

namespace loyalty::settlement {

// "2026-11" (month), "2026-W48" (ISO week, Monday first) or "2026-11-26" (day) in
// `time_zone`. INVALID_ARGUMENT naming `period` when the label does not parse or does not
// fit `unit` (a program that settles monthly closes months).
absl::StatusOr<Period> ParsePeriod(const std::string& label, PeriodUnit unit,
                                   const std::string& time_zone);

// [from, to) between two dates "YYYY-MM-DD" in `time_zone`; label "FROM..TO". `to` may
// be "now" (an interim settlement up to `now`, e.g. month to date): the label then ends
// with the instant in ISO-8601 UTC.
absl::StatusOr<Period> ParseRange(const std::string& from, const std::string& to,
                                  const std::string& time_zone, Micros now);

// "day", "week", "month".
absl::StatusOr<PeriodUnit> ParsePeriodUnit(const std::string& s);
const char* PeriodUnitName(PeriodUnit u);

}  // namespace loyalty::settlement

#endif  // LOYALTY_SETTLEMENT_PERIOD_H_

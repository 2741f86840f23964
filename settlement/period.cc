#include "settlement/period.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "hub/common/status_macros.h"
#include "hub/ledger/validate.h"
#include "settlement/report.h"

namespace loyalty::settlement {
namespace {

absl::Status BadPeriod(const std::string& label, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat("period: '", label, "' ", why));
}

absl::StatusOr<absl::TimeZone> Zone(const std::string& name) {
  RETURN_IF_ERROR(ValidateTimeZoneName("time_zone", name));
  absl::TimeZone tz;
  if (!absl::LoadTimeZone(name, &tz)) {
    return absl::InvalidArgumentError(absl::StrCat("time_zone: unknown zone '", name, "'"));
  }
  return tz;
}

Micros At(absl::CivilDay day, absl::TimeZone tz) {
  return absl::ToUnixMicros(absl::FromCivil(day, tz));
}

// Parses "YYYY-MM-DD" strictly (the day must exist).
bool ParseDay(const std::string& s, absl::CivilDay* out) {
  int y, m, d;
  char tail;
  if (s.size() != 10 || std::sscanf(s.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3) {
    return false;
  }
  *out = absl::CivilDay(y, m, d);
  return out->year() == y && out->month() == m && out->day() == d;
}

}  // namespace

absl::StatusOr<Period> ParsePeriod(const std::string& label, PeriodUnit unit,
                                   const std::string& time_zone) {
  ASSIGN_OR_RETURN(absl::TimeZone tz, Zone(time_zone));
  int y = 0, a = 0;
  char tail;
  absl::CivilDay first, next;
  if (unit == PeriodUnit::kMonth) {
    if (label.size() != 7 || std::sscanf(label.c_str(), "%4d-%2d%c", &y, &a, &tail) != 2 ||
        a < 1 || a > 12) {
      return BadPeriod(label, "is not a month YYYY-MM (the program settles monthly)");
    }
    first = absl::CivilDay(absl::CivilMonth(y, a));
    next = absl::CivilDay(absl::CivilMonth(y, a) + 1);
  } else if (unit == PeriodUnit::kWeek) {
    if (label.size() != 8 || std::sscanf(label.c_str(), "%4d-W%2d%c", &y, &a, &tail) != 2 ||
        a < 1 || a > 53) {
      return BadPeriod(label, "is not an ISO week YYYY-Www (the program settles weekly)");
    }
    // ISO week 1 contains 4 January; weeks start on Monday.
    const absl::CivilDay jan4(y, 1, 4);
    const absl::CivilDay week1 = absl::PrevWeekday(jan4 + 1, absl::Weekday::monday);
    first = week1 + 7 * (a - 1);
    next = first + 7;
    const absl::CivilDay thursday = first + 3;
    if (thursday.year() != y) return BadPeriod(label, "does not exist");
  } else {
    if (!ParseDay(label, &first)) {
      return BadPeriod(label, "is not a day YYYY-MM-DD (the program settles daily)");
    }
    next = first + 1;
  }
  return Period{label, At(first, tz), At(next, tz)};
}

absl::StatusOr<Period> ParseRange(const std::string& from, const std::string& to,
                                  const std::string& time_zone, Micros now) {
  ASSIGN_OR_RETURN(absl::TimeZone tz, Zone(time_zone));
  absl::CivilDay a, b;
  if (!ParseDay(from, &a)) return absl::InvalidArgumentError("from: not a date YYYY-MM-DD");
  if (to == "now") {
    if (At(a, tz) >= now) return absl::InvalidArgumentError("to: must be after from");
    return Period{absl::StrCat(from, "..", FormatUtc(now)), At(a, tz), now};
  }
  if (!ParseDay(to, &b)) return absl::InvalidArgumentError("to: not a date YYYY-MM-DD or now");
  if (b <= a) return absl::InvalidArgumentError("to: must be after from");
  return Period{absl::StrCat(from, "..", to), At(a, tz), At(b, tz)};
}

absl::StatusOr<PeriodUnit> ParsePeriodUnit(const std::string& s) {
  if (s == "day") return PeriodUnit::kDay;
  if (s == "week") return PeriodUnit::kWeek;
  if (s == "month") return PeriodUnit::kMonth;
  return absl::InvalidArgumentError("period_unit: must be day, week or month");
}

const char* PeriodUnitName(PeriodUnit u) {
  switch (u) {
    case PeriodUnit::kDay: return "day";
    case PeriodUnit::kWeek: return "week";
    case PeriodUnit::kMonth: return "month";
  }
  return "month";
}

}  // namespace loyalty::settlement

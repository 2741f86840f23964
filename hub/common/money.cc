#include "hub/common/money.h"

#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace loyalty {
namespace {

struct CurrencyInfo {
  const char* code;
  int exponent;
};

// ISO 4217 codes of the markets coalition programs run in; extend as needed.
constexpr CurrencyInfo kCurrencies[] = {
    {"AED", 2}, {"AUD", 2}, {"BHD", 3}, {"BRL", 2}, {"CAD", 2}, {"CHF", 2}, {"CLP", 0}, {"CNY", 2},
    {"CZK", 2}, {"DKK", 2}, {"EUR", 2}, {"GBP", 2}, {"HKD", 2}, {"HUF", 2}, {"IDR", 2}, {"ILS", 2},
    {"INR", 2}, {"ISK", 0}, {"JOD", 3}, {"JPY", 0}, {"KRW", 0}, {"KWD", 3}, {"MXN", 2}, {"MYR", 2},
    {"NOK", 2}, {"NZD", 2}, {"OMR", 3}, {"PHP", 2}, {"PLN", 2}, {"RON", 2}, {"SAR", 2}, {"SEK", 2},
    {"SGD", 2}, {"THB", 2}, {"TRY", 2}, {"TWD", 2}, {"USD", 2}, {"VND", 0}, {"ZAR", 2},
};

constexpr int64_t kPow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000};

absl::Status OutOfRange(absl::string_view what) {
  return absl::OutOfRangeError(absl::StrCat(what, ": arithmetic overflow"));
}

bool FitsInt64(__int128 v) {
  return v >= std::numeric_limits<int64_t>::min() && v <= std::numeric_limits<int64_t>::max();
}

}  // namespace

std::optional<int> CurrencyExponent(absl::string_view code) {
  for (const CurrencyInfo& c : kCurrencies) {
    if (code == c.code) return c.exponent;
  }
  return std::nullopt;
}

absl::StatusOr<int64_t> CheckedAdd(int64_t a, int64_t b, absl::string_view what) {
  int64_t out;
  if (__builtin_add_overflow(a, b, &out)) return OutOfRange(what);
  return out;
}

absl::StatusOr<int64_t> CheckedMul(int64_t a, int64_t b, absl::string_view what) {
  int64_t out;
  if (__builtin_mul_overflow(a, b, &out)) return OutOfRange(what);
  return out;
}

absl::StatusOr<Points> EarnPointsFloor(int64_t amount_minor, int exponent, int64_t rate_bp,
                                       int64_t point_value_micros) {
  if (amount_minor < 0 || rate_bp < 0 || point_value_micros <= 0 || exponent < 0 || exponent > 6) {
    return absl::InvalidArgumentError("EarnPointsFloor: inputs out of domain");
  }
  // value_micros = amount_minor * 10^(6 - exponent) * rate_bp / 10000, kept exact by
  // dividing once at the end: points = floor(amount * 10^(6-e) * rate / (10000 * pv)).
  // amount x 10^6 stays below 2^83, so the product overflows __int128 (2^127) only for a
  // rate above 2^44: far outside any real rate, but the contract admits it.
  const __int128 scaled = static_cast<__int128>(amount_minor) * kPow10[6 - exponent];
  __int128 numerator = 0;
  if (__builtin_mul_overflow(scaled, static_cast<__int128>(rate_bp), &numerator)) {
    return OutOfRange("earn points");
  }
  const __int128 denominator = static_cast<__int128>(10000) * point_value_micros;
  const __int128 points = numerator / denominator;
  if (!FitsInt64(points)) return OutOfRange("earn points");
  return static_cast<Points>(points);
}

absl::StatusOr<int64_t> ValueMinorHalfEven(Points points, int64_t price_micros, int exponent) {
  if (exponent < 0 || exponent > 6) {
    return absl::InvalidArgumentError("ValueMinorHalfEven: exponent out of domain");
  }
  const __int128 micros = static_cast<__int128>(points) * price_micros;
  const __int128 unit = kPow10[6 - exponent];  // micros per minor unit
  __int128 q = micros / unit;
  __int128 r = micros % unit;  // same sign as micros
  if (r < 0) {                 // normalise to floor division so the tie test is symmetric
    r += unit;
    q -= 1;
  }
  if (2 * r > unit || (2 * r == unit && (q % 2 != 0))) q += 1;
  if (!FitsInt64(q)) return OutOfRange("settlement value");
  return static_cast<int64_t>(q);
}

int64_t NetSpendMinor(int64_t amount_minor, Points points, Points reversed_points) {
  if (reversed_points <= 0 || points <= 0) return amount_minor;
  if (reversed_points >= points) return 0;
  // amount x reversed < amount x points fits in 128 bits; the quotient is below amount.
  return amount_minor -
         static_cast<int64_t>(static_cast<__int128>(amount_minor) * reversed_points / points);
}

}  // namespace loyalty

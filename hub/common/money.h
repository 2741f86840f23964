// Exact arithmetic for points and money. Points are int64; money is int64 minor units
// of an ISO 4217 currency; prices and point values are int64 micros of a currency unit.
// No floating point touches any of them. Every conversion names its rounding and every
// operation that could overflow reports it instead of wrapping.
#ifndef LOYALTY_HUB_COMMON_MONEY_H_
#define LOYALTY_HUB_COMMON_MONEY_H_

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace loyalty {

using Points = int64_t;

// The number of minor-unit digits of an ISO 4217 currency (EUR 2, KRW 0, BHD 3), or
// nullopt for a code the hub does not know.
std::optional<int> CurrencyExponent(absl::string_view code);

// a + b, or OUT_OF_RANGE naming `what`.
absl::StatusOr<int64_t> CheckedAdd(int64_t a, int64_t b, absl::string_view what);
// a * b, or OUT_OF_RANGE naming `what`.
absl::StatusOr<int64_t> CheckedMul(int64_t a, int64_t b, absl::string_view what);

// Points credited for a purchase: the cashback value amount x rate_bp / 10000, divided
// by the value of one point, rounded toward zero (floor for the non-negative inputs it
// accepts). REQUIRES: amount_minor >= 0, rate_bp >= 0, point_value_micros > 0,
// 0 <= exponent <= 6.
absl::StatusOr<Points> EarnPointsFloor(int64_t amount_minor, int exponent, int64_t rate_bp,
                                       int64_t point_value_micros);

// points x price_micros expressed in minor units of a currency with `exponent` digits,
// rounded half to even (banker's rounding). Used for settlement lines.
absl::StatusOr<int64_t> ValueMinorHalfEven(Points points, int64_t price_micros, int exponent);

// A purchase's spend net of its returns, as tier spend counts it: the amount less the
// reversed share of its points, amount_minor - floor(amount_minor x reversed_points /
// points); the whole amount when nothing is reversed (or the earn had no points), 0
// when all is. REQUIRES: amount_minor >= 0, points >= 0.
int64_t NetSpendMinor(int64_t amount_minor, Points points, Points reversed_points);

}  // namespace loyalty

#endif  // LOYALTY_HUB_COMMON_MONEY_H_

// Settlement and Reconciliation as one JSON document each: the machine-readable report
// (DESIGN.md section 7) and a lossless interchange form.
//
// The document is deterministic: object keys sorted, arrays in the model's order,
// 2-space indent, a trailing newline. Money appears twice: the exact integer
// ("amount_minor": 12345) and, next to it, the formatted string ("amount": "123.45");
// times likewise ("start_micros" and "start" in ISO-8601 UTC; "finalized_at" is null
// while finalized_at_micros is 0). The maps of Quantities
// are arrays of {"partner", "points"} (or {"funder", "redeemer", "points"}) in key order.
//
// Reading uses the integer fields only; the formatted companions are derived and
// ignored, so FromJson(ToJson(x)) re-serializes byte-identically. Strings must be valid
// UTF-8 to round-trip: invalid bytes are written as U+FFFD.
//
// Thread-safety: pure functions, safe to call concurrently.
#ifndef LOYALTY_SETTLEMENT_JSON_H_
#define LOYALTY_SETTLEMENT_JSON_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "settlement/model.h"

namespace loyalty::settlement {

// Documents larger than this are refused by the readers.
inline constexpr size_t kMaxJsonDocumentBytes = size_t{256} << 20;

// REQUIRES: 0 <= s.currency_exponent <= kMaxFormatExponent (report.h).
std::string SettlementToJson(const Settlement& s);

// The Settlement a SettlementToJson document describes. INVALID_ARGUMENT naming the path
// of the first field that is missing, of the wrong type, or out of range (e.g.
// "lines[3].points: expected an int64"); RESOURCE_EXHAUSTED above kMaxJsonDocumentBytes.
absl::StatusOr<Settlement> SettlementFromJson(const std::string& json);

// The same layout rules; a Reconciliation holds no money fields.
std::string ReconciliationToJson(const Reconciliation& r);

// As SettlementFromJson, for a ReconciliationToJson document.
absl::StatusOr<Reconciliation> ReconciliationFromJson(const std::string& json);

}  // namespace loyalty::settlement

#endif  // LOYALTY_SETTLEMENT_JSON_H_

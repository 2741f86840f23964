// What a failed call says beyond its code and message: the hub attaches standard
// google.rpc details to every error (docs/api.md, "Errors"), and the SDK keeps them on
// the absl::Status it returns. Read them here instead of parsing messages:
//
//   absl::StatusOr<sdk::PostingResult> r = client.Redeem(params);
//   if (!r.ok() && sdk::ErrorReason(r.status()) == "INSUFFICIENT_POINTS") { ... }
//   for (const sdk::FieldViolation& v : sdk::FieldViolations(r.status())) {
//     std::cerr << v.field << ": " << v.description << "\n";
//   }
#ifndef LOYALTY_PARTNER_SDK_ERROR_DETAILS_H_
#define LOYALTY_PARTNER_SDK_ERROR_DETAILS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace loyalty::sdk {

// The hub's google.rpc.ErrorInfo: a stable UPPER_SNAKE_CASE reason (the list is in
// docs/api.md; reasons are only ever added), the domain "loyalty.v1", and metadata such
// as "field" (the request field the error is about) or "limit".
struct ErrorInfo {
  std::string reason;
  std::string domain;
  std::map<std::string, std::string> metadata;
};

// One entry of a google.rpc.BadRequest: a request field and what is wrong with it.
struct FieldViolation {
  std::string field;  // as the API spells it, e.g. "amount.currency"
  std::string description;
};

// The ErrorInfo `status` carries; an empty reason if it carries none (an OK status, or
// an error raised by the SDK itself before reaching the hub).
ErrorInfo ErrorInfoOf(const absl::Status& status);

// Shorthand for ErrorInfoOf(status).reason.
std::string ErrorReason(const absl::Status& status);

// The field violations of an INVALID_ARGUMENT from the hub; empty otherwise.
std::vector<FieldViolation> FieldViolations(const absl::Status& status);

}  // namespace loyalty::sdk

#endif  // LOYALTY_PARTNER_SDK_ERROR_DETAILS_H_

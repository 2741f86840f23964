// Webhook signatures: how a partner checks that a webhook delivery came from the hub and
// is not a replay (the scheme Stripe uses). The hub signs each delivery with the secret
// the partner registered and sends, in the header `Loyalty-Signature`:
//
//   t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
//
// with one v1= entry per secret in force while a secret is being rotated. The receiver
// takes the raw body as received (before any JSON parsing), checks the HMAC in constant
// time, and refuses a timestamp further than the tolerance from its own clock.
//
//   absl::Status s = loyalty::sdk::VerifyWebhookSignature(
//       request.header("Loyalty-Signature"), request.body(), secret);
//   if (!s.ok()) return Respond(400);  // not from the hub, altered, or replayed
#ifndef LOYALTY_PARTNER_SDK_INCLUDE_LOYALTY_WEBHOOK_H_
#define LOYALTY_PARTNER_SDK_INCLUDE_LOYALTY_WEBHOOK_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace loyalty::sdk {

// The name of the HTTP header that carries the signature.
inline constexpr char kWebhookSignatureHeader[] = "Loyalty-Signature";

// The default replay window.
inline constexpr absl::Duration kWebhookTolerance = absl::Minutes(5);

// OK when `header` holds a v1 signature of `body` made with `secret` at a time within
// `tolerance` of `now`. Otherwise: INVALID_ARGUMENT for a header that is not of the form
// above (no t=, no v1=, a value that is not a number or not 64 hex digits);
// FAILED_PRECONDITION for a timestamp outside the tolerance (a replay, or a clock that is
// off); UNAUTHENTICATED when no v1 signature matches (another secret, or an altered body).
// An empty `secret` is INVALID_ARGUMENT.
absl::Status VerifyWebhookSignature(absl::string_view header, absl::string_view body,
                                    absl::string_view secret, absl::Time now = absl::Now(),
                                    absl::Duration tolerance = kWebhookTolerance);

// The header value for `body` signed with `secret` at `at` (whole seconds): what the hub
// sends, for partners' tests of their receivers.
std::string SignWebhook(absl::string_view body, absl::string_view secret, absl::Time at);

}  // namespace loyalty::sdk

#endif  // LOYALTY_PARTNER_SDK_INCLUDE_LOYALTY_WEBHOOK_H_

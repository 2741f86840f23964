// Per-participant rate limits: one token bucket per participant (a partner, or the
// operator for admin and finance keys), checked after authentication and before any
// ledger work. A request takes one token; a bucket holds at most `burst` tokens and
// refills at `per_second`. An empty bucket answers RESOURCE_EXHAUSTED carrying when to
// retry (a google.rpc.RetryInfo payload, sent to the client as status details).
#ifndef LOYALTY_HUB_API_RATE_LIMITER_H_
#define LOYALTY_HUB_API_RATE_LIMITER_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "hub/common/clock.h"
#include "hub/store/records.h"

namespace loyalty {

struct RateLimit {
  // Requests per second a participant may sustain; 0 = unlimited. Limit: 0..1,000,000.
  int64_t per_second = 0;
  // Requests it may make at once after being idle. Limit: per_second..1,000,000,000
  // (at least one second's worth).
  int64_t burst = 0;
};

struct RateLimiterOptions {
  // Default: unlimited.
  RateLimit default_limit;
  // Limits for particular participants (kOperatorId = admin and finance keys).
  absl::flat_hash_map<PartnerId, RateLimit> overrides;
};

// INVALID_ARGUMENT naming `field` unless the limit is within the bounds above.
absl::Status ValidateRateLimit(const RateLimit& limit, absl::string_view field);

// Parses "ID:PER_SECOND/BURST[,ID:PER_SECOND/BURST...]" (e.g. "3:500/1000,7:0/0";
// "" = none); INVALID_ARGUMENT naming --rate_limit_overrides and the bad entry.
absl::StatusOr<absl::flat_hash_map<PartnerId, RateLimit>> ParseRateLimitOverrides(
    absl::string_view spec);

// Thread-safe.
class RateLimiter {
 public:
  // REQUIRES: `clock` outlives the limiter; every limit passes ValidateRateLimit.
  RateLimiter(RateLimiterOptions options, const Clock* clock);
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // OK and one token taken if `participant` may make a request now; otherwise
  // RESOURCE_EXHAUSTED naming the participant, with the wait until a token is
  // available as a RetryInfo payload (see RetryDelayOf).
  absl::Status Admit(PartnerId participant);

 private:
  struct Bucket {
    int64_t micro_tokens = 0;  // tokens x 1e6, so refills stay in integers
    Micros refilled_at = 0;
  };
  const RateLimit& LimitOf(PartnerId participant) const;

  const RateLimiterOptions options_;
  const Clock* const clock_;
  absl::Mutex mu_;
  absl::flat_hash_map<PartnerId, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
};

// RESOURCE_EXHAUSTED (reason RATE_LIMITED) with `message` and a RetryInfo payload of
// `delay`.
absl::Status ResourceExhaustedRetryAfter(absl::string_view message, absl::Duration delay);

// The retry delay a status carries as a RetryInfo payload, if any.
std::optional<absl::Duration> RetryDelayOf(const absl::Status& s);

// The trailing metadata key that carries the retry delay in milliseconds, for clients
// that do not read status details.
inline constexpr char kRetryAfterMsKey[] = "retry-after-ms";

}  // namespace loyalty

#endif  // LOYALTY_HUB_API_RATE_LIMITER_H_

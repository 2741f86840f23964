#include "hub/api/rate_limiter.h"

#include <algorithm>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/rpc/error_details.pb.h"
#include "hub/common/error_reason.h"

namespace loyalty {
namespace {

constexpr int64_t kMicroTokensPerToken = 1'000'000;
constexpr int64_t kMaxPerSecond = 1'000'000;
constexpr int64_t kMaxBurst = 1'000'000'000;
constexpr char kRetryInfoTypeUrl[] = "type.googleapis.com/google.rpc.RetryInfo";

std::string ParticipantName(PartnerId participant) {
  return participant == kOperatorId ? "operator" : absl::StrCat("partner:", participant);
}

absl::StatusOr<RateLimit> ParseOverrideLimit(absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '/');
  RateLimit limit;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &limit.per_second) ||
      !absl::SimpleAtoi(parts[1], &limit.burst)) {
    return absl::InvalidArgumentError("expected PER_SECOND/BURST");
  }
  return limit;
}

}  // namespace

absl::Status ValidateRateLimit(const RateLimit& limit, absl::string_view field) {
  if (limit.per_second == 0 && limit.burst == 0) return absl::OkStatus();
  if (limit.per_second < 0 || limit.per_second > kMaxPerSecond) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": per second must be 0..", kMaxPerSecond));
  }
  if (limit.burst < limit.per_second || limit.burst > kMaxBurst) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": burst must be per second..", kMaxBurst, " (0/0 = unlimited)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::flat_hash_map<PartnerId, RateLimit>> ParseRateLimitOverrides(
    absl::string_view spec) {
  absl::flat_hash_map<PartnerId, RateLimit> out;
  for (absl::string_view entry : absl::StrSplit(spec, ',', absl::SkipWhitespace())) {
    auto bad = [entry](absl::string_view why) {
      return absl::InvalidArgumentError(
          absl::StrCat("--rate_limit_overrides: entry '", entry, "': ", why));
    };
    std::vector<absl::string_view> parts = absl::StrSplit(entry, absl::MaxSplits(':', 1));
    PartnerId id = 0;
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &id) || id < 0) {
      return bad("expected ID:PER_SECOND/BURST with a partner id (0 = operator)");
    }
    absl::StatusOr<RateLimit> limit = ParseOverrideLimit(parts[1]);
    if (!limit.ok()) return bad(limit.status().message());
    if (absl::Status s = ValidateRateLimit(*limit, "limit"); !s.ok()) return bad(s.message());
    if (!out.emplace(id, *limit).second) return bad("partner listed twice");
  }
  return out;
}

RateLimiter::RateLimiter(RateLimiterOptions options, const Clock* clock)
    : options_(std::move(options)), clock_(clock) {}

const RateLimit& RateLimiter::LimitOf(PartnerId participant) const {
  auto it = options_.overrides.find(participant);
  return it == options_.overrides.end() ? options_.default_limit : it->second;
}

absl::Status RateLimiter::Admit(PartnerId participant) {
  const RateLimit& limit = LimitOf(participant);
  if (limit.per_second == 0) return absl::OkStatus();
  const int64_t capacity = limit.burst * kMicroTokensPerToken;
  const Micros now = clock_->NowMicros();
  int64_t wait_micros = 0;
  {
    absl::MutexLock lock(&mu_);
    Bucket& b = buckets_.try_emplace(participant, Bucket{capacity, now}).first->second;
    if (now > b.refilled_at) {
      // A bucket refills per_second micro-tokens per microsecond; past the time it
      // takes to fill up, waiting longer adds nothing (and cannot overflow).
      const int64_t elapsed = std::min(now - b.refilled_at, capacity / limit.per_second + 1);
      b.micro_tokens = std::min(capacity, b.micro_tokens + elapsed * limit.per_second);
      b.refilled_at = now;
    }
    if (b.micro_tokens >= kMicroTokensPerToken) {
      b.micro_tokens -= kMicroTokensPerToken;
      return absl::OkStatus();
    }
    const int64_t missing = kMicroTokensPerToken - b.micro_tokens;
    wait_micros = (missing + limit.per_second - 1) / limit.per_second;
  }
  const absl::Duration wait = absl::Microseconds(wait_micros);
  return ResourceExhaustedRetryAfter(
      absl::StrCat("rate limit of ", ParticipantName(participant), " exceeded (", limit.per_second,
                   "/s, burst ", limit.burst, "); retry after ", absl::FormatDuration(wait)),
      wait);
}

absl::Status ResourceExhaustedRetryAfter(absl::string_view message, absl::Duration delay) {
  google::rpc::RetryInfo info;
  const int64_t micros = absl::ToInt64Microseconds(delay);
  info.mutable_retry_delay()->set_seconds(micros / 1'000'000);
  info.mutable_retry_delay()->set_nanos(static_cast<int32_t>(micros % 1'000'000) * 1000);
  absl::Status s = WithReason(absl::ResourceExhaustedError(message), reason::kRateLimited);
  s.SetPayload(kRetryInfoTypeUrl, absl::Cord(info.SerializeAsString()));
  return s;
}

std::optional<absl::Duration> RetryDelayOf(const absl::Status& s) {
  auto payload = s.GetPayload(kRetryInfoTypeUrl);  // absl::optional in this Abseil
  google::rpc::RetryInfo info;
  if (!payload.has_value() || !info.ParseFromString(std::string(*payload))) return std::nullopt;
  return absl::Seconds(info.retry_delay().seconds()) +
         absl::Nanoseconds(info.retry_delay().nanos());
}

}  // namespace loyalty

#include "command.h"

#include <algorithm>
#include <cassert>
#include <limits>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "hub/common/status_macros.h"

namespace loyalty::cli {

int ExitCodeFor(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return kExitOk;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return kExitInvalid;
    case absl::StatusCode::kNotFound:
      return kExitNotFound;
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAlreadyExists:
      return kExitState;
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
      return kExitDenied;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kAborted:
      return kExitRetry;
    default:
      return kExitOther;
  }
}

namespace {
constexpr char kLocalFilePayload[] = "type.loyalty.dev/cli.LocalFileError";
}  // namespace

absl::Status LocalFileError(absl::StatusCode code, const std::string& message) {
  absl::Status s(code, message);
  s.SetPayload(kLocalFilePayload, absl::Cord("1"));
  return s;
}

int ExitCodeForStatus(const absl::Status& s) {
  if (s.GetPayload(kLocalFilePayload).has_value()) return kExitOther;
  return ExitCodeFor(s.code());
}

FlagSpec PageSizeFlag() {
  return {"page_size", "print one page of this many (default 100, at most 500) and its token"};
}

FlagSpec PageTokenFlag() {
  return {"page_token", "the next page: next_page_token printed with the page before"};
}

bool HasPageFlags(const Args& a) { return a.Has("page_size") || a.Has("page_token"); }

absl::StatusOr<int32_t> PageSizeOf(const Args& a) {
  ASSIGN_OR_RETURN(const int64_t size, a.Int("page_size"));
  // Outside int32 the hub's answer is the same as at its edge: coerced, or refused.
  constexpr int64_t kMax = std::numeric_limits<int32_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int32_t>::min();
  return static_cast<int32_t>(std::clamp(size, kMin, kMax));
}

absl::StatusOr<int64_t> ParseTimeFlag(const Args& a, const std::string& name) {
  const std::string v = a.Str(name);
  int64_t micros = 0;
  if (absl::SimpleAtoi(v, &micros)) return micros;
  absl::Time t;
  std::string err;
  if (absl::ParseTime(absl::RFC3339_full, v, absl::UTCTimeZone(), &t, &err) ||
      absl::ParseTime("%Y-%m-%d", v, absl::UTCTimeZone(), &t, &err)) {
    return absl::ToUnixMicros(t);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("--", name, ": \"", v,
                   "\" is neither UTC micros nor an ISO-8601 time (2026-05-10T00:00:00Z)"));
}

std::string Args::Str(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

absl::StatusOr<int64_t> Args::Int(const std::string& name, int64_t fallback) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  int64_t v = 0;
  if (!absl::SimpleAtoi(it->second, &v)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, ": \"", it->second, "\" is not an integer"));
  }
  return v;
}

bool Args::Bool(const std::string& name) const {
  const std::string v = Str(name, "false");
  return v == "true" || v == "1" || v == "yes";
}

namespace {

// `*client`, made on first use over the connection `make` returns for `options`.
template <typename Client, typename Connection>
absl::StatusOr<Client*> OnFirstUse(
    std::unique_ptr<Client>* client,
    absl::StatusOr<std::shared_ptr<Connection>> (*make)(sdk::Options),
    const sdk::Options& options) {
  if (*client == nullptr) {
    ASSIGN_OR_RETURN(std::shared_ptr<Connection> conn, make(options));
    *client = std::make_unique<Client>(std::move(conn));
  }
  return client->get();
}

}  // namespace

absl::StatusOr<sdk::PartnerClient*> Clients::Partner() {
  return OnFirstUse(&partner_, sdk::MakePartnerConnection, options_);
}

absl::StatusOr<sdk::AdminClient*> Clients::Admin() {
  return OnFirstUse(&admin_, sdk::MakeAdminConnection, options_);
}

absl::StatusOr<sdk::BankClient*> Clients::Bank() {
  return OnFirstUse(&bank_, sdk::MakeBankConnection, options_);
}

absl::StatusOr<sdk::AnalyticsClient*> Clients::Analytics() {
  return OnFirstUse(&analytics_, sdk::MakeAnalyticsConnection, options_);
}

absl::StatusOr<sdk::EventsClient*> Clients::Events() {
  if (events_ == nullptr) {
    ASSIGN_OR_RETURN(events_, sdk::MakeEventsClient(options_));
  }
  return events_.get();
}

}  // namespace loyalty::cli

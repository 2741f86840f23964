#include "command.h"

#include <cassert>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

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

absl::StatusOr<sdk::PartnerClient*> Clients::Partner() {
  if (partner_ == nullptr) {
    absl::StatusOr<std::shared_ptr<sdk::PartnerConnection>> conn =
        sdk::MakePartnerConnection(options_);
    if (!conn.ok()) return conn.status();
    partner_ = std::make_unique<sdk::PartnerClient>(*conn);
  }
  return partner_.get();
}

absl::StatusOr<sdk::AdminClient*> Clients::Admin() {
  if (admin_ == nullptr) {
    absl::StatusOr<std::shared_ptr<sdk::AdminConnection>> conn = sdk::MakeAdminConnection(options_);
    if (!conn.ok()) return conn.status();
    admin_ = std::make_unique<sdk::AdminClient>(*conn);
  }
  return admin_.get();
}

absl::StatusOr<sdk::BankClient*> Clients::Bank() {
  if (bank_ == nullptr) {
    absl::StatusOr<std::shared_ptr<sdk::BankConnection>> conn = sdk::MakeBankConnection(options_);
    if (!conn.ok()) return conn.status();
    bank_ = std::make_unique<sdk::BankClient>(*conn);
  }
  return bank_.get();
}

}  // namespace loyalty::cli

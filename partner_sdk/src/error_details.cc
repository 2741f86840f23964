#include "loyalty/error_details.h"

#include "google/rpc/error_details.pb.h"

namespace loyalty::sdk {
namespace {

constexpr char kErrorInfoTypeUrl[] = "type.googleapis.com/google.rpc.ErrorInfo";
constexpr char kBadRequestTypeUrl[] = "type.googleapis.com/google.rpc.BadRequest";

// The detail of type `url` that `status` carries (FromGrpc keeps them as payloads).
template <typename Message>
bool DetailOf(const absl::Status& status, const char* url, Message* out) {
  auto payload = status.GetPayload(url);  // absl::optional in this Abseil
  return payload.has_value() && out->ParseFromString(std::string(*payload));
}

}  // namespace

ErrorInfo ErrorInfoOf(const absl::Status& status) {
  ErrorInfo out;
  google::rpc::ErrorInfo info;
  if (!DetailOf(status, kErrorInfoTypeUrl, &info)) return out;
  out.reason = info.reason();
  out.domain = info.domain();
  out.metadata.insert(info.metadata().begin(), info.metadata().end());
  return out;
}

std::string ErrorReason(const absl::Status& status) { return ErrorInfoOf(status).reason; }

std::vector<FieldViolation> FieldViolations(const absl::Status& status) {
  std::vector<FieldViolation> out;
  google::rpc::BadRequest bad;
  if (!DetailOf(status, kBadRequestTypeUrl, &bad)) return out;
  for (const auto& v : bad.field_violations()) out.push_back({v.field(), v.description()});
  return out;
}

}  // namespace loyalty::sdk

#include "hub/common/error_reason.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace loyalty {
namespace {

// Payload type URLs private to the hub: hub/api turns them into google.rpc messages and
// never sends them as they are (GrpcErrorDetails forwards google.rpc payloads only).
constexpr char kReasonUrl[] = "loyalty.hub/reason";
constexpr char kFieldUrl[] = "loyalty.hub/field";
constexpr absl::string_view kMetadataPrefix = "loyalty.hub/metadata/";

bool IsFieldPathChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' ||
         c == '[' || c == ']';
}

}  // namespace

absl::Status WithReason(absl::Status s, absl::string_view reason,
                        const std::vector<std::pair<std::string, std::string>>& metadata) {
  if (s.ok()) return s;
  std::vector<std::string> old;
  s.ForEachPayload([&old](absl::string_view url, const absl::Cord&) {
    if (absl::StartsWith(url, kMetadataPrefix)) old.emplace_back(url);
  });
  for (const std::string& url : old) s.ErasePayload(url);
  s.SetPayload(kReasonUrl, absl::Cord(reason));
  for (const auto& [key, value] : metadata) {
    s.SetPayload(absl::StrCat(kMetadataPrefix, key), absl::Cord(value));
  }
  return s;
}

std::string AttachedReason(const absl::Status& s) {
  auto payload = s.GetPayload(kReasonUrl);  // absl::optional in this Abseil
  return payload.has_value() ? std::string(*payload) : std::string();
}

std::string ReasonOf(const absl::Status& s) {
  std::string attached = AttachedReason(s);
  if (!attached.empty()) return attached;
  if (s.code() == absl::StatusCode::kUnavailable) return reason::kDatabaseUnavailable;
  return absl::StatusCodeToString(s.code());
}

std::vector<std::pair<std::string, std::string>> ReasonMetadata(const absl::Status& s) {
  std::vector<std::pair<std::string, std::string>> out;
  s.ForEachPayload([&out](absl::string_view url, const absl::Cord& value) {
    if (absl::StartsWith(url, kMetadataPrefix)) {
      out.emplace_back(std::string(url.substr(kMetadataPrefix.size())), std::string(value));
    }
  });
  std::sort(out.begin(), out.end());
  return out;
}

absl::Status WithField(absl::Status s, absl::string_view field) {
  if (!s.ok()) s.SetPayload(kFieldUrl, absl::Cord(field));
  return s;
}

std::string FieldOf(const absl::Status& s) {
  auto payload = s.GetPayload(kFieldUrl);
  if (payload.has_value()) return std::string(*payload);
  const absl::string_view message = s.message();
  const size_t colon = message.find(": ");
  if (colon == 0 || colon == absl::string_view::npos) return "";
  const absl::string_view head = message.substr(0, colon);
  if (!absl::ascii_islower(static_cast<unsigned char>(head.front()))) return "";
  if (!std::all_of(head.begin(), head.end(), IsFieldPathChar)) return "";
  return std::string(head);
}

}  // namespace loyalty

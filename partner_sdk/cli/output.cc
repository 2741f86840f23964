#include "output.h"

#include <string_view>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "loyalty/error_details.h"

namespace loyalty::cli {
namespace {

// JSON string escaping (RFC 8259): a dozen lines, so no JSON library is pulled into a
// tool that only writes flat objects.
std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string FieldJson(const Field& f);

std::string RecordJson(const Record& r) {
  std::string out = "{";
  for (size_t i = 0; i < r.fields.size(); ++i) {
    absl::StrAppend(&out, i ? "," : "", Quote(r.fields[i].first), ":",
                    FieldJson(r.fields[i].second));
  }
  return out + "}";
}

struct JsonVisitor {
  std::string operator()(int64_t v) const { return absl::StrCat(v); }
  std::string operator()(bool v) const { return v ? "true" : "false"; }
  // Fixed three decimals: seconds and rates; never NaN here.
  std::string operator()(double v) const { return absl::StrFormat("%.3f", v); }
  std::string operator()(const std::string& v) const { return Quote(v); }
  std::string operator()(const std::vector<std::string>& v) const {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i) absl::StrAppend(&out, i ? "," : "", Quote(v[i]));
    return out + "]";
  }
  std::string operator()(const std::vector<Record>& v) const {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i) absl::StrAppend(&out, i ? "," : "", RecordJson(v[i]));
    return out + "]";
  }
};

std::string FieldJson(const Field& f) { return std::visit(JsonVisitor{}, f); }

// Scalars as text; nested values never occur inside a list item.
std::string ScalarText(const Field& f) {
  if (const auto* i = std::get_if<int64_t>(&f)) return absl::StrCat(*i);
  if (const auto* b = std::get_if<bool>(&f)) return *b ? "true" : "false";
  if (const auto* s = std::get_if<std::string>(&f)) return *s;
  return FieldJson(f);  // doubles (%.3f) and nested values
}

// Human output shows points in time as ISO 8601 UTC: a field `x_at_micros` or
// `x_until_micros` prints as `x_at` / `x_until` (0 = "-"); --json keeps the micros.
std::pair<std::string, std::string> TextField(const std::string& key, const Field& value) {
  const auto* micros = std::get_if<int64_t>(&value);
  for (absl::string_view suffix : {"_at_micros", "_until_micros"}) {
    if (micros == nullptr || !absl::EndsWith(key, suffix)) continue;
    const std::string name = key.substr(0, key.size() - std::string_view("_micros").size());
    if (*micros == 0) return {name, "-"};
    return {name, absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", absl::FromUnixMicros(*micros),
                                   absl::UTCTimeZone())};
  }
  return {key, ScalarText(value)};
}

}  // namespace

std::string ToJson(const Record& r) { return RecordJson(r) + "\n"; }

std::string ToText(const Record& r) {
  std::string out;
  for (const auto& [key, value] : r.fields) {
    if (const auto* list = std::get_if<std::vector<std::string>>(&value)) {
      absl::StrAppend(&out, key, ":\n");
      for (const std::string& s : *list) absl::StrAppend(&out, "  ", s, "\n");
    } else if (const auto* records = std::get_if<std::vector<Record>>(&value)) {
      absl::StrAppend(&out, key, ":\n");
      for (const Record& item : *records) {
        out += "  -";
        for (const auto& [k, v] : item.fields) {
          const auto [name, text] = TextField(k, v);
          absl::StrAppend(&out, " ", name, "=", text);
        }
        out += "\n";
      }
    } else {
      const auto [name, text] = TextField(key, value);
      absl::StrAppend(&out, name, ": ", text, "\n");
    }
  }
  return out;
}

Record ErrorRecord(const absl::Status& s) {
  Record out;
  out.Add("error", absl::StatusCodeToString(s.code())).Add("message", std::string(s.message()));
  const sdk::ErrorInfo info = sdk::ErrorInfoOf(s);
  if (!info.reason.empty()) {
    out.Add("reason", info.reason);
    Record metadata;
    for (const auto& [key, value] : info.metadata) metadata.Add(key, value);
    out.Add("metadata", std::vector<Record>{std::move(metadata)});
  }
  std::vector<Record> violations;
  for (const sdk::FieldViolation& v : sdk::FieldViolations(s)) {
    Record r;
    r.Add("field", v.field).Add("description", v.description);
    violations.push_back(std::move(r));
  }
  if (!violations.empty()) out.Add("field_violations", std::move(violations));
  return out;
}

}  // namespace loyalty::cli

// What a CLI command prints: an ordered record of fields, written as `key: value` lines
// for people or as one JSON object (--json) for scripts.
#ifndef LOYALTY_PARTNER_SDK_CLI_OUTPUT_H_
#define LOYALTY_PARTNER_SDK_CLI_OUTPUT_H_

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"

namespace loyalty::cli {

struct Record;
using Field =
    std::variant<int64_t, bool, std::string, std::vector<std::string>, std::vector<Record>, double>;

struct Record {
  std::vector<std::pair<std::string, Field>> fields;

  Record& Add(std::string key, Field value) {
    fields.emplace_back(std::move(key), std::move(value));
    return *this;
  }
  // Disambiguates string literals (which would otherwise become bool).
  Record& Add(std::string key, const char* value) {
    return Add(std::move(key), std::string(value));
  }
};

// The record as a single-line JSON object.
std::string ToJson(const Record& r);
// The record as `key: value` lines; lists of records as one `- k=v ...` line each.
std::string ToText(const Record& r);
// An error as a record: {"error": "NOT_FOUND", "message": "card_number: ...", "reason":
// "CARD_NOT_FOUND", "metadata": [{"field": "card_number"}], "field_violations": [{"field":
// ..., "description": ...}]} (reason and metadata when the hub sent a google.rpc.ErrorInfo,
// field_violations when it sent a google.rpc.BadRequest).
Record ErrorRecord(const absl::Status& s);

}  // namespace loyalty::cli

#endif  // LOYALTY_PARTNER_SDK_CLI_OUTPUT_H_

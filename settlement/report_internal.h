// Internal to settlement/report*.cc: what the CSV and HTML writers share.
#ifndef LOYALTY_SETTLEMENT_REPORT_INTERNAL_H_
#define LOYALTY_SETTLEMENT_REPORT_INTERNAL_H_

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "settlement/model.h"

namespace loyalty::settlement::report_internal {

// |v| for every int64: unsigned negation is defined for INT64_MIN, where signed is not.
inline uint64_t Magnitude(int64_t v) {
  return v < 0 ? uint64_t{0} - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
}

// A count for a table cell: empty for 0 (no line, no transaction).
inline std::string IntOrEmpty(int64_t v) { return v == 0 ? "" : std::to_string(v); }
// ---------------------------------------------------------------------------------
// Shared by the CSV and HTML writers

// Participant names by id; unknown ids (ValidateForReport rejects them) get a stand-in.
class Directory {
 public:
  explicit Directory(const Settlement& s) {
    for (const Participant& p : s.participants) names_.emplace(p.id, p.name);
  }
  bool Knows(PartnerId id) const { return names_.count(id) > 0; }
  std::string Name(PartnerId id) const {
    auto it = names_.find(id);
    return it != names_.end() ? it->second : absl::StrCat("participant ", id);
  }

 private:
  std::map<PartnerId, std::string> names_;
};

// The period's non-internal lines netted per pair: cells[a][b] > 0 when participant a
// owes b that much after netting what b owes a; then cells[b][a] == 0. Row a sums what
// a pays, column b what b receives; column minus row is the net position.
struct Matrix {
  std::vector<PartnerId> ids;  // participants' order
  std::vector<std::vector<int64_t>> cells;
  std::vector<int64_t> row_total, col_total;
  int64_t total = 0;
};

// REQUIRES: ValidateForReport passed (no sum here can overflow).
Matrix BilateralMatrix(const Settlement& s);

}  // namespace loyalty::settlement::report_internal

#endif  // LOYALTY_SETTLEMENT_REPORT_INTERNAL_H_

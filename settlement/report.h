// The reports of a settlement run (issue 3, DESIGN.md section 7): CSV for spreadsheets,
// JSON for machines (json.h) and one self-contained HTML page for people. Everything here
// is a pure function of the Settlement (and Reconciliation) it is given: the same input
// gives byte-identical files, and no clock, locale or floating point is read.
//
// Thread-safety: all functions are safe to call concurrently (no shared state), as long
// as two calls do not write into the same directory.
#ifndef LOYALTY_SETTLEMENT_REPORT_H_
#define LOYALTY_SETTLEMENT_REPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "hub/common/escape.h"  // CsvField, HtmlEscape
#include "settlement/model.h"

namespace loyalty::settlement {

// The largest currency exponent the formatters accept (int64 has 19 digits).
inline constexpr int kMaxFormatExponent = 18;
// Reports refuse settlements with more participants than this: the bilateral matrix is
// quadratic in it.
inline constexpr size_t kMaxReportParticipants = 2000;

// amount_minor as a decimal string with `exponent` fractional digits, from integers only:
// (12345, 2) -> "123.45", (-5, 2) -> "-0.05", (12345, 0) -> "12345", (5, 3) -> "0.005".
// Every int64 is accepted, INT64_MIN included. REQUIRES: 0 <= exponent <= 18 (checked:
// aborts otherwise, so validate exponents that come from outside first).
std::string FormatMinor(int64_t amount_minor, int exponent);

// Basis points as a percentage with two decimals: 1234 -> "12.34%", 5 -> "0.05%".
std::string FormatBasisPoints(int64_t bp);

// Micros since the epoch as ISO-8601 UTC: "2026-11-01T00:00:00Z"; fractional seconds
// appear only when present ("2026-11-01T00:00:00.25Z").
std::string FormatUtc(Micros t);

// What netting saved: gross_total_minor - net_total_minor, saturating at the int64
// limits (ValidateForReport rejects the negative totals that could reach them).
int64_t NettingSavedMinor(const Settlement& s);

// Checks what the reports rely on: exponent in range, participants unique and within
// kMaxReportParticipants, every line/position/payment/roll-forward naming a known
// participant, the lines' absolute amounts summing within int64, positions summing to
// exactly zero, totals not negative. INVALID_ARGUMENT naming the first problem.
absl::Status ValidateForReport(const Settlement& s);

// The contents of each report file, for callers that do not want files (and for tests).
// Each ends with a newline; CSV rows end with CRLF as RFC 4180 asks; amounts are in
// currency units ("123.45"), times ISO-8601 UTC, participants as an id and a name column.
// REQUIRES: ValidateForReport(s).ok() (WriteReports checks it; the sums these take are
// only overflow-free after it).
std::string SummaryCsv(const Settlement& s);
std::string LinesCsv(const Settlement& s);
std::string MatrixCsv(const Settlement& s);
std::string PositionsCsv(const Settlement& s);
std::string PaymentsCsv(const Settlement& s);
std::string RollForwardCsv(const Settlement& s);
std::string ReconciliationCsv(const Reconciliation& r);
std::string ReconciliationBadRowsCsv(const Reconciliation& r);
// recon may be null: the page then has no reconciliation section.
std::string ReportHtml(const Settlement& s, const Reconciliation* recon);

// Creates out_dir (and parents) if needed and writes every report of `s` into it,
// replacing files of the same name. Returns the paths written, in this order:
//   summary.csv lines.csv matrix.csv positions.csv payments.csv roll_forward.csv
//   [reconciliation.csv reconciliation_bad_rows.csv]  settlement.json
//   [reconciliation.json]  report.html
// (bracketed files only when recon != nullptr). Each file is written to a temporary name
// and renamed, so a reader never sees half a file.
// Errors: INVALID_ARGUMENT for an empty out_dir or from ValidateForReport; UNAVAILABLE when the
// directory or a file cannot be created or written (the message names the path and errno text).
absl::StatusOr<std::vector<std::string>> WriteReports(const Settlement& s,
                                                      const Reconciliation* recon,
                                                      const std::string& out_dir);

}  // namespace loyalty::settlement

#endif  // LOYALTY_SETTLEMENT_REPORT_H_

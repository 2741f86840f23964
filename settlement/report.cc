#include "settlement/report.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "hub/common/status_macros.h"
#include "settlement/json.h"
#include "settlement/report_internal.h"

namespace loyalty::settlement {
using report_internal::BilateralMatrix;
using report_internal::Directory;
using report_internal::Magnitude;
using report_internal::Matrix;

// ---------------------------------------------------------------------------------
// Formatting

namespace {}  // namespace

std::string FormatMinor(int64_t amount_minor, int exponent) {
  LOYALTY_CHECK(exponent >= 0 && exponent <= kMaxFormatExponent);
  const bool negative = amount_minor < 0;
  std::string digits = std::to_string(Magnitude(amount_minor));
  const size_t exp = static_cast<size_t>(exponent);
  if (digits.size() <= exp) digits.insert(0, exp + 1 - digits.size(), '0');
  if (exp > 0) digits.insert(digits.size() - exp, 1, '.');
  return negative ? "-" + digits : digits;
}

std::string FormatBasisPoints(int64_t bp) { return FormatMinor(bp, 2) + "%"; }

std::string FormatUtc(Micros t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", absl::FromUnixMicros(t), absl::UTCTimeZone());
}

int64_t NettingSavedMinor(const Settlement& s) {
  const __int128 saved = static_cast<__int128>(s.gross_total_minor) - s.net_total_minor;
  if (saved > std::numeric_limits<int64_t>::max()) return std::numeric_limits<int64_t>::max();
  if (saved < std::numeric_limits<int64_t>::min()) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(saved);
}

namespace report_internal {

// REQUIRES: ValidateMagnitudes passed (no sum here can overflow).
Matrix BilateralMatrix(const Settlement& s) {
  Matrix m;
  std::map<PartnerId, size_t> index;
  for (const Participant& p : s.participants) {
    index.emplace(p.id, m.ids.size());
    m.ids.push_back(p.id);
  }
  const size_t n = m.ids.size();
  std::vector<std::vector<int64_t>> owed(n, std::vector<int64_t>(n, 0));
  for (const Line& l : s.lines) {
    if (l.internal || l.payer == l.payee) continue;
    auto payer = index.find(l.payer), payee = index.find(l.payee);
    if (payer == index.end() || payee == index.end()) continue;
    owed[payer->second][payee->second] += l.amount_minor;
  }
  m.cells.assign(n, std::vector<int64_t>(n, 0));
  m.row_total.assign(n, 0);
  m.col_total.assign(n, 0);
  for (size_t a = 0; a < n; ++a) {
    for (size_t b = 0; b < n; ++b) {
      const int64_t net = owed[a][b] - owed[b][a];
      if (a == b || net <= 0) continue;
      m.cells[a][b] = net;
      m.row_total[a] += net;
      m.col_total[b] += net;
      m.total += net;
    }
  }
  return m;
}

}  // namespace report_internal

// ---------------------------------------------------------------------------------
// Validation

namespace {

absl::Status Invalid(const std::string& what) { return absl::InvalidArgumentError(what); }

absl::Status CheckKnown(const Directory& dir, PartnerId id, const std::string& where) {
  if (dir.Knows(id)) return absl::OkStatus();
  return Invalid(absl::StrCat(where, ": participant ", id, " is not in participants"));
}

absl::Status ValidateParticipants(const Settlement& s) {
  if (s.participants.size() > kMaxReportParticipants) {
    return Invalid(absl::StrCat("participants: ", s.participants.size(), " exceeds the limit of ",
                                kMaxReportParticipants));
  }
  std::map<PartnerId, int> seen;
  for (size_t i = 0; i < s.participants.size(); ++i) {
    if (!seen.emplace(s.participants[i].id, 0).second) {
      return Invalid(absl::StrCat("participants[", i, "]: duplicate id ", s.participants[i].id));
    }
  }
  return absl::OkStatus();
}

// Every sum the reports take (matrix cells, totals, the position check) stays within
// the sum of the magnitudes checked here.
absl::Status ValidateMagnitudes(const Settlement& s) {
  int64_t lines_abs = 0;
  for (size_t i = 0; i < s.lines.size(); ++i) {
    const int64_t a = s.lines[i].amount_minor;
    if (a == std::numeric_limits<int64_t>::min()) {
      return Invalid(absl::StrCat("lines[", i, "].amount_minor: out of range"));
    }
    absl::StatusOr<int64_t> sum = CheckedAdd(lines_abs, a < 0 ? -a : a, "lines");
    if (!sum.ok()) return Invalid("lines: total amount overflows int64");
    lines_abs = *sum;
  }
  int64_t net_sum = 0;
  for (size_t i = 0; i < s.positions.size(); ++i) {
    absl::StatusOr<int64_t> sum = CheckedAdd(net_sum, s.positions[i].net_minor, "positions");
    if (!sum.ok()) return Invalid("positions: net sum overflows int64");
    net_sum = *sum;
  }
  if (net_sum != 0) {
    return Invalid(absl::StrCat("positions: net amounts sum to ", net_sum, ", not 0"));
  }
  if (s.gross_total_minor < 0 || s.net_total_minor < 0) {
    return Invalid("gross_total_minor and net_total_minor must not be negative");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateForReport(const Settlement& s) {
  if (s.currency_exponent < 0 || s.currency_exponent > kMaxFormatExponent) {
    return Invalid(absl::StrCat("currency_exponent: ", s.currency_exponent, " not in [0, 18]"));
  }
  RETURN_IF_ERROR(ValidateParticipants(s));
  const Directory dir(s);
  for (size_t i = 0; i < s.lines.size(); ++i) {
    RETURN_IF_ERROR(CheckKnown(dir, s.lines[i].payer, absl::StrCat("lines[", i, "].payer")));
    RETURN_IF_ERROR(CheckKnown(dir, s.lines[i].payee, absl::StrCat("lines[", i, "].payee")));
  }
  for (size_t i = 0; i < s.positions.size(); ++i) {
    RETURN_IF_ERROR(CheckKnown(dir, s.positions[i].participant,
                               absl::StrCat("positions[", i, "].participant")));
  }
  for (size_t i = 0; i < s.payments.size(); ++i) {
    RETURN_IF_ERROR(
        CheckKnown(dir, s.payments[i].participant, absl::StrCat("payments[", i, "].participant")));
  }
  for (size_t i = 0; i < s.roll_forward.size(); ++i) {
    RETURN_IF_ERROR(
        CheckKnown(dir, s.roll_forward[i].funder, absl::StrCat("roll_forward[", i, "].funder")));
  }
  return ValidateMagnitudes(s);
}

// ---------------------------------------------------------------------------------
// Files

namespace {

absl::Status WriteFileAtomically(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot create ", tmp, ": ", std::strerror(errno)));
  }
  const bool written = std::fwrite(content.data(), 1, content.size(), f) == content.size();
  const int write_errno = errno;
  const bool closed = std::fclose(f) == 0;
  if (!written || !closed) {
    std::remove(tmp.c_str());
    return absl::UnavailableError(
        absl::StrCat("cannot write ", tmp, ": ", std::strerror(written ? errno : write_errno)));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    return absl::UnavailableError(
        absl::StrCat("cannot rename ", tmp, " to ", path, ": ", ec.message()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<std::string>> WriteReports(const Settlement& s,
                                                      const Reconciliation* recon,
                                                      const std::string& out_dir) {
  if (out_dir.empty()) return absl::InvalidArgumentError("out_dir: empty");
  RETURN_IF_ERROR(ValidateForReport(s));
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot create directory ", out_dir, ": ", ec.message()));
  }
  std::vector<std::pair<std::string, std::string>> files = {
      {"summary.csv", SummaryCsv(s)},   {"lines.csv", LinesCsv(s)},
      {"matrix.csv", MatrixCsv(s)},     {"positions.csv", PositionsCsv(s)},
      {"payments.csv", PaymentsCsv(s)}, {"roll_forward.csv", RollForwardCsv(s)}};
  if (recon != nullptr) {
    files.emplace_back("reconciliation.csv", ReconciliationCsv(*recon));
    files.emplace_back("reconciliation_bad_rows.csv", ReconciliationBadRowsCsv(*recon));
  }
  files.emplace_back("settlement.json", SettlementToJson(s));
  if (recon != nullptr) files.emplace_back("reconciliation.json", ReconciliationToJson(*recon));
  files.emplace_back("report.html", ReportHtml(s, recon));

  std::vector<std::string> paths;
  for (const auto& [name, content] : files) {
    const std::string path = (std::filesystem::path(out_dir) / name).string();
    RETURN_IF_ERROR(WriteFileAtomically(path, content));
    paths.push_back(path);
  }
  return paths;
}

}  // namespace loyalty::settlement

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
#include "settlement/report.h"
#include "settlement/report_internal.h"

namespace loyalty::settlement {
using report_internal::BilateralMatrix;
using report_internal::Directory;
using report_internal::IntOrEmpty;
using report_internal::Matrix;
// ---------------------------------------------------------------------------------
// CSV: one header row, CRLF line ends (RFC 4180), amounts formatted in currency units.

namespace {

class Csv {
 public:
  void Row(const std::vector<std::string>& fields) {
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i > 0) out_ += ',';
      out_ += CsvField(fields[i]);
    }
    out_ += "\r\n";
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

std::string Int(int64_t v) { return std::to_string(v); }
std::string Bool(bool v) { return v ? "true" : "false"; }

}  // namespace

std::string SummaryCsv(const Settlement& s) {
  const int e = s.currency_exponent;
  Csv csv;
  csv.Row({"run_id", "status", "period", "period_start", "period_end", "model", "currency",
           "gross_total", "net_total", "netting_saved", "checksum"});
  csv.Row({Int(s.run_id), s.status, s.period.label, FormatUtc(s.period.start),
           FormatUtc(s.period.end), ModelName(s.model), s.currency,
           FormatMinor(s.gross_total_minor, e), FormatMinor(s.net_total_minor, e),
           FormatMinor(NettingSavedMinor(s), e), s.checksum});
  return csv.Take();
}

std::string LinesCsv(const Settlement& s) {
  const Directory dir(s);
  Csv csv;
  csv.Row({"kind", "payer_id", "payer_name", "payee_id", "payee_name", "points", "price_micros",
           "amount", "internal"});
  for (const Line& l : s.lines) {
    csv.Row({l.kind, Int(l.payer), dir.Name(l.payer), Int(l.payee), dir.Name(l.payee),
             Int(l.points), Int(l.price_micros), FormatMinor(l.amount_minor, s.currency_exponent),
             Bool(l.internal)});
  }
  return csv.Take();
}

std::string MatrixCsv(const Settlement& s) {
  const Directory dir(s);
  const Matrix m = BilateralMatrix(s);
  const int e = s.currency_exponent;
  std::vector<std::string> header = {"payer_id", "payer_name"};
  for (PartnerId id : m.ids) header.push_back(absl::StrCat("#", id, " ", dir.Name(id)));
  header.push_back("total_paid");
  Csv csv;
  csv.Row(header);
  for (size_t a = 0; a < m.ids.size(); ++a) {
    std::vector<std::string> row = {Int(m.ids[a]), dir.Name(m.ids[a])};
    for (size_t b = 0; b < m.ids.size(); ++b) {
      row.push_back(a == b ? "" : FormatMinor(m.cells[a][b], e));
    }
    row.push_back(FormatMinor(m.row_total[a], e));
    csv.Row(row);
  }
  std::vector<std::string> totals = {"", "total_received"};
  for (int64_t t : m.col_total) totals.push_back(FormatMinor(t, e));
  totals.push_back(FormatMinor(m.total, e));
  csv.Row(totals);
  return csv.Take();
}

std::string PositionsCsv(const Settlement& s) {
  const Directory dir(s);
  const int e = s.currency_exponent;
  Csv csv;
  csv.Row({"participant_id", "participant_name", "received", "paid", "net"});
  for (const NetPosition& p : s.positions) {
    csv.Row({Int(p.participant), dir.Name(p.participant), FormatMinor(p.received_minor, e),
             FormatMinor(p.paid_minor, e), FormatMinor(p.net_minor, e)});
  }
  return csv.Take();
}

std::string PaymentsCsv(const Settlement& s) {
  const Directory dir(s);
  Csv csv;
  csv.Row({"participant_id", "participant_name", "direction", "amount"});
  for (const Payment& p : s.payments) {
    csv.Row({Int(p.participant), dir.Name(p.participant), p.to_hub ? "to_hub" : "from_hub",
             FormatMinor(p.amount_minor, s.currency_exponent)});
  }
  return csv.Take();
}

std::string RollForwardCsv(const Settlement& s) {
  const Directory dir(s);
  const int e = s.currency_exponent;
  Csv csv;
  csv.Row({"funder_id", "funder_name", "opening_points", "earned_points", "reversed_points",
           "consumed_points", "expired_points", "closing_points", "opening_value", "closing_value",
           "breakage_rate_bp", "breakage_rate"});
  for (const RollForward& r : s.roll_forward) {
    csv.Row({Int(r.funder), dir.Name(r.funder), Int(r.opening), Int(r.earned), Int(r.reversed),
             Int(r.consumed), Int(r.expired), Int(r.closing), FormatMinor(r.opening_value_minor, e),
             FormatMinor(r.closing_value_minor, e), Int(r.breakage_rate_bp),
             FormatBasisPoints(r.breakage_rate_bp)});
  }
  return csv.Take();
}

std::string ReconciliationCsv(const Reconciliation& r) {
  Csv csv;
  csv.Row({"partner_txn_id", "status", "mismatched_fields", "line", "hub_txn_id", "detail"});
  for (const ReconItem& i : r.items) {
    csv.Row({i.partner_txn_id, i.status, absl::StrJoin(i.mismatched_fields, ";"),
             IntOrEmpty(i.line), IntOrEmpty(i.hub_txn_id), i.detail});
  }
  return csv.Take();
}

std::string ReconciliationBadRowsCsv(const Reconciliation& r) {
  Csv csv;
  csv.Row({"line", "reason"});
  for (const ReconBadRow& b : r.bad_rows) csv.Row({Int(b.line), b.reason});
  return csv.Take();
}

}  // namespace loyalty::settlement

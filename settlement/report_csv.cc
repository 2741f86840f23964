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

// An amount as two columns: exact minor units, then formatted in currency units.
void AddMoney(std::vector<std::string>* row, int64_t minor, int exponent) {
  row->push_back(Int(minor));
  row->push_back(FormatMinor(minor, exponent));
}

// The header columns of an amount named `name`: `name_minor`, `name`.
void AddMoneyHeader(std::vector<std::string>* row, const std::string& name) {
  row->push_back(name + "_minor");
  row->push_back(name);
}
std::string Bool(bool v) { return v ? "true" : "false"; }

}  // namespace

std::string SummaryCsv(const Settlement& s) {
  const int e = s.currency_exponent;
  Csv csv;
  std::vector<std::string> header = {"run_id",     "status", "period",  "period_start",
                                     "period_end", "model",  "currency"};
  for (const char* name : {"gross_total", "net_total", "netting_saved"}) {
    AddMoneyHeader(&header, name);
  }
  header.push_back("checksum");
  csv.Row(header);
  std::vector<std::string> row = {
      Int(s.run_id),           s.status,           s.period.label, FormatUtc(s.period.start),
      FormatUtc(s.period.end), ModelName(s.model), s.currency};
  AddMoney(&row, s.gross_total_minor, e);
  AddMoney(&row, s.net_total_minor, e);
  AddMoney(&row, NettingSavedMinor(s), e);
  row.push_back(s.checksum);
  csv.Row(row);
  return csv.Take();
}

std::string LinesCsv(const Settlement& s) {
  const Directory dir(s);
  Csv csv;
  csv.Row({"kind", "payer_id", "payer_name", "payee_id", "payee_name", "points", "price_micros",
           "amount_minor", "amount", "currency", "internal"});
  for (const Line& l : s.lines) {
    std::vector<std::string> row = {
        l.kind,        Int(l.payer),       dir.Name(l.payer), Int(l.payee), dir.Name(l.payee),
        Int(l.points), Int(l.price_micros)};
    AddMoney(&row, l.amount_minor, s.currency_exponent);
    row.push_back(s.currency);
    row.push_back(Bool(l.internal));
    csv.Row(row);
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
  header.push_back("currency");
  Csv csv;
  csv.Row(header);
  for (size_t a = 0; a < m.ids.size(); ++a) {
    std::vector<std::string> row = {Int(m.ids[a]), dir.Name(m.ids[a])};
    for (size_t b = 0; b < m.ids.size(); ++b) {
      row.push_back(a == b ? "" : FormatMinor(m.cells[a][b], e));
    }
    row.push_back(FormatMinor(m.row_total[a], e));
    row.push_back(s.currency);
    csv.Row(row);
  }
  std::vector<std::string> totals = {"", "total_received"};
  for (int64_t t : m.col_total) totals.push_back(FormatMinor(t, e));
  totals.push_back(FormatMinor(m.total, e));
  totals.push_back(s.currency);
  csv.Row(totals);
  return csv.Take();
}

std::string PositionsCsv(const Settlement& s) {
  const Directory dir(s);
  const int e = s.currency_exponent;
  Csv csv;
  csv.Row({"participant_id", "participant_name", "received_minor", "received", "paid_minor", "paid",
           "net_minor", "net", "currency"});
  for (const NetPosition& p : s.positions) {
    std::vector<std::string> row = {Int(p.participant), dir.Name(p.participant)};
    AddMoney(&row, p.received_minor, e);
    AddMoney(&row, p.paid_minor, e);
    AddMoney(&row, p.net_minor, e);
    row.push_back(s.currency);
    csv.Row(row);
  }
  return csv.Take();
}

std::string PaymentsCsv(const Settlement& s) {
  const Directory dir(s);
  Csv csv;
  csv.Row(
      {"participant_id", "participant_name", "direction", "amount_minor", "amount", "currency"});
  for (const Payment& p : s.payments) {
    std::vector<std::string> row = {Int(p.participant), dir.Name(p.participant),
                                    p.to_hub ? "to_hub" : "from_hub"};
    AddMoney(&row, p.amount_minor, s.currency_exponent);
    row.push_back(s.currency);
    csv.Row(row);
  }
  return csv.Take();
}

std::string RollForwardCsv(const Settlement& s) {
  const Directory dir(s);
  const int e = s.currency_exponent;
  Csv csv;
  csv.Row({"funder_id", "funder_name", "opening_points", "earned_points", "reversed_points",
           "consumed_points", "expired_points", "closing_points", "opening_value_minor",
           "opening_value", "closing_value_minor", "closing_value", "currency", "breakage_rate_bp",
           "breakage_rate"});
  for (const RollForward& r : s.roll_forward) {
    std::vector<std::string> row = {Int(r.funder),  dir.Name(r.funder), Int(r.opening),
                                    Int(r.earned),  Int(r.reversed),    Int(r.consumed),
                                    Int(r.expired), Int(r.closing)};
    AddMoney(&row, r.opening_value_minor, e);
    AddMoney(&row, r.closing_value_minor, e);
    row.push_back(s.currency);
    row.push_back(Int(r.breakage_rate_bp));
    row.push_back(FormatBasisPoints(r.breakage_rate_bp));
    csv.Row(row);
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

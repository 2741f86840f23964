#include "settlement/reconcile.h"

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "hub/common/csv.h"
#include "hub/common/status_macros.h"
#include "hub/ledger/validate.h"

namespace loyalty::settlement {
namespace {

constexpr char kHeader[] = "partner_txn_id,type,card,amount,currency,points,occurred_at";
constexpr size_t kMaxLineBytes = 4096;

const std::set<std::string>& MoneyKinds() {
  static const auto* kinds =
      new std::set<std::string>{txn_kind::kEarn, txn_kind::kRedeem, txn_kind::kCapture,
                                txn_kind::kReverseEarn, txn_kind::kReverseRedeem};
  return *kinds;
}

absl::StatusOr<Micros> ParseTime(const std::string& s) {
  if (s.empty()) return 0;
  int64_t micros = 0;
  if (absl::SimpleAtoi(s, &micros)) return micros;
  absl::Time t;
  std::string err;
  if (absl::ParseTime(absl::RFC3339_full, s, &t, &err)) return absl::ToUnixMicros(t);
  return absl::InvalidArgumentError("occurred_at: not ISO-8601 UTC or microseconds");
}

// Parses one data row; the error names the column.
absl::StatusOr<PartnerFileRow> ParseRow(const std::vector<std::string>& f, int line) {
  if (f.size() != 7) {
    return absl::InvalidArgumentError(absl::StrCat("expected 7 columns, found ", f.size()));
  }
  PartnerFileRow r;
  r.line = line;
  r.partner_txn_id = f[0];
  RETURN_IF_ERROR(ValidateIdempotencyKey("partner_txn_id", r.partner_txn_id));
  r.type = f[1];
  if (MoneyKinds().count(r.type) == 0) {
    return absl::InvalidArgumentError(
        "type: must be earn, redeem, capture, reverse_earn or reverse_redeem");
  }
  r.card = f[2];
  if (!r.card.empty()) RETURN_IF_ERROR(ValidateCardNumber("card", r.card));
  if (!f[3].empty() && (!absl::SimpleAtoi(f[3], &r.amount_minor) || r.amount_minor < 0)) {
    return absl::InvalidArgumentError("amount: not a non-negative integer of minor units");
  }
  r.currency = f[4];
  if (!r.currency.empty() && !CurrencyExponent(r.currency).has_value()) {
    return absl::InvalidArgumentError("currency: not a supported ISO 4217 code");
  }
  if (!absl::SimpleAtoi(f[5], &r.points) || r.points <= 0) {
    return absl::InvalidArgumentError("points: not a positive integer");
  }
  ASSIGN_OR_RETURN(r.occurred_at, ParseTime(f[6]));
  return r;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("file: cannot read '", path, "'"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Compares one matched pair; returns the fields that differ and a description.
std::vector<std::string> Differences(StoreTxn& txn, const PartnerFileRow& r, const TxnRecord& t,
                                     std::string* detail) {
  std::vector<std::string> fields;
  auto differ = [&](const char* field, const std::string& hub, const std::string& partner) {
    fields.push_back(field);
    if (!detail->empty()) absl::StrAppend(detail, "; ");
    absl::StrAppend(detail, field, ": hub ", hub, ", partner ", partner);
  };
  if (r.type != t.kind) differ("type", t.kind, r.type);
  if (r.points != t.points) differ("points", absl::StrCat(t.points), absl::StrCat(r.points));
  if (t.kind == txn_kind::kEarn && r.amount_minor != t.amount_minor) {
    differ("amount", absl::StrCat(t.amount_minor), absl::StrCat(r.amount_minor));
  }
  if (t.kind == txn_kind::kEarn && !r.currency.empty() && r.currency != t.currency) {
    differ("currency", t.currency, r.currency);
  }
  if (!r.card.empty()) {
    absl::StatusOr<std::optional<CardRecord>> card = txn.FindCard(r.card);
    const bool same = card.ok() && card->has_value() && (*card)->member_id == t.member_id;
    if (!same) differ("card", absl::StrCat("member ", t.member_id), "another member's card");
  }
  if (r.occurred_at != 0 && r.occurred_at != t.occurred_at) {
    differ("occurred_at", absl::StrCat(t.occurred_at), absl::StrCat(r.occurred_at));
  }
  return fields;
}

void Count(Reconciliation* rec, const ReconItem& item) {
  if (item.status == "matched") ++rec->matched;
  if (item.status == "missing_at_hub") ++rec->missing_at_hub;
  if (item.status == "missing_at_partner") ++rec->missing_at_partner;
  if (item.status == "mismatch") ++rec->mismatched;
}

}  // namespace

absl::StatusOr<std::vector<PartnerFileRow>> ParsePartnerFile(const std::string& text,
                                                             std::vector<ReconBadRow>* bad_rows) {
  std::vector<PartnerFileRow> rows;
  std::istringstream in(text);
  CsvReader reader(&in, kMaxLineBytes);
  std::vector<std::string> fields;
  std::string error;
  int number = 0;  // records read, the header included
  std::set<std::string> seen;
  for (;;) {
    const CsvReader::Result got = reader.Next(&fields, &error);
    if (got == CsvReader::Result::kEnd) break;
    ++number;
    if (number == 1) {
      if (got != CsvReader::Result::kRecord || absl::StrJoin(fields, ",") != kHeader) {
        return absl::InvalidArgumentError(absl::StrCat("file: header must be '", kHeader, "'"));
      }
      continue;
    }
    const int line = static_cast<int>(reader.line());
    absl::StatusOr<PartnerFileRow> row = got == CsvReader::Result::kRecord
                                             ? ParseRow(fields, line)
                                             : absl::InvalidArgumentError(error);
    if (row.ok() && !seen.insert(row->partner_txn_id).second) {
      row = absl::InvalidArgumentError("partner_txn_id: appears more than once in the file");
    }
    if (!row.ok()) {
      bad_rows->push_back({line, std::string(row.status().message())});
      continue;
    }
    rows.push_back(*std::move(row));
  }
  if (number == 0) return absl::InvalidArgumentError("file: empty (no header)");
  return rows;
}

absl::StatusOr<Reconciliation> Reconcile(Store* store, PartnerId partner, const Period& period,
                                         const std::string& path) {
  Reconciliation rec;
  rec.partner = partner;
  rec.period = period;
  rec.file = path;
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  ASSIGN_OR_RETURN(std::vector<PartnerFileRow> rows, ParsePartnerFile(text, &rec.bad_rows));
  RETURN_IF_ERROR(store->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    rec.items.clear();
    rec.matched = rec.missing_at_hub = rec.missing_at_partner = rec.mismatched = 0;
    ASSIGN_OR_RETURN(std::optional<loyalty::PartnerRecord> p, txn.GetPartner(partner));
    if (!p.has_value()) return absl::NotFoundError(absl::StrCat("partner: no partner ", partner));
    rec.partner_name = p->name;
    ASSIGN_OR_RETURN(std::vector<TxnRecord> txns,
                     txn.PartnerTxnsBetween(partner, period.start, period.end));
    std::map<std::string, const TxnRecord*> hub;
    for (const TxnRecord& t : txns) {
      if (MoneyKinds().count(t.kind) > 0) hub[t.partner_txn_id] = &t;
    }
    std::set<std::string> in_file;
    for (const PartnerFileRow& r : rows) {
      in_file.insert(r.partner_txn_id);
      ReconItem item{r.partner_txn_id, "matched", {}, r.line, 0, ""};
      auto it = hub.find(r.partner_txn_id);
      if (it == hub.end()) {
        item.status = "missing_at_hub";
        ASSIGN_OR_RETURN(std::optional<TxnRecord> elsewhere,
                         txn.FindTxn(partner, r.partner_txn_id));
        item.detail = elsewhere.has_value() ? "posted at the hub in another period"
                                            : "not in the hub's journal";
      } else {
        item.hub_txn_id = it->second->id;
        item.mismatched_fields = Differences(txn, r, *it->second, &item.detail);
        if (!item.mismatched_fields.empty()) item.status = "mismatch";
      }
      rec.items.push_back(item);
    }
    for (const auto& [id, t] : hub) {
      if (in_file.count(id) > 0) continue;
      rec.items.push_back({id,
                           "missing_at_partner",
                           {},
                           0,
                           t->id,
                           absl::StrCat(t->kind, " of ", t->points, " points")});
    }
    return absl::OkStatus();
  }));
  std::sort(rec.items.begin(), rec.items.end(), [](const ReconItem& a, const ReconItem& b) {
    return a.partner_txn_id < b.partner_txn_id;
  });
  for (const ReconItem& item : rec.items) Count(&rec, item);
  return rec;
}

}  // namespace loyalty::settlement

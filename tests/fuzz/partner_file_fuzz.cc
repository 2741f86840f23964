// libFuzzer target: hostile bytes as a partner's reconciliation file (settlement's CSV
// parser, settlement/reconcile.h ParsePartnerFile).
//
// Invariants, for every input:
//   - no crash and no undefined behaviour (ASan + UBSan, any report aborts);
//   - INVALID_ARGUMENT only for a missing or wrong header; otherwise every line after
//     the header is a row, a reported bad row, or blank, and line numbers ascend;
//   - every accepted row obeys the file format: a valid partner_txn_id (unique in the
//     file), a known type, a Luhn-valid card or none, amount >= 0, a known currency or
//     none, points > 0;
//   - round trip: the accepted rows written back as CSV (every field quoted, times as
//     microseconds) parse to the same rows with no bad rows.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "hub/common/money.h"
#include "hub/common/secure_random.h"
#include "hub/ledger/validate.h"
#include "settlement/reconcile.h"

namespace loyalty::settlement {
namespace {

#define FUZZ_CHECK(cond)                                          \
  do {                                                            \
    if (!(cond)) {                                                \
      std::fprintf(stderr, "fuzz invariant failed: %s\n", #cond); \
      std::abort();                                               \
    }                                                             \
  } while (0)

constexpr char kHeader[] = "partner_txn_id,type,card,amount,currency,points,occurred_at";

std::string Quote(const std::string& field) {
  return absl::StrCat("\"", absl::StrReplaceAll(field, {{"\"", "\"\""}}), "\"");
}

std::string Render(const std::vector<PartnerFileRow>& rows) {
  std::string out = absl::StrCat(kHeader, "\r\n");
  for (const PartnerFileRow& r : rows) {
    absl::StrAppend(&out, Quote(r.partner_txn_id), ",", Quote(r.type), ",", Quote(r.card), ",",
                    r.amount_minor, ",", Quote(r.currency), ",", r.points, ",", r.occurred_at,
                    "\n");
  }
  return out;
}

bool SameRow(const PartnerFileRow& a, const PartnerFileRow& b) {
  return a.partner_txn_id == b.partner_txn_id && a.type == b.type && a.card == b.card &&
         a.amount_minor == b.amount_minor && a.currency == b.currency && a.points == b.points &&
         a.occurred_at == b.occurred_at;
}

void CheckRow(const PartnerFileRow& r, std::set<std::string>* ids) {
  static const std::set<std::string> kTypes = {"earn", "redeem", "capture", "reverse_earn",
                                               "reverse_redeem"};
  FUZZ_CHECK(ValidateIdempotencyKey("partner_txn_id", r.partner_txn_id).ok());
  FUZZ_CHECK(ids->insert(r.partner_txn_id).second);
  FUZZ_CHECK(kTypes.count(r.type) == 1);
  FUZZ_CHECK(r.card.empty() || IsValidCardNumber(r.card));
  FUZZ_CHECK(r.amount_minor >= 0);
  FUZZ_CHECK(r.currency.empty() || CurrencyExponent(r.currency).has_value());
  FUZZ_CHECK(r.points > 0);
}

void Check(const std::string& text) {
  std::vector<ReconBadRow> bad;
  absl::StatusOr<std::vector<PartnerFileRow>> rows = ParsePartnerFile(text, &bad);
  if (!rows.ok()) {
    FUZZ_CHECK(rows.status().code() == absl::StatusCode::kInvalidArgument);
    FUZZ_CHECK(absl::StartsWith(rows.status().message(), "file: "));
    return;
  }
  const size_t lines = static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  FUZZ_CHECK(rows->size() + bad.size() + 1 <= lines);
  std::set<std::string> ids;
  int last = 1;
  for (const PartnerFileRow& r : *rows) {
    FUZZ_CHECK(r.line > last);
    last = r.line;
    CheckRow(r, &ids);
  }
  last = 1;
  for (const ReconBadRow& b : bad) {
    FUZZ_CHECK(b.line > last && !b.reason.empty());
    last = b.line;
  }
  std::vector<ReconBadRow> bad_again;
  absl::StatusOr<std::vector<PartnerFileRow>> again = ParsePartnerFile(Render(*rows), &bad_again);
  FUZZ_CHECK(again.ok() && bad_again.empty() && again->size() == rows->size());
  for (size_t i = 0; i < rows->size(); ++i) FUZZ_CHECK(SameRow((*rows)[i], (*again)[i]));
}

}  // namespace
}  // namespace loyalty::settlement

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Most inputs would die on the header: also try the bytes as the body of a file.
  const std::string raw(reinterpret_cast<const char*>(data), size);
  loyalty::settlement::Check(raw);
  loyalty::settlement::Check(absl::StrCat(loyalty::settlement::kHeader, "\n", raw));
  return 0;
}

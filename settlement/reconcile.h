// Reconciliation (DESIGN.md section 7 step 5): a partner's own transaction file for a
// period, matched to the journal by partner_txn_id.
//
// The file is CSV (RFC 4180 quoting) with this header, in this order:
//   partner_txn_id,type,card,amount,currency,points,occurred_at
// type is one of earn, redeem, capture, reverse_earn, reverse_redeem; amount is integer
// minor units (empty or 0 for non-earns); points is a positive integer; occurred_at is
// ISO-8601 UTC ("2026-11-03T10:15:00Z") or integer microseconds since the epoch, or empty.
// A malformed row is reported with its line number and skipped; it never stops the run.
#ifndef LOYALTY_SETTLEMENT_RECONCILE_H_
#define LOYALTY_SETTLEMENT_RECONCILE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "hub/store/store.h"
#include "settlement/model.h"

namespace loyalty::settlement {

// Parses the file's text. Rows that do not parse go to `bad_rows`; NOT an error.
// INVALID_ARGUMENT only when the header is wrong.
absl::StatusOr<std::vector<PartnerFileRow>> ParsePartnerFile(const std::string& text,
                                                             std::vector<ReconBadRow>* bad_rows);

// Matches the file at `path` against `partner`'s journal entries posted in `period`.
// NOT_FOUND for an unknown partner or an unreadable file.
absl::StatusOr<Reconciliation> Reconcile(Store* store, PartnerId partner, const Period& period,
                                         const std::string& path);

}  // namespace loyalty::settlement

#endif  // LOYALTY_SETTLEMENT_RECONCILE_H_

// The card-issuing bank's side of the ledger: its earn rules, partners' merchant ids,
// co-branded card links, and clearing records that earn (purchase) or reverse (refund)
// bank-funded points. A clearing posts through the same earn and reversal code as a
// till, in one database transaction with its clearing row, so it is idempotent on the
// clearing id the way a till request is on its partner_txn_id.
//
// Card references are what the bank sends as a token, or "h:" + HMAC-SHA-256 of a PAN
// computed before anything reaches this class: no PAN ever gets here.
//
// Thread-safe.
#ifndef LOYALTY_HUB_LEDGER_BANK_LEDGER_H_
#define LOYALTY_HUB_LEDGER_BANK_LEDGER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "hub/common/clock.h"
#include "hub/store/store.h"

namespace loyalty {

struct ClearingParams {
  PartnerId bank_id = 0;
  std::string clearing_id;
  std::string card_ref;
  int64_t amount_minor = 0;
  std::string currency;
  int mcc = 0;
  std::string merchant_id;
  bool refund = false;
  std::string original_clearing_id;  // refunds
  Micros occurred_at = 0;            // 0 = now
};

struct ClearingOutcome {
  std::string status;  // clearing_status::*
  Points points = 0;   // credited, or reversed by a refund
  std::string reason;
  TxnId txn_id = 0;
  bool replayed = false;
};

struct StatementLineView {
  std::string merchant_id;
  PartnerId partner_id = 0;
  std::string partner_name;  // "" when partner_id is 0
  int64_t purchases = 0;
  int64_t amount_minor = 0;
  Points points_earned = 0;
  Points points_reversed = 0;
};

struct CardStatementView {
  std::string card_ref;
  std::string month;
  std::string currency;
  std::vector<StatementLineView> lines;  // by merchant id
  Points points_earned = 0;
  Points points_reversed = 0;
  Points monthly_cap_points = 0;
};

inline constexpr int kMaxMccRules = 10000;

class BankLedger {
 public:
  // REQUIRES: store and clock outlive it.
  BankLedger(Store* store, const Clock* clock) : store_(store), clock_(clock) {}
  BankLedger(const BankLedger&) = delete;
  BankLedger& operator=(const BankLedger&) = delete;

  // INVALID_ARGUMENT naming the field; NOT_FOUND / FAILED_PRECONDITION when `bank` is
  // not an issuer partner.
  absl::Status SetRules(const std::string& actor, PartnerId bank, const BankRulesRow& rules);
  absl::StatusOr<BankRulesRow> GetRules(PartnerId bank);

  // Registers `merchant_id` for `partner`; replayed = true when it already was.
  // ALREADY_EXISTS when another partner has it.
  absl::StatusOr<bool> RegisterMerchantId(PartnerId partner, const std::string& merchant_id);

  absl::StatusOr<MemberId> LinkCard(PartnerId bank, const std::string& card_number,
                                    const std::string& card_ref);
  absl::Status UnlinkCard(PartnerId bank, const std::string& card_ref);
  absl::StatusOr<std::vector<std::string>> ListCards(const std::string& card_number);
  // At most `limit` (1..kMaxListRows) of them above `after` ("" = from the first), by
  // card reference.
  absl::StatusOr<std::vector<std::string>> ListCards(const std::string& card_number,
                                                     const std::string& after, int limit);

  // Posts one clearing record. A non-OK status means the record was rejected and nothing
  // was posted (INVALID_ARGUMENT naming the field, ALREADY_EXISTS for a clearing id
  // reused with other content, FAILED_PRECONDITION when the program or rules are
  // missing); every business outcome (earned, no earn and why, reversed, unmatched
  // refund) is an OK outcome.
  absl::StatusOr<ClearingOutcome> SubmitClearing(const ClearingParams& p);
  // Posts records in order, each with SubmitClearing's answer as if it came alone (a
  // rejected record undoes nothing of the others), in as few transactions as the store
  // allows: one for them all under group commit.
  std::vector<absl::StatusOr<ClearingOutcome>> SubmitClearings(
      const std::vector<ClearingParams>& records);

  // `month` is "YYYY-MM".
  absl::StatusOr<CardStatementView> Statement(PartnerId bank, const std::string& card_ref,
                                              const std::string& month);

 private:
  // SubmitClearing's work inside a transaction; `hash` is the record's request hash.
  absl::Status PostClearing(StoreTxn& txn, const ClearingParams& p, const std::string& hash,
                            ClearingOutcome* out);

  Store* const store_;
  const Clock* const clock_;
};

// INVALID_ARGUMENT naming `field` unless `ref` is a token (1..64 of [A-Za-z0-9._:-]) or a
// hashed PAN reference ("h:" + 64 hex).
absl::Status ValidateCardRef(const char* field, const std::string& ref);

}  // namespace loyalty

#endif  // LOYALTY_HUB_LEDGER_BANK_LEDGER_H_

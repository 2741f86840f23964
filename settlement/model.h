// The settlement of one closed period, as plain values: what settlement computes
// (compute.h), stores (run.h) and renders (report.h). DESIGN.md section 7.
//
// Points are int64; money is int64 minor units of the program's currency; prices are
// int64 micros per point. Lines are valued once, half-even to the minor unit.
#ifndef LOYALTY_SETTLEMENT_MODEL_H_
#define LOYALTY_SETTLEMENT_MODEL_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "hub/common/clock.h"
#include "hub/common/money.h"
#include "hub/store/records.h"

namespace loyalty::settlement {

// The operator is participant 0 (kOperatorId).
enum class Model { kOperator, kFunderPays };

const char* ModelName(Model m);  // "operator", "funder_pays"

// A participant's prices, in micros of the program currency per point. Default 0.
struct PartnerTerms {
  int64_t issue_price_micros = 0;   // operator model: funder pays the operator per point issued
  int64_t redeem_value_micros = 0;  // value per point redeemed at this partner's tills
  int64_t fee_per_point_micros = 0; // funder_pays model: operator fee per point issued
};

enum class PeriodUnit { kDay, kWeek, kMonth };

struct SettlementConfig {
  Model model = Model::kOperator;
  PeriodUnit period_unit = PeriodUnit::kMonth;
  std::string time_zone = "UTC";  // IANA name; cuts periods
  std::map<PartnerId, PartnerTerms> terms;  // missing partner = all prices 0
};

// Period [start, end) by posted_at, and its label ("2026-11", "2026-W48", "2026-11-26").
struct Period {
  std::string label;
  Micros start = 0;
  Micros end = 0;
};

// Step 1 quantities, points, summed over the period.
struct Quantities {
  std::map<PartnerId, Points> earned;    // gross points of lots created (funder)
  std::map<PartnerId, Points> reversed;  // taken from the reversed earn's own lot
  std::map<PartnerId, Points> issued;    // earned - points of earns reversed in the period
  // consumed[{funder, redeemer}]: till redemptions, earn-reversal cover, debt repayment,
  // admin debits (redeemer = operator), net of restores.
  std::map<std::pair<PartnerId, PartnerId>, Points> consumed;
  std::map<PartnerId, Points> till;      // till redemptions at redeemer, net of restores
  std::map<PartnerId, Points> expired;   // funder
  std::map<PartnerId, Points> opening;   // funder's lots' remaining at period start
  std::map<PartnerId, Points> closing_from_lots;  // ... at period end, from lots directly
};

// One obligation: payer owes payee amount_minor (negative when the period's reversals
// outweigh it: then the payee owes the payer).
struct Line {
  std::string kind;  // "issue" (operator model), "redemption", "fee" (funder_pays)
  PartnerId payer = 0;
  PartnerId payee = 0;
  Points points = 0;
  int64_t price_micros = 0;
  int64_t amount_minor = 0;
  bool internal = false;  // funder == redeemer: shown, never paid
};

struct NetPosition {
  PartnerId participant = 0;
  int64_t received_minor = 0;
  int64_t paid_minor = 0;
  int64_t net_minor = 0;  // received - paid; all positions sum to 0
};

// Through the hub as central counterparty: at most one payment per participant.
struct Payment {
  PartnerId participant = 0;
  bool to_hub = false;  // true: participant pays the hub; false: the hub pays it
  int64_t amount_minor = 0;  // > 0
};

struct RollForward {
  PartnerId funder = 0;
  Points opening = 0;
  Points earned = 0;
  Points reversed = 0;
  Points consumed = 0;  // sum over redeemers
  Points expired = 0;
  Points closing = 0;   // = opening + earned - reversed - consumed - expired
  int64_t opening_value_minor = 0;  // points x program point value, half-even
  int64_t closing_value_minor = 0;
  // expired / (consumed + expired) in basis points, half-even; 0 when nothing left.
  int64_t breakage_rate_bp = 0;
};

struct Participant {
  PartnerId id = 0;
  std::string name;  // "operator" for 0
};

struct Settlement {
  int64_t run_id = 0;
  std::string status;  // "draft" or "final"
  Period period;
  Model model = Model::kOperator;
  std::string currency;
  int currency_exponent = 2;
  int64_t point_value_micros = 0;
  std::vector<Participant> participants;  // by id, operator first
  Quantities quantities;
  std::vector<Line> lines;                // deterministic order
  std::vector<NetPosition> positions;     // by participant id
  std::vector<Payment> payments;          // by participant id
  std::vector<RollForward> roll_forward;  // by funder id
  int64_t gross_total_minor = 0;  // sum of |amount| over lines that are paid
  int64_t net_total_minor = 0;    // sum of payments to the hub (= from the hub)
  std::string checksum;           // SHA-256 of the canonical lines CSV
  Micros created_at = 0;
  Micros finalized_at = 0;
};

// Reconciliation of a partner's own transaction file against the journal (step 5).
// File columns: partner_txn_id,type,card,amount,currency,points,occurred_at.
struct PartnerFileRow {  // one parsed data row of the partner's file
  int line = 0;  // 1-based line number in the file (the header is line 1)
  std::string partner_txn_id;
  std::string type;  // the hub's txn kind names: earn, redeem, capture, reverse_earn, ...
  std::string card;
  int64_t amount_minor = 0;
  std::string currency;
  Points points = 0;
  Micros occurred_at = 0;
};

struct ReconItem {
  std::string partner_txn_id;
  // "matched", "missing_at_hub", "missing_at_partner", "mismatch"
  std::string status;
  std::vector<std::string> mismatched_fields;  // e.g. {"points", "amount"}
  int line = 0;          // in the partner's file, 0 when missing there
  TxnId hub_txn_id = 0;  // 0 when missing at the hub
  std::string detail;    // human-readable: "points: hub 250, partner 260"
};

struct ReconBadRow {
  int line = 0;
  std::string reason;
};

struct Reconciliation {
  PartnerId partner = 0;
  std::string partner_name;
  Period period;
  std::string file;
  std::vector<ReconItem> items;  // sorted by partner_txn_id
  std::vector<ReconBadRow> bad_rows;
  int64_t matched = 0, missing_at_hub = 0, missing_at_partner = 0, mismatched = 0;
};

}  // namespace loyalty::settlement

#endif  // LOYALTY_SETTLEMENT_MODEL_H_

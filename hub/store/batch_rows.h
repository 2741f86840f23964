// What the batch pipeline (group_commit.h) needs of a database transaction beyond the
// ledger's StoreTxn: set-based reads for the load stage, multi-row statements for the
// write stage, savepoints, and row ids from blocks the hub reserves. Plain row mapping,
// no state of the batch: the working set (working_set.h) holds that.
//
// Implemented by MysqlTxn; tests wrap it to inject faults (tests/support/faulty_rows.h).
// Not thread-safe: it belongs to the thread running the batch. Every method returns a
// non-OK status on a database error; after one, Doomed() says whether the transaction
// can go on.
#ifndef LOYALTY_HUB_STORE_BATCH_ROWS_H_
#define LOYALTY_HUB_STORE_BATCH_ROWS_H_

#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "hub/store/store.h"

namespace loyalty {

// A partner's idempotency key.
struct TxnKey {
  PartnerId partner = 0;
  std::string id;
  friend bool operator<(const TxnKey& a, const TxnKey& b) {
    return std::tie(a.partner, a.id) < std::tie(b.partner, b.id);
  }
  friend bool operator==(const TxnKey& a, const TxnKey& b) {
    return a.partner == b.partner && a.id == b.id;
  }
};

// The tables whose row ids the hub hands out itself (IdSource).
enum class IdKind { kTxn, kLot, kConsumption, kHold, kDebt };

// Hands out row ids for new rows, unique across every hub on the database: each hub
// reserves a block at a time in a short transaction of its own (the table id_blocks),
// so no INSERT has to return an id and a batch writes its rows as multi-row inserts.
// Thread-safe.
class IdSource {
 public:
  virtual ~IdSource() = default;
  // A fresh id of `kind`; UNAVAILABLE when a block cannot be reserved.
  virtual absl::StatusOr<int64_t> Next(IdKind kind) = 0;
};

class BatchRows : public StoreTxn {
 public:
  // Load: one statement per 128 keys (a batch holds at most 128 requests: one each).
  // The members of partners' earlier transactions.
  virtual absl::StatusOr<std::vector<MemberId>> MembersOfTxns(const std::vector<TxnKey>& keys) = 0;
  virtual absl::StatusOr<std::vector<CardRecord>> FindCards(
      const std::vector<std::string>& numbers) = 0;
  // SELECT ... FOR UPDATE in ascending id order (two batches never deadlock on members).
  virtual absl::StatusOr<std::vector<MemberRecord>> LockMembers(std::vector<MemberId> ids) = 0;
  virtual absl::StatusOr<std::vector<TxnRecord>> FindTxns(const std::vector<TxnKey>& keys) = 0;
  // Lots with points left, by member, each member's in lot order (OrderLots).
  virtual absl::StatusOr<std::vector<LotRecord>> OpenLotsOf(const std::vector<MemberId>& ids) = 0;
  // Of the same members, only the open lots that expire by `due_by` or whose
  // available_at is later than `pending_after` (so pending at any time from then on):
  // what a request judged in between needs that never takes from lots. Each member's
  // in lot order, as OpenLotsOf.
  virtual absl::StatusOr<std::vector<LotRecord>> DueOrPendingLotsOf(
      const std::vector<MemberId>& ids, Micros due_by, Micros pending_after) = 0;
  // Co-branded card links by card reference.
  virtual absl::StatusOr<std::vector<CardLinkRow>> FindCardLinks(
      const std::vector<std::string>& refs) = 0;
  // Clearing records by (bank, clearing id), locked (SELECT ... FOR UPDATE: a refund
  // changes its purchase's row).
  virtual absl::StatusOr<std::vector<ClearingRow>> LockClearings(
      const std::vector<std::pair<PartnerId, std::string>>& keys) = 0;
  // The running monthly totals (card_month_points) of (card reference, month) pairs;
  // a pair without a row has none yet (0).
  virtual absl::StatusOr<std::vector<std::pair<std::pair<std::string, std::string>, Points>>>
  CardMonthTotals(const std::vector<std::pair<std::string, std::string>>& keys) = 0;
  // Debts with points outstanding, by member, oldest (lowest id) first per member.
  virtual absl::StatusOr<std::vector<DebtRecord>> OpenDebtsOf(const std::vector<MemberId>& ids) = 0;
  // Holds with status active (any expiry), by member, newest first.
  virtual absl::StatusOr<std::vector<HoldRecord>> ActiveHoldsOf(
      const std::vector<MemberId>& ids) = 0;
  // The counter every write of the program, partners, tiers or promotions advances in
  // its own transaction: equal numbers mean those rules did not change in between.
  virtual absl::StatusOr<int64_t> RulesVersion() = 0;
  // The partners a member earned at since `since` (DistinctEarnPartnersSince, as a set
  // the working set can merge with its unwritten earns).
  virtual absl::StatusOr<std::vector<PartnerId>> EarnPartnersSince(MemberId member,
                                                                   Micros since) = 0;

  // Write: multi-row statements. Rows carry their ids (IdSource). InsertTxns returns
  // ABORTED and makes the transaction Retryable() when an idempotency key was taken by
  // a transaction that committed since the load (the rerun then replays it).
  virtual absl::Status InsertTxns(const std::vector<TxnRecord>& txns) = 0;
  virtual absl::Status InsertLots(const std::vector<LotRecord>& lots) = 0;
  virtual absl::Status InsertConsumptions(const std::vector<ConsumptionRecord>& rows) = 0;
  virtual absl::Status InsertTransfers(const std::vector<TransferRecord>& rows) = 0;
  virtual absl::Status InsertHolds(const std::vector<HoldRecord>& rows) = 0;
  // Every column of each member row.
  virtual absl::Status UpdateMembers(const std::vector<MemberRecord>& members) = 0;
  virtual absl::Status UpdateLotsRemaining(
      const std::vector<std::pair<LotId, Points>>& remaining) = 0;
  // Status and points of each hold, by id.
  virtual absl::Status UpdateHolds(const std::vector<HoldRecord>& holds) = 0;
  // points, balance_after, available_after and reversed_points of txns already written.
  virtual absl::Status UpdateTxns(const std::vector<TxnRecord>& txns) = 0;
  // Clearing rows, with each earned or reversing row's points added to its card's
  // running monthly total (card_month_points). Returns ABORTED and makes the
  // transaction Retryable() when a clearing id was taken meanwhile (a concurrent stream
  // sent the same record: the rerun replays it).
  virtual absl::Status InsertClearings(const std::vector<ClearingRow>& rows) = 0;
  // Sets refunded_amount_minor of existing clearing rows.
  virtual absl::Status UpdateClearingsRefunded(const std::vector<ClearingRow>& rows) = 0;
  // Debt rows by id: new ones inserted, existing ones get the given member_id and
  // outstanding (one upsert per chunk).
  virtual absl::Status UpsertDebts(const std::vector<DebtRecord>& rows) = 0;
  // Audit log entries (their ids are assigned by the table, ascending in the given order).
  virtual absl::Status InsertAudits(const std::vector<AuditEntry>& rows) = 0;
  virtual absl::Status InsertPromotionAwards(const std::vector<PromotionAwardRow>& rows) = 0;

  // One savepoint, replaced by each call.
  virtual absl::Status Savepoint() = 0;
  virtual absl::Status RollbackToSavepoint() = 0;

  // True once an error ended the whole transaction (a deadlock, a lost connection):
  // nothing more can be done in it.
  virtual bool Doomed() const = 0;
  // True if a new attempt of the whole transaction may succeed (deadlock, lock wait
  // timeout, an idempotency key taken concurrently).
  virtual bool Retryable() const = 0;
  // Forgets that the last failure was retryable (the caller ran the request again).
  virtual void ClearRetryable() = 0;

  virtual IdSource& ids() = 0;

  // Called by the store right before COMMIT; a non-OK status rolls the transaction
  // back and is returned instead (tests inject a lost connection at commit with it).
  virtual absl::Status BeforeCommit() { return absl::OkStatus(); }
};

// Lot order (DESIGN.md section 5): earliest expires_at first, ties by earned_at, then
// lot id. The one definition; SQL that lists lots orders by the same columns
// (kLotOrderSql).
inline bool LotBefore(const LotRecord& a, const LotRecord& b) {
  return std::tie(a.expires_at, a.earned_at, a.id) < std::tie(b.expires_at, b.earned_at, b.id);
}
inline constexpr char kLotOrderSql[] = "expires_at, earned_at, id";

}  // namespace loyalty

#endif  // LOYALTY_HUB_STORE_BATCH_ROWS_H_

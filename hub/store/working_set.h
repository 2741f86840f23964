// The working set of one batch (group_commit.h): what the batch's requests read and
// write, held in memory between the load stage and the write stage.
//
//   Load(plans)   a fixed number of set-based statements: the plans' cards and earlier
//                 transactions, their members locked in ascending id order, the
//                 idempotency keys, the members' open lots, active holds and (of members
//                 in debt) open debts.
//   requests      each runs the ledger's code against this StoreTxn between
//                 BeginRequest and EndRequest. Reads of loaded rows and new rows are
//                 answered from memory; new txns, lots, consumptions, transfers, holds,
//                 debts, audit rows and promotion awards and changed members, lots,
//                 holds, debts and txns stay in memory (ids from the IdSource). A request that
//                 fails is undone in memory from an undo log.
//   Write()       what the batch created or changed, as multi-row statements.
//
// Calls the working set does not keep pass through to the transaction (ForwardingTxn):
// a write first sets a savepoint for the request (so a failure undoes it too); a read of
// a kept table first writes the batch's rows out, unless the request has already
// changed something, in which case it asks to be run again on its own
// (WantsRerunWithSavepoint): the pipeline undoes it, writes the batch out, sets a
// savepoint and runs it once more with writes going straight through.
//
// Not thread-safe: it belongs to the committer thread running the batch.
#ifndef LOYALTY_HUB_STORE_WORKING_SET_H_
#define LOYALTY_HUB_STORE_WORKING_SET_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "hub/store/batch_rows.h"
#include "hub/store/forwarding_txn.h"

namespace loyalty {

// What a batch cost, for stats and benchmarks.
struct WorkingSetStats {
  int64_t reruns_with_savepoint = 0;
  int64_t savepoints = 0;
  int64_t flushes = 0;  // mid-batch writes of the batch's rows
};

// The earn rules batches read (program, partners, tiers, promotions) as of one
// rules_version (BatchRows::RulesVersion). Group commit keeps the newest across batches;
// a batch that reads another version reads the rules again as it needs them.
struct BatchRules {
  int64_t version = 0;
  std::optional<std::optional<ProgramRecord>> program;
  std::map<PartnerId, std::optional<PartnerRecord>> partners;
  std::optional<std::vector<TierRow>> tiers;
  std::optional<std::vector<PromotionRow>> promotions;        // all of them
  std::map<std::string, std::optional<PartnerId>> merchants;  // merchant id -> partner
  std::map<PartnerId, std::optional<BankRulesRow>> bank_rules;
};

class WorkingSet final : public ForwardingTxn {
 public:
  // REQUIRES: `rows` outlives this object. `cached`: the rules of an earlier batch, or
  // nullptr.
  explicit WorkingSet(BatchRows* rows, std::shared_ptr<const BatchRules> cached = nullptr)
      : ForwardingTxn(rows), rows_(rows), cached_(std::move(cached)) {}

  // Load stage. REQUIRES: called once, before any request.
  absl::Status Load(const std::vector<const LockPlan*>& plans);

  // The rules as this batch knows them (to keep for the next batches once it commits).
  const BatchRules& rules() const { return rules_; }

  // Apply stage. `with_savepoint`: the request's rerun after WantsRerunWithSavepoint
  // (the batch's rows are written out and a savepoint set first).
  absl::Status BeginRequest(bool with_savepoint);
  // Keeps the request's changes (`ok`) or undoes them.
  absl::Status EndRequest(bool ok);
  // True when the last request failed only because it read, after changing something,
  // rows the batch has not written yet.
  bool WantsRerunWithSavepoint() const { return wants_rerun_; }

  // Write stage: everything not written yet.
  absl::Status Write() { return Flush(); }

  const WorkingSetStats& stats() const { return stats_; }

  // The calls answered from memory.
  absl::StatusOr<std::optional<ProgramRecord>> GetProgram() override;
  absl::Status PutProgram(const ProgramRecord& program, Micros now) override;
  absl::StatusOr<PartnerId> InsertPartner(const PartnerRecord& partner) override;
  absl::StatusOr<std::optional<PartnerRecord>> GetPartner(PartnerId id) override;
  absl::Status SetPartnerSuspended(PartnerId id) override;
  absl::StatusOr<std::vector<TierRow>> ListTiers() override;
  absl::Status ReplaceTiers(const std::vector<TierRow>& tiers) override;
  absl::StatusOr<std::vector<PromotionRow>> ListPromotions(Micros now, bool all) override;
  absl::StatusOr<int64_t> InsertPromotion(const PromotionRow& p) override;
  absl::Status EndPromotion(int64_t id, Micros now) override;

  absl::StatusOr<MemberRecord> LockMember(MemberId id) override;
  absl::Status UpdateMember(const MemberRecord& member) override;
  absl::StatusOr<std::optional<CardRecord>> FindCard(const std::string& number) override;
  absl::Status InsertCard(const CardRecord& card, Micros now) override;
  absl::Status RepointCards(MemberId from, MemberId to) override;

  absl::StatusOr<std::optional<TxnRecord>> FindTxn(PartnerId partner,
                                                   const std::string& partner_txn_id) override;
  absl::StatusOr<std::optional<TxnRecord>> GetTxn(TxnId id) override;
  absl::StatusOr<TxnId> InsertTxn(const TxnRecord& txn) override;
  absl::Status UpdateTxnResult(TxnId id, Points points, Points balance_after,
                               Points available_after) override;
  absl::Status AddTxnReversed(TxnId id, Points points) override;
  absl::Status InsertTransfer(const TransferRecord& transfer) override;
  absl::StatusOr<Points> SumEarnedSince(PartnerId partner, MemberId member, Micros since) override;
  absl::StatusOr<int64_t> SpendSince(MemberId member, Micros since) override;
  absl::StatusOr<int64_t> EarnCountSince(MemberId member, PartnerId partner, Micros since) override;
  absl::StatusOr<int64_t> DistinctEarnPartnersSince(MemberId member, Micros since) override;
  absl::StatusOr<std::vector<TxnRecord>> BonusTxnsOf(TxnId earn) override;

  absl::StatusOr<std::vector<LotRecord>> OpenLots(MemberId member) override;
  absl::StatusOr<std::vector<LotRecord>> LotsDueOrPending(MemberId member, Micros now) override;
  absl::StatusOr<std::optional<LotRecord>> LotOfEarn(TxnId earn_txn) override;
  absl::StatusOr<LotRecord> GetLot(LotId id) override;
  absl::StatusOr<LotId> InsertLot(const LotRecord& lot) override;
  absl::Status SetLotRemaining(LotId id, Points remaining) override;
  absl::Status MoveLots(MemberId from, MemberId to) override;

  absl::Status InsertConsumption(const ConsumptionRecord& c) override;
  absl::StatusOr<std::vector<ConsumptionRecord>> ConsumptionsOfTxn(TxnId txn) override;
  absl::StatusOr<Points> RestoredOf(int64_t consumption_id) override;

  absl::Status InsertHold(const HoldRecord& hold) override;
  absl::StatusOr<std::optional<HoldRecord>> HoldOfAuthorization(TxnId auth_txn) override;
  absl::Status UpdateHold(int64_t id, const std::string& status, Points points) override;
  absl::StatusOr<std::vector<HoldRecord>> ActiveHolds(MemberId member, Micros now) override;

  absl::StatusOr<std::vector<DebtRecord>> OpenDebts(MemberId member) override;
  absl::Status InsertDebt(const DebtRecord& debt) override;
  absl::Status SetDebtOutstanding(int64_t id, Points outstanding) override;
  absl::Status MoveDebts(MemberId from, MemberId to) override;

  absl::Status InsertAudit(Micros at, const std::string& actor, const std::string& action,
                           const std::string& detail, const std::string& before,
                           const std::string& after) override;
  absl::Status InsertPromotionAward(const PromotionAwardRow& a) override;
  absl::StatusOr<std::vector<PromotionAwardRow>> AwardsOfEarn(TxnId earn) override;
  absl::StatusOr<int64_t> CountAwards(int64_t promotion, MemberId member) override;

  // A card's monthly points: summed once per batch, then kept current by the batch's
  // own clearing rows (so a busy card costs one sum per batch, not one per record).
  absl::StatusOr<Points> CardPointsInMonth(const std::string& ref,
                                           const std::string& month_key) override;
  absl::Status InsertClearing(const ClearingRow& row) override;
  absl::StatusOr<std::optional<ClearingRow>> FindClearing(PartnerId bank,
                                                          const std::string& id) override;
  absl::Status AddClearingRefunded(PartnerId bank, const std::string& id,
                                   int64_t amount_minor) override;
  absl::StatusOr<std::optional<CardLinkRow>> FindCardLink(const std::string& ref) override;
  absl::StatusOr<std::optional<PartnerId>> MerchantPartner(const std::string& merchant_id) override;
  absl::Status InsertMerchantId(const std::string& merchant_id, PartnerId partner,
                                Micros now) override;
  absl::StatusOr<std::optional<BankRulesRow>> GetBankRules(PartnerId bank) override;
  absl::Status PutBankRules(PartnerId bank, const BankRulesRow& rules, Micros now) override;

 protected:
  absl::Status BeforeCall(const char* method, Access access) override;

 private:
  // A locked member: its row, its lots in lot order (ids into lots_; emptied ones stay)
  // and its holds with status active, newest first (ids into holds_).
  struct MemberState {
    MemberRecord row;
    std::vector<LotId> lots;  // lot order
    std::vector<int64_t> holds;
    // False while `lots` holds only the open lots due by lots_due_by or pending after
    // pending_after (the member's last_posted_at at load), and those the batch made:
    // enough for a request judged in between that takes nothing from them.
    bool all_lots = true;
    Micros lots_due_by = 0;
    Micros pending_after = 0;
  };

  // How far past the load a partial lot list reaches (MemberState::all_lots).
  static constexpr absl::Duration kPartialLotsCover = absl::Minutes(1);

  // Reads the lots and holds of members just locked into members_: all open lots of
  // those in `all_lots` (every member when nullptr), only those due or pending of the
  // others.
  absl::Status KeepMembers(const std::vector<MemberRecord>& rows,
                           const std::set<MemberId>* all_lots = nullptr);
  // Reads a member's open debts into debts_ unless they are there (debts_read_).
  absl::Status ReadDebts(MemberId member);
  // Reads the rest of a member's open lots (MemberState::all_lots).
  absl::Status CompleteLots(MemberId member);
  // Writes out everything not written yet. REQUIRES: no undo entries would refer to it
  // (no request running with changes, or a request with its own savepoint).
  absl::Status Flush();
  bool Unwritten() const;
  // Forgets everything kept (after a rollback to a savepoint): later calls read again.
  void ForgetAll();
  // Forgets what is not written yet (after writing it, or with ForgetAll).
  void ForgetUnwritten();
  absl::Status EnsureSavepoint();
  void PlaceLot(MemberState& m, LotId id);
  // Calls fn(txn) on each of the batch's unwritten earns of `member` posted >= since.
  template <typename Fn>
  void ForNewEarns(MemberId member, Micros since, Fn&& fn) const;

  // Undo log entries: each puts back what one change replaced.
  template <typename K, typename V>
  void Remember(std::map<K, V>& m, const K& k);
  template <typename K>
  void Remember(std::set<K>& s, const K& k);
  template <typename T>
  void Remember(std::vector<T>& v);

  BatchRows* const rows_;

  // Read at most once per rules version.
  const std::shared_ptr<const BatchRules> cached_;
  BatchRules rules_;

  // Kept rows, current (loaded, read through, or made by the batch).
  std::map<MemberId, MemberState> members_;
  std::map<std::string, CardRecord> cards_;
  std::map<TxnKey, std::optional<TxnId>> txn_keys_;  // nullopt: no such key
  std::map<TxnId, TxnRecord> txns_;
  std::map<LotId, LotRecord> lots_;
  std::map<int64_t, HoldRecord> holds_;
  std::map<std::pair<std::string, std::string>, Points> card_months_;  // (card, month)
  using ClearingKey = std::pair<PartnerId, std::string>;
  std::map<std::string, std::optional<CardLinkRow>> card_links_;  // nullopt: none
  std::map<ClearingKey, std::optional<ClearingRow>> clearings_;   // nullopt: none
  std::map<int64_t, DebtRecord> debts_;
  std::set<MemberId> debts_read_;  // members whose open debts are all in debts_

  // Not written yet.
  std::set<TxnId> new_txns_;  // ids ascend in the order they were handed out
  std::set<LotId> new_lots_;
  std::set<int64_t> new_holds_;
  std::vector<ConsumptionRecord> consumptions_;
  std::vector<TransferRecord> transfers_;
  std::set<MemberId> dirty_members_;
  std::vector<ClearingKey> new_clearings_;  // in insertion order
  std::set<ClearingKey> dirty_clearings_;   // refunded_amount_minor changed
  std::set<TxnId> dirty_txns_;
  // reversed_points as stored, of the dirty txns whose reversed_points changed.
  std::map<TxnId, Points> stored_reversed_points_;
  std::set<LotId> dirty_lots_;
  std::set<int64_t> dirty_holds_;
  std::set<int64_t> dirty_debts_;  // new or changed
  std::vector<AuditEntry> audits_;
  std::vector<PromotionAwardRow> awards_;

  // The running request.
  std::vector<std::function<void()>> undo_;
  bool in_request_ = false;
  bool with_savepoint_ = false;  // a rerun: its savepoint was set before it started
  bool savepoint_set_ = false;
  bool wants_rerun_ = false;
  WorkingSetStats stats_;
};

}  // namespace loyalty

#endif  // LOYALTY_HUB_STORE_WORKING_SET_H_

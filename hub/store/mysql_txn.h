// Internal to hub/store: the StoreTxn on one Connector/C++ connection. Every
// sql::SQLException is caught here and turned into an absl::Status carrying the MySQL
// error number; nothing outside hub/store sees an exception.
#ifndef LOYALTY_HUB_STORE_MYSQL_TXN_H_
#define LOYALTY_HUB_STORE_MYSQL_TXN_H_

#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <map>
#include <optional>
#include <set>
#include <memory>
#include <string>
#include <vector>

#include "hub/common/status_macros.h"
#include "hub/store/store.h"

namespace loyalty {

// A connection with its prepared statements cached by SQL text.
struct MysqlConnection {
  std::unique_ptr<sql::Connection> conn;
  std::map<std::string, std::unique_ptr<sql::PreparedStatement>> statements;
  bool broken = false;  // a network-level error: do not reuse
  std::optional<bool> returning;  // the server takes INSERT ... RETURNING (MariaDB)

  sql::PreparedStatement* Prepare(const std::string& sql);
  bool SupportsReturning();
};

// Converts a Connector/C++ exception to a Status; marks `retry` for the errors that a
// fresh attempt of the whole transaction may cure, and `broken` for lost connections.
absl::Status StatusFromSqlException(const sql::SQLException& e, bool* retry, bool* broken);

class MysqlTxn final : public StoreTxn {
 public:
  explicit MysqlTxn(MysqlConnection* c) : c_(c) {}
  MysqlTxn(const MysqlTxn&) = delete;
  MysqlTxn& operator=(const MysqlTxn&) = delete;

  // True once a statement failed in a way a new attempt may cure.
  bool retry() const { return retry_; }

  absl::Status Savepoint() override;
  absl::Status RollbackToSavepoint() override;
  absl::Status BeginBatch(const std::vector<const LockPlan*>& plans) override;
  absl::Status FlushWrites() override;
  bool Doomed() const override { return doomed_ || c_->broken; }
  bool TakeRetry() override {
    const bool r = retry_;
    retry_ = false;
    return r;
  }

  absl::StatusOr<std::optional<ProgramRecord>> GetProgram() override;
  absl::Status PutProgram(const ProgramRecord& program, Micros now) override;
  absl::StatusOr<PartnerId> InsertPartner(const PartnerRecord& partner) override;
  absl::StatusOr<std::optional<PartnerRecord>> GetPartner(PartnerId id) override;
  absl::StatusOr<std::optional<PartnerRecord>> ActivePartnerInCategory(
      const std::string& category) override;
  absl::StatusOr<std::vector<PartnerRecord>> ListPartners() override;
  absl::Status SetPartnerSuspended(PartnerId id) override;
  absl::Status InsertApiKey(const std::string& key_hash, Role role,
                            std::optional<PartnerId> partner, Micros now) override;
  absl::Status RevokeApiKeysOfPartner(PartnerId partner) override;
  absl::StatusOr<std::optional<Principal>> LookupApiKey(const std::string& key_hash) override;
  absl::StatusOr<int64_t> CountActiveKeys(Role role) override;
  absl::Status InsertAudit(Micros at, const std::string& actor, const std::string& action,
                           const std::string& detail, const std::string& before,
                           const std::string& after) override;
  absl::StatusOr<std::vector<AuditEntry>> ListAudit(const AuditQuery& query) override;
  absl::StatusOr<MemberId> InsertMember(bool anonymous, Micros now) override;
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
  absl::StatusOr<std::vector<TxnRecord>> ListTxns(PartnerId partner, std::optional<MemberId> member,
                                                  TxnId before_id, int limit) override;
  absl::StatusOr<std::vector<LotRecord>> OpenLots(MemberId member) override;
  absl::StatusOr<std::optional<LotRecord>> LotOfEarn(TxnId earn_txn) override;
  absl::StatusOr<LotRecord> GetLot(LotId id) override;
  absl::StatusOr<LotId> InsertLot(const LotRecord& lot) override;
  absl::Status SetLotRemaining(LotId id, Points remaining) override;
  absl::Status MoveLots(MemberId from, MemberId to) override;
  absl::StatusOr<std::vector<MemberId>> MembersWithExpiredLots(Micros now, int limit) override;
  absl::Status InsertConsumption(const ConsumptionRecord& c) override;
  absl::StatusOr<std::vector<ConsumptionRecord>> ConsumptionsOfTxn(TxnId txn) override;
  absl::StatusOr<Points> RestoredOf(int64_t consumption_id) override;
  absl::StatusOr<std::vector<DebtRecord>> OpenDebts(MemberId member) override;
  absl::Status InsertDebt(const DebtRecord& debt) override;
  absl::Status SetDebtOutstanding(int64_t id, Points outstanding) override;
  absl::Status MoveDebts(MemberId from, MemberId to) override;
  absl::Status InsertHold(const HoldRecord& hold) override;
  absl::StatusOr<std::optional<HoldRecord>> HoldOfAuthorization(TxnId auth_txn) override;
  absl::Status UpdateHold(int64_t id, const std::string& status, Points points) override;
  absl::StatusOr<std::vector<HoldRecord>> ActiveHolds(MemberId member, Micros now) override;
  absl::StatusOr<std::vector<std::string>> FindInvariantViolations(Micros now) override;
  absl::StatusOr<std::optional<SettlementConfigRow>> GetSettlementConfig() override;
  absl::Status PutSettlementConfig(const SettlementConfigRow& row, Micros now) override;
  absl::StatusOr<std::vector<SettlementTermsRow>> ListSettlementTerms() override;
  absl::Status PutSettlementTerms(const SettlementTermsRow& row, Micros now) override;
  absl::StatusOr<std::vector<FlowRow>> FlowsBetween(Micros start, Micros end) override;
  absl::StatusOr<std::map<PartnerId, Points>> LotPointsEarnedBetween(Micros start,
                                                                     Micros end) override;
  absl::StatusOr<std::map<PartnerId, Points>> EarnReversalsBetween(Micros start,
                                                                   Micros end) override;
  absl::StatusOr<std::map<PartnerId, Points>> FunderRemainingAt(Micros t) override;
  absl::StatusOr<std::vector<TxnRecord>> PartnerTxnsBetween(PartnerId partner, Micros start,
                                                            Micros end) override;
  absl::StatusOr<std::optional<SettlementRunRow>> FindSettlementRun(Micros start,
                                                                    Micros end) override;
  absl::StatusOr<std::optional<SettlementRunRow>> GetSettlementRun(int64_t id) override;
  absl::StatusOr<int64_t> SaveSettlementDraft(
      const SettlementRunRow& run, const std::vector<SettlementLineRow>& lines) override;
  absl::Status FinalizeSettlementRun(int64_t id, Micros at, const std::string& document) override;
  absl::StatusOr<std::vector<SettlementLineRow>> SettlementLines(int64_t run_id) override;
  absl::StatusOr<std::vector<TierRow>> ListTiers() override;  // by threshold
  absl::Status ReplaceTiers(const std::vector<TierRow>& tiers) override;
  absl::StatusOr<int64_t> InsertPromotion(const PromotionRow& p) override;
  // Promotions not ended whose window contains `now` (all promotions when `all`).
  absl::StatusOr<std::vector<PromotionRow>> ListPromotions(Micros now, bool all) override;
  absl::Status EndPromotion(int64_t id, Micros now) override;
  absl::Status InsertPromotionAward(const PromotionAwardRow& a) override;
  absl::StatusOr<std::vector<PromotionAwardRow>> AwardsOfEarn(TxnId earn) override;
  absl::StatusOr<int64_t> CountAwards(int64_t promotion, MemberId member) override;
  // Sum of earn amounts (minor units) of the member, all partners, posted >= since.
  absl::StatusOr<int64_t> SpendSince(MemberId member, Micros since) override;
  absl::StatusOr<int64_t> EarnCountSince(MemberId member, PartnerId partner,
                                                 Micros since) override;
  absl::StatusOr<int64_t> DistinctEarnPartnersSince(MemberId member, Micros since) override;
  absl::StatusOr<std::vector<TxnRecord>> BonusTxnsOf(TxnId earn) override;
  // Members with points whose lots expire in [from, to), by first expiry.
  absl::StatusOr<std::vector<ExpiringRow>> ExpiringBetween(Micros from, Micros to,
                                                                   int limit) override;
  // Members that earned since `since` or hold a tier, ascending, ids > after.
  absl::StatusOr<std::vector<MemberId>> MembersForTierReview(Micros since,
                                                                     MemberId after,
                                                                     int limit) override;


  absl::StatusOr<std::optional<BankRulesRow>> GetBankRules(PartnerId bank) override;
  absl::Status PutBankRules(PartnerId bank, const BankRulesRow& rules, Micros now) override;
  // ALREADY_EXISTS when another partner registered the id.
  absl::Status InsertMerchantId(const std::string& merchant_id, PartnerId partner,
                                        Micros now) override;
  absl::StatusOr<std::optional<PartnerId>> MerchantPartner(
      const std::string& merchant_id) override;
  absl::StatusOr<std::optional<CardLinkRow>> FindCardLink(const std::string& ref) override;
  absl::Status PutCardLink(const CardLinkRow& link, Micros now) override;
  absl::StatusOr<std::vector<std::string>> ActiveCardRefs(MemberId member) override;
  // SELECT ... FOR UPDATE.
  absl::StatusOr<std::optional<ClearingRow>> FindClearing(PartnerId bank,
                                                                  const std::string& id) override;
  absl::Status InsertClearing(const ClearingRow& row) override;
  absl::Status AddClearingRefunded(PartnerId bank, const std::string& id,
                                           int64_t amount_minor) override;
  // Points a card earned in a month: purchases' points minus refunds' reversed points.
  absl::StatusOr<Points> CardPointsInMonth(const std::string& ref,
                                                   const std::string& month_key) override;
  absl::StatusOr<std::vector<ClearingRow>> CardClearingsInMonth(
      const std::string& ref, const std::string& month_key) override;



 private:
  // Runs `body` and converts any sql::SQLException into a status.
  template <typename Fn>
  auto Guard(Fn&& body) -> decltype(body());

  // Prepares (once per connection) a statement. In batch mode, a statement on a table
  // with buffered writes (members, txns, transfers) writes the buffer first, and one that
  // may change member rows drops the kept ones. Throws sql::SQLException.
  sql::PreparedStatement* Prepare(const std::string& sql);
  // For the statements that know the buffer (they read kept rows or add new ones).
  sql::PreparedStatement* PrepareBufferAware(const std::string& sql) { return c_->Prepare(sql); }
  // Writes the buffer; throws sql::SQLException.
  void Flush();
  int64_t LastInsertId();
  // Runs an INSERT built by `sql(returning)` (bound by `bind`) and returns the new row's
  // id: from INSERT ... RETURNING id in one round trip where the server takes it, else
  // from LAST_INSERT_ID(). Throws sql::SQLException.
  template <typename Sql, typename Bind>
  int64_t InsertReturningId(Sql&& sql, Bind&& bind);
  // Runs a "SELECT key, SUM(...)" query with the given int64 parameters into a map.
  absl::StatusOr<std::map<int64_t, int64_t>> SumsByKey(const std::string& sql,
                                                      std::initializer_list<int64_t> params);

  // Runs one statement that takes no parameters and returns no rows.
  absl::Status Execute(const std::string& sql);

  // The uncached reads behind GetProgram, GetPartner, ListTiers and ListPromotions(all).
  absl::StatusOr<std::optional<ProgramRecord>> QueryProgram();
  absl::StatusOr<std::optional<PartnerRecord>> QueryPartner(PartnerId id);
  absl::StatusOr<std::vector<TierRow>> QueryTiers();
  absl::StatusOr<std::vector<PromotionRow>> QueryPromotions(Micros now, bool all);

  // What batch mode keeps of reads; cleared by writes of these tables and by rollbacks.
  struct ReadCache {
    std::optional<std::optional<ProgramRecord>> program;
    std::map<PartnerId, std::optional<PartnerRecord>> partners;
    std::optional<std::vector<TierRow>> tiers;
    std::optional<std::vector<PromotionRow>> promotions;  // all of them
    // Cards of members this transaction holds locked (a card only moves between members
    // that are both locked), so the row cannot change under the transaction.
    std::map<std::string, CardRecord> cards;
    // Transactions by (partner, partner_txn_id) as of BeginBatch or as inserted since;
    // nullopt = no such key.
    std::map<std::pair<PartnerId, std::string>, std::optional<TxnRecord>> txns;
    // Of locked members: open lots (OpenLots order) and holds with status active (any
    // expiry, newest first). Dropped for a member when its lots or holds are written.
    std::map<MemberId, std::vector<LotRecord>> lots;
    std::map<MemberId, std::vector<HoldRecord>> holds;
    // Owners of the kept lots and holds, to find them by id.
    std::map<LotId, MemberId> lot_owner;
    std::map<int64_t, MemberId> hold_owner;
  };
  // Locks the members in ascending id order and keeps their rows.
  void LockMembersInOrder(std::vector<MemberId> ids);
  // Runs `select` + "(group, group, ...)" over `keys` in chunks, binding each key with
  // `bind(st, first_index, key) -> next index` and passing each row to `row`. Throws
  // sql::SQLException.
  template <typename Key, typename Bind, typename Row>
  void SelectIn(const std::string& select, const std::string& group,
                const std::vector<Key>& keys, Bind&& bind, Row&& row);
  void DropReadCache() { cache_ = ReadCache{}; }
  // The lots or holds kept for no member, or for the one given.
  void DropKeptLots(std::optional<MemberId> member);
  void DropKeptHolds(std::optional<MemberId> member);

  // What batch mode keeps of writes until Flush.
  struct Buffered {
    std::vector<TransferRecord> transfers;
    struct TxnResult {
      Points points, balance_after, available_after;
    };
    std::map<TxnId, TxnResult> txn_results;
    std::map<MemberId, MemberRecord> members;  // rows locked by this transaction, current
    std::set<MemberId> dirty_members;          // of those, the ones changed since read
    bool empty() const {
      return transfers.empty() && txn_results.empty() && dirty_members.empty();
    }
  };
  // Puts a buffered transaction result into a row read from the table.
  void PatchTxn(TxnRecord* t) const;

  // What RollbackToSavepoint needs to put the buffer back as it was at Savepoint():
  // the old value of each entry changed since (a copy of the whole buffer would cost a
  // batch time quadratic in its size), or the whole buffer when a flush or a drop of
  // the kept rows changed everything.
  struct Undo {
    bool active = false;
    size_t transfers = 0;
    std::map<TxnId, std::optional<Buffered::TxnResult>> results;
    std::map<MemberId, std::optional<MemberRecord>> members;
    std::map<MemberId, bool> dirty;
    std::optional<Buffered> whole;
  };
  // Record the old values before a change of one entry, or of everything.
  void BeforeMemberChange(MemberId id);
  void BeforeResultChange(TxnId id);
  void BeforeWholeChange();
  // The buffer as it was at Savepoint().
  Buffered BufferAtSavepoint() const;

  MysqlConnection* c_;
  bool retry_ = false;
  bool doomed_ = false;
  bool batching_ = false;
  ReadCache cache_;
  Buffered buffered_;
  Undo undo_;
};

template <typename Sql, typename Bind>
int64_t MysqlTxn::InsertReturningId(Sql&& sql, Bind&& bind) {
  const bool returning = c_->SupportsReturning();
  sql::PreparedStatement* st = PrepareBufferAware(sql(returning));
  bind(st);
  if (!returning) {
    st->executeUpdate();
    return LastInsertId();
  }
  std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
  LOYALTY_CHECK(rs->next());
  return rs->getInt64(1);
}

template <typename Fn>
auto MysqlTxn::Guard(Fn&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const sql::SQLException& e) {
    absl::Status s = StatusFromSqlException(e, &retry_, &c_->broken);
    // Deadlocks and lock wait timeouts end the transaction (InnoDB rolls a deadlock
    // victim back whole; a timed-out batch is retried whole too).
    if (retry_) doomed_ = true;
    return s;
  }
}

}  // namespace loyalty

#endif  // LOYALTY_HUB_STORE_MYSQL_TXN_H_

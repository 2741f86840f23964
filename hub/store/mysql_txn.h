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
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "hub/common/status_macros.h"
#include "hub/store/analytics_rows.h"
#include "hub/store/batch_rows.h"
#include "hub/store/member_rows.h"

namespace loyalty {

// A connection with its prepared statements cached by SQL text.
struct MysqlConnection {
  std::unique_ptr<sql::Connection> conn;
  std::map<std::string, std::unique_ptr<sql::PreparedStatement>> statements;
  bool broken = false;  // a network-level error: do not reuse

  sql::PreparedStatement* Prepare(const std::string& sql);
};

// Converts a Connector/C++ exception to a Status; marks `retry` for the errors that a
// fresh attempt of the whole transaction may cure, and `broken` for lost connections.
absl::Status StatusFromSqlException(const sql::SQLException& e, bool* retry, bool* broken);

// Row readers and column lists shared by the mysql_*.cc files.
namespace rows {
inline constexpr int kErrDuplicateKey = 1062;
extern const char kTxnColumns[];
extern const char kMemberColumns[];
extern const char kLotColumns[];
extern const char kClearingColumns[];
std::optional<int64_t> OptInt(sql::ResultSet* rs, const char* col);
void SetOptInt(sql::PreparedStatement* st, int idx, const std::optional<int64_t>& v);
PartnerRecord ReadPartner(sql::ResultSet* rs);
TxnRecord ReadTxn(sql::ResultSet* rs);
MemberRecord ReadMember(sql::ResultSet* rs);
LotRecord ReadLot(sql::ResultSet* rs);
HoldRecord ReadHold(sql::ResultSet* rs);
ClearingRow ReadClearing(sql::ResultSet* rs);
}  // namespace rows

// Plain row mapping: each method is the statement(s) its contract in store.h or
// batch_rows.h names, on one connection, in the transaction the store opened. No state
// of a batch lives here (working_set.h holds it).
class MysqlTxn final : public BatchRows, public AnalyticsRows, public MemberRows {
 public:
  // REQUIRES: `c` and `ids` outlive the transaction.
  MysqlTxn(MysqlConnection* c, IdSource* ids) : c_(c), ids_(ids) {}
  MysqlTxn(const MysqlTxn&) = delete;
  MysqlTxn& operator=(const MysqlTxn&) = delete;

  // True once a statement failed in a way a new attempt may cure.
  bool retry() const { return retry_; }

  // Writes the events of what this transaction wrote (mysql_events.cc); the store calls
  // it right before COMMIT.
  absl::Status WriteEvents();

  // EventRows (mysql_events.cc).
  absl::StatusOr<int64_t> SequenceEvents(int limit) override;
  absl::StatusOr<int64_t> LastSeq() override;
  absl::StatusOr<std::vector<EventRow>> ReadEvents(const EventQuery& query) override;
  absl::Status InsertEvents(const std::vector<EventRow>& rows) override;
  absl::StatusOr<TimedEventsOutcome> EmitTimedEvents(Micros now, Micros expiring_notice) override;

  // MemberRows (mysql_members.cc).
  absl::StatusOr<std::optional<MemberId>> MemberOfCard(const std::string& card) override;
  absl::StatusOr<bool> MemberExists(MemberId member) override;
  absl::StatusOr<std::vector<std::string>> CardsOf(MemberId member) override;
  absl::StatusOr<std::optional<MemberProfileRow>> GetProfile(MemberId member) override;
  absl::Status PutProfile(const MemberProfileRow& row) override;
  absl::StatusOr<std::optional<SignInCodeRow>> LockCode(MemberId member) override;
  absl::Status PutCode(const SignInCodeRow& row) override;
  absl::Status SetCodeAttempts(MemberId member, int attempts) override;
  absl::Status DeleteCode(MemberId member) override;
  absl::Status InsertSession(const std::string& token_hash, MemberId member,
                             const std::string& issued_by, Micros now, Micros expires_at) override;
  absl::StatusOr<std::optional<MemberId>> SessionMember(const std::string& token_hash,
                                                        Micros now) override;
  absl::StatusOr<std::vector<HistoryRow>> MemberHistory(MemberId member, TxnId before_id,
                                                        int limit) override;
  absl::StatusOr<std::vector<std::pair<Micros, Points>>> ExpiringLotsOf(MemberId member) override;
  absl::StatusOr<std::vector<PartnerId>> PartnersVisited(MemberId member, Micros since) override;
  absl::StatusOr<std::vector<MemberId>> MembersVisiting(PartnerId partner, Micros since,
                                                        MemberId after, int limit) override;
  absl::StatusOr<int64_t> InsertClaim(const ClaimRow& row) override;
  absl::StatusOr<std::optional<ClaimRow>> GetClaim(int64_t id, bool for_update) override;
  absl::Status UpdateClaim(const ClaimRow& row) override;
  absl::StatusOr<std::vector<ClaimRow>> ListClaims(const ClaimQuery& q) override;
  absl::StatusOr<std::vector<ClaimRow>> LockClaimsDue(Micros now, int limit) override;
  absl::Status InsertNotification(const NotificationRow& row) override;
  absl::StatusOr<std::vector<NotificationRow>> LockDueNotifications(Micros now, int limit) override;
  absl::Status UpdateNotification(const NotificationRow& row) override;
  absl::StatusOr<std::vector<NotificationRow>> NotificationsOf(MemberId member) override;
  absl::StatusOr<int64_t> LockConsumerCursor(const std::string& name) override;
  absl::Status SetConsumerCursor(const std::string& name, int64_t seq) override;
  absl::Status EraseMember(MemberId member, Micros now) override;
  absl::StatusOr<bool> TryLease(const std::string& name, const std::string& holder, Micros now,
                                Micros ttl) override;
  absl::Status ReleaseLease(const std::string& name, const std::string& holder) override;

  // Webhooks (mysql_webhooks.cc).
  absl::StatusOr<int64_t> InsertWebhook(const WebhookRow& row) override;
  absl::StatusOr<std::vector<WebhookRow>> ListWebhooks(std::optional<PartnerId> partner,
                                                       bool active_only) override;
  absl::StatusOr<std::optional<WebhookRow>> LockWebhook(int64_t id) override;
  absl::Status SetWebhookActive(int64_t id, bool active) override;
  absl::Status SetWebhookCursor(int64_t id, int64_t seq) override;
  absl::Status InsertDeliveries(const std::vector<DeliveryRow>& rows) override;
  absl::StatusOr<std::vector<DeliveryRow>> LockDueDeliveries(Micros now, int limit) override;
  absl::Status UpdateDelivery(const DeliveryRow& row) override;
  absl::StatusOr<std::vector<DeliveryRow>> ListDeliveries(int64_t webhook,
                                                          const std::string& status,
                                                          int64_t before_id, int limit) override;
  absl::StatusOr<int64_t> RequeueDeliveries(int64_t webhook, const std::vector<int64_t>& ids,
                                            Micros now) override;

  // BatchRows (mysql_txn_sets.cc).
  absl::StatusOr<std::vector<MemberId>> MembersOfTxns(const std::vector<TxnKey>& keys) override;
  absl::StatusOr<std::vector<CardRecord>> FindCards(
      const std::vector<std::string>& numbers) override;
  absl::StatusOr<std::vector<MemberRecord>> LockMembers(std::vector<MemberId> ids) override;
  absl::StatusOr<std::vector<TxnRecord>> FindTxns(const std::vector<TxnKey>& keys) override;
  absl::StatusOr<std::vector<LotRecord>> OpenLotsOf(const std::vector<MemberId>& ids) override;
  absl::StatusOr<std::vector<CardLinkRow>> FindCardLinks(
      const std::vector<std::string>& refs) override;
  absl::StatusOr<std::vector<ClearingRow>> LockClearings(
      const std::vector<std::pair<PartnerId, std::string>>& keys) override;
  absl::StatusOr<std::vector<std::pair<std::pair<std::string, std::string>, Points>>>
  CardMonthTotals(const std::vector<std::pair<std::string, std::string>>& keys) override;
  absl::StatusOr<std::vector<LotRecord>> DueOrPendingLotsOf(const std::vector<MemberId>& ids,
                                                            Micros due_by,
                                                            Micros pending_after) override;
  absl::StatusOr<std::vector<HoldRecord>> ActiveHoldsOf(const std::vector<MemberId>& ids) override;
  absl::StatusOr<std::vector<DebtRecord>> OpenDebtsOf(const std::vector<MemberId>& ids) override;
  absl::StatusOr<int64_t> RulesVersion() override;
  absl::StatusOr<std::vector<PartnerId>> EarnPartnersSince(MemberId member, Micros since) override;
  absl::Status InsertTxns(const std::vector<TxnRecord>& txns) override;
  absl::Status InsertLots(const std::vector<LotRecord>& lots) override;
  absl::Status InsertConsumptions(const std::vector<ConsumptionRecord>& rows) override;
  absl::Status InsertTransfers(const std::vector<TransferRecord>& rows) override;
  absl::Status InsertHolds(const std::vector<HoldRecord>& rows) override;
  absl::Status UpdateMembers(const std::vector<MemberRecord>& members) override;
  absl::Status UpdateLotsRemaining(const std::vector<std::pair<LotId, Points>>& remaining) override;
  absl::Status UpdateHolds(const std::vector<HoldRecord>& holds) override;
  absl::Status UpdateTxns(const std::vector<TxnRecord>& txns) override;
  absl::Status InsertClearings(const std::vector<ClearingRow>& rows) override;
  absl::Status UpdateClearingsRefunded(const std::vector<ClearingRow>& rows) override;
  absl::Status UpsertDebts(const std::vector<DebtRecord>& rows) override;
  absl::Status InsertAudits(const std::vector<AuditEntry>& rows) override;
  absl::Status InsertPromotionAwards(const std::vector<PromotionAwardRow>& rows) override;
  absl::Status Savepoint() override;
  absl::Status RollbackToSavepoint() override;
  bool Doomed() const override { return doomed_ || c_->broken; }
  bool Retryable() const override { return retry_; }
  void ClearRetryable() override { retry_ = false; }
  IdSource& ids() override { return *ids_; }

  // StoreTxn.
  absl::StatusOr<std::optional<ProgramRecord>> GetProgram() override;
  absl::Status PutProgram(const ProgramRecord& program, Micros now) override;
  absl::StatusOr<PartnerId> InsertPartner(const PartnerRecord& partner) override;
  absl::StatusOr<std::optional<PartnerRecord>> GetPartner(PartnerId id) override;
  absl::StatusOr<std::optional<PartnerRecord>> ActivePartnerInCategory(
      const std::string& category) override;
  absl::StatusOr<std::vector<PartnerRecord>> ListPartners() override;
  absl::StatusOr<std::vector<PartnerRecord>> ListPartnersAfter(PartnerId after, int limit) override;
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
  absl::StatusOr<std::vector<TxnRecord>> ListTxns(const TxnQuery& query) override;
  absl::StatusOr<std::vector<LotRecord>> OpenLots(MemberId member) override;
  absl::StatusOr<std::vector<LotRecord>> LotsDueOrPending(MemberId member, Micros now) override;
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
  absl::StatusOr<int64_t> SaveSettlementDraft(const SettlementRunRow& run,
                                              const std::vector<SettlementLineRow>& lines) override;
  absl::Status FinalizeSettlementRun(int64_t id, Micros at, const std::string& document) override;
  absl::StatusOr<std::vector<SettlementLineRow>> SettlementLines(int64_t run_id) override;
  absl::StatusOr<std::vector<TierRow>> ListTiers() override;  // by threshold
  absl::Status ReplaceTiers(const std::vector<TierRow>& tiers) override;
  absl::StatusOr<int64_t> InsertPromotion(const PromotionRow& p) override;
  // Promotions not ended whose window contains `now` (all promotions when `all`).
  absl::StatusOr<std::vector<PromotionRow>> ListPromotions(Micros now, bool all) override;
  absl::StatusOr<std::vector<PromotionRow>> ListPromotionsAfter(Micros now, bool all,
                                                                int64_t after_id,
                                                                int limit) override;
  absl::Status EndPromotion(int64_t id, Micros now) override;
  absl::Status InsertPromotionAward(const PromotionAwardRow& a) override;
  absl::StatusOr<std::vector<PromotionAwardRow>> AwardsOfEarn(TxnId earn) override;
  absl::StatusOr<int64_t> CountAwards(int64_t promotion, MemberId member) override;
  // Sum of earn amounts (minor units) of the member, all partners, posted >= since.
  absl::StatusOr<int64_t> SpendSince(MemberId member, Micros since) override;
  absl::StatusOr<int64_t> EarnCountSince(MemberId member, PartnerId partner, Micros since) override;
  absl::StatusOr<int64_t> DistinctEarnPartnersSince(MemberId member, Micros since) override;
  absl::StatusOr<std::vector<TxnRecord>> BonusTxnsOf(TxnId earn) override;
  // Members with points whose lots expire in [from, to), by first expiry.
  absl::StatusOr<std::vector<ExpiringRow>> ExpiringBetween(Micros from, Micros to,
                                                           const ExpiringRow& after,
                                                           int limit) override;
  // Members that earned since `since` or hold a tier, ascending, ids > after.
  absl::StatusOr<std::vector<MemberId>> MembersForTierReview(Micros since, MemberId after,
                                                             int limit) override;

  absl::StatusOr<std::optional<BankRulesRow>> GetBankRules(PartnerId bank) override;
  absl::Status PutBankRules(PartnerId bank, const BankRulesRow& rules, Micros now) override;
  // ALREADY_EXISTS when another partner registered the id.
  absl::Status InsertMerchantId(const std::string& merchant_id, PartnerId partner,
                                Micros now) override;
  absl::StatusOr<std::optional<PartnerId>> MerchantPartner(const std::string& merchant_id) override;
  absl::StatusOr<std::optional<CardLinkRow>> FindCardLink(const std::string& ref) override;
  absl::Status PutCardLink(const CardLinkRow& link, Micros now) override;
  absl::StatusOr<std::vector<std::string>> ActiveCardRefs(MemberId member) override;
  absl::StatusOr<std::vector<std::string>> ActiveCardRefsAfter(MemberId member,
                                                               const std::string& after,
                                                               int limit) override;
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

  // AnalyticsRows (mysql_analytics.cc).
  absl::StatusOr<std::vector<ActivityRow>> MemberActivity(const ActivityQuery& q) override;
  absl::StatusOr<std::vector<AwardRow>> PromotionAwards(int64_t promotion,
                                                        PartnerId partner) override;
  absl::StatusOr<std::vector<JoinerWindowRow>> JoinerWindows(PartnerId partner, Micros from,
                                                             Micros until, Micros window) override;
  absl::StatusOr<std::vector<ConsumptionSumRow>> ConsumptionSums(
      Micros from, Micros until, const std::vector<Micros>& bucket_starts) override;
  absl::StatusOr<int64_t> FlowCellMembers(const FlowCellKey& cell, int64_t limit) override;
  absl::StatusOr<std::vector<FunderLotsRow>> FunderLots(Micros from, Micros until) override;
  absl::StatusOr<std::vector<OutstandingRow>> Outstanding(
      const std::vector<Micros>& bucket_starts) override;
  absl::StatusOr<std::vector<std::pair<MemberId, std::string>>> MemberTiers() override;
  absl::StatusOr<std::optional<PromotionRow>> GetPromotion(int64_t id) override;
  absl::StatusOr<std::optional<ProgramRecord>> Program() override { return GetProgram(); }
  absl::StatusOr<std::vector<SettlementTermsRow>> SettlementTerms() override {
    return ListSettlementTerms();
  }

 private:
  // Runs `body` and converts any sql::SQLException into a status.
  template <typename Fn>
  auto Guard(Fn&& body) -> decltype(body());

  // Prepares (once per connection) a statement. Throws sql::SQLException.
  sql::PreparedStatement* Prepare(const std::string& sql) { return c_->Prepare(sql); }
  // Advances rules_version in this transaction: every write of the program, partners,
  // tiers or promotions calls it (RulesVersion). Throws sql::SQLException.
  void BumpRulesVersion() {
    Prepare("UPDATE rules_version SET version = version + 1 WHERE id = 1")->executeUpdate();
  }
  int64_t LastInsertId();
  // Runs a "SELECT key, SUM(...)" query with the given int64 parameters into a map.
  absl::StatusOr<std::map<int64_t, int64_t>> SumsByKey(const std::string& sql,
                                                       std::initializer_list<int64_t> params);
  // Runs one statement that takes no parameters and returns no rows.
  absl::Status Execute(const std::string& sql);
  // Runs `select` + "(group, group, ...)" + `suffix` over `keys` in chunks, binding each
  // key with `bind(st, first_index, key) -> next index` and passing each row to `row`.
  // Throws sql::SQLException.
  template <typename Key, typename Bind, typename Row>
  void SelectIn(const std::string& select, const std::string& group, const std::vector<Key>& keys,
                Bind&& bind, Row&& row, const std::string& suffix = "");

  // What WriteEvents reads back: the txns rows written, and the members and debts whose
  // tier or outstanding changed from what the transaction first read.
  struct EventSources {
    std::vector<TxnId> txns;
    std::map<MemberId, std::string> tier_before;
    std::set<MemberId> tier_changed;
    std::map<int64_t, Points> debt_before;
    std::set<int64_t> new_debts;
    std::set<int64_t> repaid_debts;
  };
  void NoteMemberRead(const MemberRecord& m);
  void NoteMemberWritten(const MemberRecord& m);
  void NoteDebtWritten(int64_t id, Points outstanding);

  MysqlConnection* c_;
  IdSource* ids_;
  EventSources events_;
  bool retry_ = false;
  bool doomed_ = false;
};

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

// The hub's persistent state behind an interface: MySQL/MariaDB now (mysql_store.h),
// and a seam for fault injection in tests. The ledger decides what to write; the store
// only reads and writes rows, inside one database transaction per request.
#ifndef LOYALTY_HUB_STORE_STORE_H_
#define LOYALTY_HUB_STORE_STORE_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "hub/store/audit.h"
#include "hub/store/records.h"

namespace loyalty {

class AnalyticsRows;  // analytics_rows.h
class BatchRows;      // batch_rows.h
class MemberRows;     // member_rows.h (events and members' own tables)

// A page of a partner's own transactions (PostingRows::ListTxns), newest first by id.
struct TxnQuery {
  PartnerId partner = 0;
  std::optional<MemberId> member;  // nullopt = every member
  TxnId before_id = INT64_MAX;     // the cursor: ids below this
  Micros since = 0;                // posted_at >= since
  Micros until = INT64_MAX;        // posted_at < until
  int limit = 100;
};

// What a partner's request will touch, known before it runs: the member of a card or
// of an earlier transaction of the partner (empty fields: none), and the request's own
// idempotency key.
struct LockPlan {
  std::string card_number;
  std::string second_card_number;  // a bearer card merged into card_number's member
  PartnerId txn_partner = 0;
  std::string txn_id;  // the partner's earlier transaction (an authorization, an earn)
  PartnerId key_partner = 0;
  std::string key;  // the request's own partner_txn_id
  // False when the request never takes points from the member's lots (an earn, an
  // authorization, a void): it needs only the lots that may fall due or are still
  // pending (StoreTxn::LotsDueOrPending), so the load need not read every open lot.
  bool takes_from_lots = true;
  // A bank clearing record: the member of its card reference (a co-branded card link),
  // the record's own clearing id and, for a refund, its purchase's.
  std::string card_ref;
  PartnerId clearing_bank = 0;
  std::string clearing_id;
  std::string original_clearing_id;
  std::string card_month;  // "YYYY-MM" whose monthly cap a purchase counts against
  MemberId member = 0;     // a member by id (the expiry sweep)
};

// The rows a posting reads and writes: members and cards, transactions and the journal,
// lots, consumptions, debts and holds.
class PostingRows {
 public:
  virtual ~PostingRows() = default;

  // Members and cards.
  virtual absl::StatusOr<MemberId> InsertMember(bool anonymous, Micros now) = 0;
  // SELECT ... FOR UPDATE; NOT_FOUND if absent.
  virtual absl::StatusOr<MemberRecord> LockMember(MemberId id) = 0;
  virtual absl::Status UpdateMember(const MemberRecord& member) = 0;
  virtual absl::StatusOr<std::optional<CardRecord>> FindCard(const std::string& number) = 0;
  // Returns ALREADY_EXISTS if the number is taken.
  virtual absl::Status InsertCard(const CardRecord& card, Micros now) = 0;
  virtual absl::Status RepointCards(MemberId from, MemberId to) = 0;

  // Transactions (idempotency records) and the journal.
  virtual absl::StatusOr<std::optional<TxnRecord>> FindTxn(PartnerId partner,
                                                           const std::string& partner_txn_id) = 0;
  virtual absl::StatusOr<std::optional<TxnRecord>> GetTxn(TxnId id) = 0;
  // Returns ABORTED if the idempotency key was inserted concurrently (the caller's
  // retry then finds it).
  virtual absl::StatusOr<TxnId> InsertTxn(const TxnRecord& txn) = 0;
  virtual absl::Status UpdateTxnResult(TxnId id, Points points, Points balance_after,
                                       Points available_after) = 0;
  virtual absl::Status AddTxnReversed(TxnId id, Points points) = 0;
  virtual absl::Status InsertTransfer(const TransferRecord& transfer) = 0;
  // Earn points at `partner` for `member` posted at or after `since`.
  virtual absl::StatusOr<Points> SumEarnedSince(PartnerId partner, MemberId member,
                                                Micros since) = 0;
  // A page of a partner's own transactions (TxnQuery). Indexed by what the optimizer
  // picks from PRIMARY (id), ix_partner_member_kind_time (partner_id, member_id, ...) and
  // ix_posted (posted_at): no form of the query reads the whole table.
  virtual absl::StatusOr<std::vector<TxnRecord>> ListTxns(const TxnQuery& query) = 0;

  // Lots, in consumption order: expires_at, earned_at, id.
  virtual absl::StatusOr<std::vector<LotRecord>> OpenLots(MemberId member) = 0;
  // At least the open lots that expire by `now` or are pending after it (available_at >
  // now), in consumption order; possibly more open lots.
  virtual absl::StatusOr<std::vector<LotRecord>> LotsDueOrPending(MemberId member, Micros now) = 0;
  virtual absl::StatusOr<std::optional<LotRecord>> LotOfEarn(TxnId earn_txn) = 0;
  virtual absl::StatusOr<LotRecord> GetLot(LotId id) = 0;
  virtual absl::StatusOr<LotId> InsertLot(const LotRecord& lot) = 0;
  virtual absl::Status SetLotRemaining(LotId id, Points remaining) = 0;
  virtual absl::Status MoveLots(MemberId from, MemberId to) = 0;
  // Members with a lot past expiry that still has points, at most `limit`.
  virtual absl::StatusOr<std::vector<MemberId>> MembersWithExpiredLots(Micros now, int limit) = 0;

  // Consumptions.
  virtual absl::Status InsertConsumption(const ConsumptionRecord& c) = 0;
  virtual absl::StatusOr<std::vector<ConsumptionRecord>> ConsumptionsOfTxn(TxnId txn) = 0;
  // Points already put back into the consumption `id` by restores.
  virtual absl::StatusOr<Points> RestoredOf(int64_t consumption_id) = 0;

  // Debts, oldest first.
  virtual absl::StatusOr<std::vector<DebtRecord>> OpenDebts(MemberId member) = 0;
  virtual absl::Status InsertDebt(const DebtRecord& debt) = 0;
  virtual absl::Status SetDebtOutstanding(int64_t id, Points outstanding) = 0;
  virtual absl::Status MoveDebts(MemberId from, MemberId to) = 0;

  // Holds. Active means status active and expires_at > now.
  virtual absl::Status InsertHold(const HoldRecord& hold) = 0;
  virtual absl::StatusOr<std::optional<HoldRecord>> HoldOfAuthorization(TxnId auth_txn) = 0;
  virtual absl::Status UpdateHold(int64_t id, const std::string& status, Points points) = 0;
  // Newest first.
  virtual absl::StatusOr<std::vector<HoldRecord>> ActiveHolds(MemberId member, Micros now) = 0;
};

// The program, partners, credentials, the audit log and the earn rules (tiers,
// promotions and the sums they ask for): what administration writes and postings read.
class RulesAdminRows {
 public:
  virtual ~RulesAdminRows() = default;

  // Program and partners.
  virtual absl::StatusOr<std::optional<ProgramRecord>> GetProgram() = 0;
  virtual absl::Status PutProgram(const ProgramRecord& program, Micros now) = 0;
  // Returns ALREADY_EXISTS if another active partner holds the category.
  virtual absl::StatusOr<PartnerId> InsertPartner(const PartnerRecord& partner) = 0;
  virtual absl::StatusOr<std::optional<PartnerRecord>> GetPartner(PartnerId id) = 0;
  virtual absl::StatusOr<std::optional<PartnerRecord>> ActivePartnerInCategory(
      const std::string& category) = 0;
  virtual absl::StatusOr<std::vector<PartnerRecord>> ListPartners() = 0;
  // At most `limit` partners with ids above `after`, ascending.
  virtual absl::StatusOr<std::vector<PartnerRecord>> ListPartnersAfter(PartnerId after,
                                                                       int limit) = 0;
  virtual absl::Status SetPartnerSuspended(PartnerId id) = 0;

  // Credentials, stored as SHA-256 hex of the key.
  virtual absl::Status InsertApiKey(const std::string& key_hash, Role role,
                                    std::optional<PartnerId> partner, Micros now) = 0;
  virtual absl::Status RevokeApiKeysOfPartner(PartnerId partner) = 0;
  virtual absl::StatusOr<std::optional<Principal>> LookupApiKey(const std::string& key_hash) = 0;
  virtual absl::StatusOr<int64_t> CountActiveKeys(Role role) = 0;
  // The audit log (audit.h): `before`/`after` are JSON objects or "" (none).
  virtual absl::Status InsertAudit(Micros at, const std::string& actor, const std::string& action,
                                   const std::string& detail, const std::string& before,
                                   const std::string& after) = 0;
  virtual absl::StatusOr<std::vector<AuditEntry>> ListAudit(const AuditQuery& query) = 0;

  // Earn rules (mysql_rules.cc).
  virtual absl::StatusOr<std::vector<TierRow>> ListTiers() = 0;  // by threshold
  virtual absl::Status ReplaceTiers(const std::vector<TierRow>& tiers) = 0;
  virtual absl::StatusOr<int64_t> InsertPromotion(const PromotionRow& p) = 0;
  // Promotions whose window contains `now` (all promotions when `all`). EndPromotion cuts
  // a window at the moment it ends it, so an ended one still contains earlier moments.
  virtual absl::StatusOr<std::vector<PromotionRow>> ListPromotions(Micros now, bool all) = 0;
  // The same filter, at most `limit` promotions with ids above `after_id`, ascending.
  virtual absl::StatusOr<std::vector<PromotionRow>> ListPromotionsAfter(Micros now, bool all,
                                                                        int64_t after_id,
                                                                        int limit) = 0;
  virtual absl::Status EndPromotion(int64_t id, Micros now) = 0;
  virtual absl::Status InsertPromotionAward(const PromotionAwardRow& a) = 0;
  virtual absl::StatusOr<std::vector<PromotionAwardRow>> AwardsOfEarn(TxnId earn) = 0;
  virtual absl::StatusOr<int64_t> CountAwards(int64_t promotion, MemberId member) = 0;
  // Sum of earn amounts (minor units) of the member, all partners, posted >= since.
  virtual absl::StatusOr<int64_t> SpendSince(MemberId member, Micros since) = 0;
  // Earns of the member at `partner` (0: at any partner) posted >= since.
  virtual absl::StatusOr<int64_t> EarnCountSince(MemberId member, PartnerId partner,
                                                 Micros since) = 0;
  virtual absl::StatusOr<int64_t> DistinctEarnPartnersSince(MemberId member, Micros since) = 0;
  virtual absl::StatusOr<std::vector<TxnRecord>> BonusTxnsOf(TxnId earn) = 0;
  // Members with points whose lots expire in [from, to), by (first expiry, member id),
  // after `after` in that order (after.member_id == 0: from the first).
  virtual absl::StatusOr<std::vector<ExpiringRow>> ExpiringBetween(Micros from, Micros to,
                                                                   const ExpiringRow& after,
                                                                   int limit) = 0;
  // Members that earned since `since` or hold a tier, ascending, ids > after.
  virtual absl::StatusOr<std::vector<MemberId>> MembersForTierReview(Micros since, MemberId after,
                                                                     int limit) = 0;
};

// The bank's rows (mysql_bank.cc): earn rules, merchant ids, card links, clearing records.
class BankRows {
 public:
  virtual ~BankRows() = default;

  // The bank (mysql_bank.cc).
  virtual absl::StatusOr<std::optional<BankRulesRow>> GetBankRules(PartnerId bank) = 0;
  virtual absl::Status PutBankRules(PartnerId bank, const BankRulesRow& rules, Micros now) = 0;
  // ALREADY_EXISTS when another partner registered the id.
  virtual absl::Status InsertMerchantId(const std::string& merchant_id, PartnerId partner,
                                        Micros now) = 0;
  virtual absl::StatusOr<std::optional<PartnerId>> MerchantPartner(
      const std::string& merchant_id) = 0;
  virtual absl::StatusOr<std::optional<CardLinkRow>> FindCardLink(const std::string& ref) = 0;
  virtual absl::Status PutCardLink(const CardLinkRow& link, Micros now) = 0;
  virtual absl::StatusOr<std::vector<std::string>> ActiveCardRefs(MemberId member) = 0;
  // At most `limit` of them above `after` ("" = from the first), ascending.
  virtual absl::StatusOr<std::vector<std::string>> ActiveCardRefsAfter(MemberId member,
                                                                       const std::string& after,
                                                                       int limit) = 0;
  // SELECT ... FOR UPDATE.
  virtual absl::StatusOr<std::optional<ClearingRow>> FindClearing(PartnerId bank,
                                                                  const std::string& id) = 0;
  virtual absl::Status InsertClearing(const ClearingRow& row) = 0;
  virtual absl::Status AddClearingRefunded(PartnerId bank, const std::string& id,
                                           int64_t amount_minor) = 0;
  // Points a card earned in a month: purchases' points minus refunds' reversed points.
  virtual absl::StatusOr<Points> CardPointsInMonth(const std::string& ref,
                                                   const std::string& month_key) = 0;
  virtual absl::StatusOr<std::vector<ClearingRow>> CardClearingsInMonth(
      const std::string& ref, const std::string& month_key) = 0;
};

// What settlement reads and writes (mysql_settlement.cc), and the invariant check.
class SettlementRows {
 public:
  virtual ~SettlementRows() = default;

  // Settlement (mysql_settlement.cc). Periods are [start, end) by posted_at.
  virtual absl::StatusOr<std::optional<SettlementConfigRow>> GetSettlementConfig() = 0;
  virtual absl::Status PutSettlementConfig(const SettlementConfigRow& row, Micros now) = 0;
  virtual absl::StatusOr<std::vector<SettlementTermsRow>> ListSettlementTerms() = 0;
  virtual absl::Status PutSettlementTerms(const SettlementTermsRow& row, Micros now) = 0;
  virtual absl::StatusOr<std::vector<FlowRow>> FlowsBetween(Micros start, Micros end) = 0;
  // Points of lots created in [start, end), by funder.
  virtual absl::StatusOr<std::map<PartnerId, Points>> LotPointsEarnedBetween(Micros start,
                                                                             Micros end) = 0;
  // Points of earn reversals posted in [start, end), by the reversing (= funding) partner.
  virtual absl::StatusOr<std::map<PartnerId, Points>> EarnReversalsBetween(Micros start,
                                                                           Micros end) = 0;
  // Each funder's lots' remaining as of `t`: lot points earned before t minus
  // consumptions posted before t.
  virtual absl::StatusOr<std::map<PartnerId, Points>> FunderRemainingAt(Micros t) = 0;
  virtual absl::StatusOr<std::vector<TxnRecord>> PartnerTxnsBetween(PartnerId partner, Micros start,
                                                                    Micros end) = 0;
  virtual absl::StatusOr<std::optional<SettlementRunRow>> FindSettlementRun(Micros start,
                                                                            Micros end) = 0;
  virtual absl::StatusOr<std::optional<SettlementRunRow>> GetSettlementRun(int64_t id) = 0;
  // Inserts (id == 0) or overwrites a draft run and its lines. REQUIRES: the caller read
  // the run FOR UPDATE in this transaction and saw it is a draft (a final run is left
  // unchanged by the statement's own guard).
  virtual absl::StatusOr<int64_t> SaveSettlementDraft(
      const SettlementRunRow& run, const std::vector<SettlementLineRow>& lines) = 0;
  virtual absl::Status FinalizeSettlementRun(int64_t id, Micros at,
                                             const std::string& document) = 0;
  virtual absl::StatusOr<std::vector<SettlementLineRow>> SettlementLines(int64_t run_id) = 0;

  // Rows that break the ledger's invariants, one line each (empty when sound).
  virtual absl::StatusOr<std::vector<std::string>> FindInvariantViolations(Micros now) = 0;
};

// One open database transaction. Not thread-safe: it belongs to the thread running the
// function given to Store::RunInTransaction. Methods named Lock* take row locks that
// are held until the transaction ends; callers lock members in ascending id order.
// Every method returns a non-OK status on a database error; after one, the
// transaction is rolled back by RunInTransaction. Its methods come in four roles; code
// that needs one role takes that interface.
class StoreTxn : public PostingRows, public RulesAdminRows, public BankRows, public SettlementRows {
 public:
  ~StoreTxn() override = default;
};

// A posting handed to Store::Post: what it locks and reads, known before it runs
// (`plan`: constructing a job needs one), what it does under those locks (`apply`), and
// who hears the outcome (`done`, called exactly once: after the commit, or with the
// error that kept the posting from committing).
struct PostingJob {
  PostingJob(LockPlan plan, std::function<absl::Status(StoreTxn&)> apply,
             std::function<void(absl::Status)> done)
      : plan(std::move(plan)), apply(std::move(apply)), done(std::move(done)) {}

  LockPlan plan;
  std::function<absl::Status(StoreTxn&)> apply;
  std::function<void(absl::Status)> done;
  // Optional. After `apply` failed in a transaction of its own, a read in another
  // transaction that may turn the failure into an answer: a retry that waited behind its
  // own original for the member lock finds the original committed. Its status replaces
  // the failure when it is OK (answer the original) or ALREADY_EXISTS. Group commit reads
  // idempotency keys after it holds the locks, so it never needs one.
  std::function<absl::Status(StoreTxn&)> recheck;
};

// A database. Thread-safe: each call borrows its own connection.
class Store {
 public:
  virtual ~Store() = default;

  // Runs `fn` in one database transaction and commits if it returns OK; rolls back
  // otherwise. Deadlocks, lock wait timeouts and idempotency-key races are retried by
  // running `fn` again from the start (at most a bounded number of times, then
  // ABORTED), so `fn` must not keep state between attempts.
  virtual absl::Status RunInTransaction(const std::function<absl::Status(StoreTxn&)>& fn) = 0;

  // The same, saying what the transaction will touch (StoreTxn::BeginBatch): group
  // commit reads and locks it for a whole batch at once; a plain store ignores it.
  virtual absl::Status RunInTransaction(const std::function<absl::Status(StoreTxn&)>& fn,
                                        const LockPlan& plan) {
    (void)plan;
    return RunInTransaction(fn);
  }

  // Runs `job` and calls job.done with its outcome. A plain store runs it now, in a
  // transaction of its own, on the calling thread (so the call waits for the database);
  // group commit queues it and returns at once (PostReturnsAtOnce), and the committer
  // that commits its batch calls done.
  virtual void Post(PostingJob job) {
    absl::Status s = RunInTransaction(job.apply, job.plan);
    if (!s.ok() && job.recheck) {
      absl::Status again = RunInTransaction(job.recheck);
      if (again.ok() || absl::IsAlreadyExists(again)) s = std::move(again);
    }
    job.done(std::move(s));
  }
  // True when Post never waits for the database (the caller may be a gRPC thread).
  virtual bool PostReturnsAtOnce() const { return false; }

  // Runs `fns` in order, each with the effect of its own transaction (one that fails
  // undoes nothing of the others), and returns each one's status. A plain store runs a
  // transaction each; group commit runs them all in one, a savepoint each.
  // `plans`: one per function (what it reads, as for a posting), or empty.
  virtual std::vector<absl::Status> RunEach(
      const std::vector<std::function<absl::Status(StoreTxn&)>>& fns,
      const std::vector<LockPlan>& plans = {}) {
    (void)plans;
    std::vector<absl::Status> out;
    for (const auto& fn : fns) out.push_back(RunInTransaction(fn));
    return out;
  }

  // Runs `fn` in one database transaction with the row-level access the batch pipeline
  // needs (batch_rows.h), committing if it returns OK and rolling back otherwise.
  // Deadlocks, lock wait timeouts and idempotency-key races run `fn` again from the
  // start, a bounded number of times. UNIMPLEMENTED for a store without it.
  virtual absl::Status RunBatchTransaction(const std::function<absl::Status(BatchRows&)>& fn) {
    (void)fn;
    return absl::UnimplementedError("this store has no batch access");
  }

  // Runs `fn` over one read-only consistent snapshot of the database (the analytics
  // reports), on a connection of its own: never inside a batch of postings, so a long
  // report holds up no commit. Not retried. UNIMPLEMENTED for a store without it.
  virtual absl::Status RunAnalytics(const std::function<absl::Status(AnalyticsRows&)>& fn) {
    (void)fn;
    return absl::UnimplementedError("this store has no analytics access");
  }

  // Runs `fn` in a short transaction of its own on the events table and members' own
  // tables (member_rows.h): the sequencer, the readers, the timed-events job, members'
  // profiles and sessions, claims, the notifier. Retried like RunBatchTransaction.
  // UNIMPLEMENTED for a store without it.
  virtual absl::Status RunEventTransaction(const std::function<absl::Status(MemberRows&)>& fn) {
    (void)fn;
    return absl::UnimplementedError("this store has no events");
  }

  // Applies the migrations not applied yet. Safe to call from several processes.
  virtual absl::Status Migrate() = 0;

  // OK if the database answers.
  virtual absl::Status Ping() = 0;
};

}  // namespace loyalty

#endif  // LOYALTY_HUB_STORE_STORE_H_

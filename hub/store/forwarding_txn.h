// A StoreTxn that passes every call to another one (LevelDB's EnvWrapper idea): the
// base of the batch's working set (working_set.h), which answers the ledger's hot calls
// from memory and passes the rest on, and of the fault-injecting wrapper tests put
// around the database (tests/support/faulty_rows.h).
//
// Each call first asks BeforeCall what it may do, naming the method and how it touches
// the tables the working set keeps unwritten until the end of a batch (members, txns,
// transfers, lots, consumptions, holds):
//   kRead          reads none of them;
//   kReadBuffered  reads one of them (the working set writes its rows out first);
//   kWrite         writes (the working set sets a savepoint for the request first).
// The classification is by method, written out below; it is made from store.h by
// listing each method once (see docs/ledger.md, "Group commit").
//
// Not thread-safe, like every StoreTxn.
#ifndef LOYALTY_HUB_STORE_FORWARDING_TXN_H_
#define LOYALTY_HUB_STORE_FORWARDING_TXN_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hub/common/status_macros.h"
#include "hub/store/store.h"

namespace loyalty {

// How a StoreTxn method touches the tables a batch keeps unwritten.
enum class TxnAccess { kRead, kReadBuffered, kWrite };

// `Interface` is StoreTxn or an interface derived from it (BatchRows); the wrapped
// object is one too, and the StoreTxn methods go to it.
template <typename Interface>
class ForwardingTo : public Interface {
 public:
  using Access = TxnAccess;

  // REQUIRES: `target` outlives this object.
  explicit ForwardingTo(Interface* target) : target_(target) {}
  ForwardingTo(const ForwardingTo&) = delete;
  ForwardingTo& operator=(const ForwardingTo&) = delete;

  Interface* target() const { return target_; }

 protected:
  // Runs before each forwarded call; a non-OK status is returned instead of making it.
  virtual absl::Status BeforeCall(const char* method, Access access) {
    (void)method;
    (void)access;
    return absl::OkStatus();
  }

 public:
  // One forward per StoreTxn method, in store.h's order.
  absl::StatusOr<std::optional<ProgramRecord>> GetProgram() override {
    RETURN_IF_ERROR(BeforeCall("GetProgram", Access::kRead));
    return target_->GetProgram();
  }
  absl::Status PutProgram(const ProgramRecord& program, Micros now) override {
    RETURN_IF_ERROR(BeforeCall("PutProgram", Access::kWrite));
    return target_->PutProgram(program, now);
  }
  absl::StatusOr<PartnerId> InsertPartner(const PartnerRecord& partner) override {
    RETURN_IF_ERROR(BeforeCall("InsertPartner", Access::kWrite));
    return target_->InsertPartner(partner);
  }
  absl::StatusOr<std::optional<PartnerRecord>> GetPartner(PartnerId id) override {
    RETURN_IF_ERROR(BeforeCall("GetPartner", Access::kRead));
    return target_->GetPartner(id);
  }
  absl::StatusOr<std::optional<PartnerRecord>> ActivePartnerInCategory(
      const std::string& category) override {
    RETURN_IF_ERROR(BeforeCall("ActivePartnerInCategory", Access::kRead));
    return target_->ActivePartnerInCategory(category);
  }
  absl::StatusOr<std::vector<PartnerRecord>> ListPartners() override {
    RETURN_IF_ERROR(BeforeCall("ListPartners", Access::kRead));
    return target_->ListPartners();
  }
  absl::StatusOr<std::vector<PartnerRecord>> ListPartnersAfter(PartnerId after,
                                                               int limit) override {
    RETURN_IF_ERROR(BeforeCall("ListPartnersAfter", Access::kRead));
    return target_->ListPartnersAfter(after, limit);
  }
  absl::Status SetPartnerSuspended(PartnerId id) override {
    RETURN_IF_ERROR(BeforeCall("SetPartnerSuspended", Access::kWrite));
    return target_->SetPartnerSuspended(id);
  }
  absl::Status InsertApiKey(const std::string& key_hash, Role role,
                            std::optional<PartnerId> partner, Micros now) override {
    RETURN_IF_ERROR(BeforeCall("InsertApiKey", Access::kWrite));
    return target_->InsertApiKey(key_hash, role, partner, now);
  }
  absl::Status RevokeApiKeysOfPartner(PartnerId partner) override {
    RETURN_IF_ERROR(BeforeCall("RevokeApiKeysOfPartner", Access::kWrite));
    return target_->RevokeApiKeysOfPartner(partner);
  }
  absl::StatusOr<std::optional<Principal>> LookupApiKey(const std::string& key_hash) override {
    RETURN_IF_ERROR(BeforeCall("LookupApiKey", Access::kRead));
    return target_->LookupApiKey(key_hash);
  }
  absl::StatusOr<int64_t> CountActiveKeys(Role role) override {
    RETURN_IF_ERROR(BeforeCall("CountActiveKeys", Access::kRead));
    return target_->CountActiveKeys(role);
  }
  absl::Status InsertAudit(Micros at, const std::string& actor, const std::string& action,
                           const std::string& detail, const std::string& before,
                           const std::string& after) override {
    RETURN_IF_ERROR(BeforeCall("InsertAudit", Access::kWrite));
    return target_->InsertAudit(at, actor, action, detail, before, after);
  }
  absl::StatusOr<std::vector<AuditEntry>> ListAudit(const AuditQuery& query) override {
    RETURN_IF_ERROR(BeforeCall("ListAudit", Access::kReadBuffered));
    return target_->ListAudit(query);
  }
  absl::StatusOr<MemberId> InsertMember(bool anonymous, Micros now) override {
    RETURN_IF_ERROR(BeforeCall("InsertMember", Access::kWrite));
    return target_->InsertMember(anonymous, now);
  }
  absl::StatusOr<MemberRecord> LockMember(MemberId id) override {
    RETURN_IF_ERROR(BeforeCall("LockMember", Access::kReadBuffered));
    return target_->LockMember(id);
  }
  absl::Status UpdateMember(const MemberRecord& member) override {
    RETURN_IF_ERROR(BeforeCall("UpdateMember", Access::kWrite));
    return target_->UpdateMember(member);
  }
  absl::StatusOr<std::optional<CardRecord>> FindCard(const std::string& number) override {
    RETURN_IF_ERROR(BeforeCall("FindCard", Access::kRead));
    return target_->FindCard(number);
  }
  absl::Status InsertCard(const CardRecord& card, Micros now) override {
    RETURN_IF_ERROR(BeforeCall("InsertCard", Access::kWrite));
    return target_->InsertCard(card, now);
  }
  absl::Status RepointCards(MemberId from, MemberId to) override {
    RETURN_IF_ERROR(BeforeCall("RepointCards", Access::kWrite));
    return target_->RepointCards(from, to);
  }
  absl::StatusOr<std::optional<TxnRecord>> FindTxn(PartnerId partner,
                                                   const std::string& partner_txn_id) override {
    RETURN_IF_ERROR(BeforeCall("FindTxn", Access::kReadBuffered));
    return target_->FindTxn(partner, partner_txn_id);
  }
  absl::StatusOr<std::optional<TxnRecord>> GetTxn(TxnId id) override {
    RETURN_IF_ERROR(BeforeCall("GetTxn", Access::kReadBuffered));
    return target_->GetTxn(id);
  }
  absl::StatusOr<TxnId> InsertTxn(const TxnRecord& txn) override {
    RETURN_IF_ERROR(BeforeCall("InsertTxn", Access::kWrite));
    return target_->InsertTxn(txn);
  }
  absl::Status UpdateTxnResult(TxnId id, Points points, Points balance_after,
                               Points available_after) override {
    RETURN_IF_ERROR(BeforeCall("UpdateTxnResult", Access::kWrite));
    return target_->UpdateTxnResult(id, points, balance_after, available_after);
  }
  absl::Status AddTxnReversed(TxnId id, Points points) override {
    RETURN_IF_ERROR(BeforeCall("AddTxnReversed", Access::kWrite));
    return target_->AddTxnReversed(id, points);
  }
  absl::Status InsertTransfer(const TransferRecord& transfer) override {
    RETURN_IF_ERROR(BeforeCall("InsertTransfer", Access::kWrite));
    return target_->InsertTransfer(transfer);
  }
  absl::StatusOr<Points> SumEarnedSince(PartnerId partner, MemberId member, Micros since) override {
    RETURN_IF_ERROR(BeforeCall("SumEarnedSince", Access::kReadBuffered));
    return target_->SumEarnedSince(partner, member, since);
  }
  absl::StatusOr<std::vector<TxnRecord>> ListTxns(const TxnQuery& query) override {
    RETURN_IF_ERROR(BeforeCall("ListTxns", Access::kReadBuffered));
    return target_->ListTxns(query);
  }
  absl::StatusOr<std::vector<LotRecord>> OpenLots(MemberId member) override {
    RETURN_IF_ERROR(BeforeCall("OpenLots", Access::kReadBuffered));
    return target_->OpenLots(member);
  }
  absl::StatusOr<std::vector<LotRecord>> LotsDueOrPending(MemberId member, Micros now) override {
    RETURN_IF_ERROR(BeforeCall("LotsDueOrPending", Access::kReadBuffered));
    return target_->LotsDueOrPending(member, now);
  }
  absl::StatusOr<std::optional<LotRecord>> LotOfEarn(TxnId earn_txn) override {
    RETURN_IF_ERROR(BeforeCall("LotOfEarn", Access::kReadBuffered));
    return target_->LotOfEarn(earn_txn);
  }
  absl::StatusOr<LotRecord> GetLot(LotId id) override {
    RETURN_IF_ERROR(BeforeCall("GetLot", Access::kReadBuffered));
    return target_->GetLot(id);
  }
  absl::StatusOr<LotId> InsertLot(const LotRecord& lot) override {
    RETURN_IF_ERROR(BeforeCall("InsertLot", Access::kWrite));
    return target_->InsertLot(lot);
  }
  absl::Status SetLotRemaining(LotId id, Points remaining) override {
    RETURN_IF_ERROR(BeforeCall("SetLotRemaining", Access::kWrite));
    return target_->SetLotRemaining(id, remaining);
  }
  absl::Status MoveLots(MemberId from, MemberId to) override {
    RETURN_IF_ERROR(BeforeCall("MoveLots", Access::kWrite));
    return target_->MoveLots(from, to);
  }
  absl::StatusOr<std::vector<MemberId>> MembersWithExpiredLots(Micros now, int limit) override {
    RETURN_IF_ERROR(BeforeCall("MembersWithExpiredLots", Access::kReadBuffered));
    return target_->MembersWithExpiredLots(now, limit);
  }
  absl::Status InsertConsumption(const ConsumptionRecord& c) override {
    RETURN_IF_ERROR(BeforeCall("InsertConsumption", Access::kWrite));
    return target_->InsertConsumption(c);
  }
  absl::StatusOr<std::vector<ConsumptionRecord>> ConsumptionsOfTxn(TxnId txn) override {
    RETURN_IF_ERROR(BeforeCall("ConsumptionsOfTxn", Access::kReadBuffered));
    return target_->ConsumptionsOfTxn(txn);
  }
  absl::StatusOr<Points> RestoredOf(int64_t consumption_id) override {
    RETURN_IF_ERROR(BeforeCall("RestoredOf", Access::kReadBuffered));
    return target_->RestoredOf(consumption_id);
  }
  absl::StatusOr<std::vector<DebtRecord>> OpenDebts(MemberId member) override {
    RETURN_IF_ERROR(BeforeCall("OpenDebts", Access::kRead));
    return target_->OpenDebts(member);
  }
  absl::Status InsertDebt(const DebtRecord& debt) override {
    RETURN_IF_ERROR(BeforeCall("InsertDebt", Access::kWrite));
    return target_->InsertDebt(debt);
  }
  absl::Status SetDebtOutstanding(int64_t id, Points outstanding) override {
    RETURN_IF_ERROR(BeforeCall("SetDebtOutstanding", Access::kWrite));
    return target_->SetDebtOutstanding(id, outstanding);
  }
  absl::Status MoveDebts(MemberId from, MemberId to) override {
    RETURN_IF_ERROR(BeforeCall("MoveDebts", Access::kWrite));
    return target_->MoveDebts(from, to);
  }
  absl::Status InsertHold(const HoldRecord& hold) override {
    RETURN_IF_ERROR(BeforeCall("InsertHold", Access::kWrite));
    return target_->InsertHold(hold);
  }
  absl::StatusOr<std::optional<HoldRecord>> HoldOfAuthorization(TxnId auth_txn) override {
    RETURN_IF_ERROR(BeforeCall("HoldOfAuthorization", Access::kReadBuffered));
    return target_->HoldOfAuthorization(auth_txn);
  }
  absl::Status UpdateHold(int64_t id, const std::string& status, Points points) override {
    RETURN_IF_ERROR(BeforeCall("UpdateHold", Access::kWrite));
    return target_->UpdateHold(id, status, points);
  }
  absl::StatusOr<std::vector<HoldRecord>> ActiveHolds(MemberId member, Micros now) override {
    RETURN_IF_ERROR(BeforeCall("ActiveHolds", Access::kReadBuffered));
    return target_->ActiveHolds(member, now);
  }
  absl::StatusOr<std::optional<SettlementConfigRow>> GetSettlementConfig() override {
    RETURN_IF_ERROR(BeforeCall("GetSettlementConfig", Access::kRead));
    return target_->GetSettlementConfig();
  }
  absl::Status PutSettlementConfig(const SettlementConfigRow& row, Micros now) override {
    RETURN_IF_ERROR(BeforeCall("PutSettlementConfig", Access::kWrite));
    return target_->PutSettlementConfig(row, now);
  }
  absl::StatusOr<std::vector<SettlementTermsRow>> ListSettlementTerms() override {
    RETURN_IF_ERROR(BeforeCall("ListSettlementTerms", Access::kRead));
    return target_->ListSettlementTerms();
  }
  absl::Status PutSettlementTerms(const SettlementTermsRow& row, Micros now) override {
    RETURN_IF_ERROR(BeforeCall("PutSettlementTerms", Access::kWrite));
    return target_->PutSettlementTerms(row, now);
  }
  absl::StatusOr<std::vector<FlowRow>> FlowsBetween(Micros start, Micros end) override {
    RETURN_IF_ERROR(BeforeCall("FlowsBetween", Access::kReadBuffered));
    return target_->FlowsBetween(start, end);
  }
  absl::StatusOr<std::map<PartnerId, Points>> LotPointsEarnedBetween(Micros start,
                                                                     Micros end) override {
    RETURN_IF_ERROR(BeforeCall("LotPointsEarnedBetween", Access::kReadBuffered));
    return target_->LotPointsEarnedBetween(start, end);
  }
  absl::StatusOr<std::map<PartnerId, Points>> EarnReversalsBetween(Micros start,
                                                                   Micros end) override {
    RETURN_IF_ERROR(BeforeCall("EarnReversalsBetween", Access::kReadBuffered));
    return target_->EarnReversalsBetween(start, end);
  }
  absl::StatusOr<std::map<PartnerId, Points>> FunderRemainingAt(Micros t) override {
    RETURN_IF_ERROR(BeforeCall("FunderRemainingAt", Access::kReadBuffered));
    return target_->FunderRemainingAt(t);
  }
  absl::StatusOr<std::vector<TxnRecord>> PartnerTxnsBetween(PartnerId partner, Micros start,
                                                            Micros end) override {
    RETURN_IF_ERROR(BeforeCall("PartnerTxnsBetween", Access::kReadBuffered));
    return target_->PartnerTxnsBetween(partner, start, end);
  }
  absl::StatusOr<std::optional<SettlementRunRow>> FindSettlementRun(Micros start,
                                                                    Micros end) override {
    RETURN_IF_ERROR(BeforeCall("FindSettlementRun", Access::kRead));
    return target_->FindSettlementRun(start, end);
  }
  absl::StatusOr<std::optional<SettlementRunRow>> GetSettlementRun(int64_t id) override {
    RETURN_IF_ERROR(BeforeCall("GetSettlementRun", Access::kRead));
    return target_->GetSettlementRun(id);
  }
  absl::StatusOr<int64_t> SaveSettlementDraft(
      const SettlementRunRow& run, const std::vector<SettlementLineRow>& lines) override {
    RETURN_IF_ERROR(BeforeCall("SaveSettlementDraft", Access::kWrite));
    return target_->SaveSettlementDraft(run, lines);
  }
  absl::Status FinalizeSettlementRun(int64_t id, Micros at, const std::string& document) override {
    RETURN_IF_ERROR(BeforeCall("FinalizeSettlementRun", Access::kWrite));
    return target_->FinalizeSettlementRun(id, at, document);
  }
  absl::StatusOr<std::vector<SettlementLineRow>> SettlementLines(int64_t run_id) override {
    RETURN_IF_ERROR(BeforeCall("SettlementLines", Access::kWrite));
    return target_->SettlementLines(run_id);
  }
  absl::StatusOr<std::optional<BankRulesRow>> GetBankRules(PartnerId bank) override {
    RETURN_IF_ERROR(BeforeCall("GetBankRules", Access::kRead));
    return target_->GetBankRules(bank);
  }
  absl::Status PutBankRules(PartnerId bank, const BankRulesRow& rules, Micros now) override {
    RETURN_IF_ERROR(BeforeCall("PutBankRules", Access::kWrite));
    return target_->PutBankRules(bank, rules, now);
  }
  absl::Status InsertMerchantId(const std::string& merchant_id, PartnerId partner,
                                Micros now) override {
    RETURN_IF_ERROR(BeforeCall("InsertMerchantId", Access::kWrite));
    return target_->InsertMerchantId(merchant_id, partner, now);
  }
  absl::StatusOr<std::optional<PartnerId>> MerchantPartner(
      const std::string& merchant_id) override {
    RETURN_IF_ERROR(BeforeCall("MerchantPartner", Access::kRead));
    return target_->MerchantPartner(merchant_id);
  }
  absl::StatusOr<std::optional<CardLinkRow>> FindCardLink(const std::string& ref) override {
    RETURN_IF_ERROR(BeforeCall("FindCardLink", Access::kRead));
    return target_->FindCardLink(ref);
  }
  absl::Status PutCardLink(const CardLinkRow& link, Micros now) override {
    RETURN_IF_ERROR(BeforeCall("PutCardLink", Access::kWrite));
    return target_->PutCardLink(link, now);
  }
  absl::StatusOr<std::vector<std::string>> ActiveCardRefs(MemberId member) override {
    RETURN_IF_ERROR(BeforeCall("ActiveCardRefs", Access::kRead));
    return target_->ActiveCardRefs(member);
  }
  absl::StatusOr<std::vector<std::string>> ActiveCardRefsAfter(MemberId member,
                                                               const std::string& after,
                                                               int limit) override {
    RETURN_IF_ERROR(BeforeCall("ActiveCardRefsAfter", Access::kRead));
    return target_->ActiveCardRefsAfter(member, after, limit);
  }
  absl::StatusOr<std::optional<ClearingRow>> FindClearing(PartnerId bank,
                                                          const std::string& id) override {
    RETURN_IF_ERROR(BeforeCall("FindClearing", Access::kRead));
    return target_->FindClearing(bank, id);
  }
  absl::Status InsertClearing(const ClearingRow& row) override {
    RETURN_IF_ERROR(BeforeCall("InsertClearing", Access::kWrite));
    return target_->InsertClearing(row);
  }
  absl::Status AddClearingRefunded(PartnerId bank, const std::string& id,
                                   int64_t amount_minor) override {
    RETURN_IF_ERROR(BeforeCall("AddClearingRefunded", Access::kWrite));
    return target_->AddClearingRefunded(bank, id, amount_minor);
  }
  absl::StatusOr<Points> CardPointsInMonth(const std::string& ref,
                                           const std::string& month_key) override {
    RETURN_IF_ERROR(BeforeCall("CardPointsInMonth", Access::kRead));
    return target_->CardPointsInMonth(ref, month_key);
  }
  absl::StatusOr<std::vector<ClearingRow>> CardClearingsInMonth(
      const std::string& ref, const std::string& month_key) override {
    RETURN_IF_ERROR(BeforeCall("CardClearingsInMonth", Access::kRead));
    return target_->CardClearingsInMonth(ref, month_key);
  }
  absl::StatusOr<std::vector<TierRow>> ListTiers() override {
    RETURN_IF_ERROR(BeforeCall("ListTiers", Access::kRead));
    return target_->ListTiers();
  }
  absl::Status ReplaceTiers(const std::vector<TierRow>& tiers) override {
    RETURN_IF_ERROR(BeforeCall("ReplaceTiers", Access::kWrite));
    return target_->ReplaceTiers(tiers);
  }
  absl::StatusOr<int64_t> InsertPromotion(const PromotionRow& p) override {
    RETURN_IF_ERROR(BeforeCall("InsertPromotion", Access::kWrite));
    return target_->InsertPromotion(p);
  }
  absl::StatusOr<std::vector<PromotionRow>> ListPromotions(Micros now, bool all) override {
    RETURN_IF_ERROR(BeforeCall("ListPromotions", Access::kRead));
    return target_->ListPromotions(now, all);
  }
  absl::StatusOr<std::vector<PromotionRow>> ListPromotionsAfter(Micros now, bool all,
                                                                int64_t after_id,
                                                                int limit) override {
    RETURN_IF_ERROR(BeforeCall("ListPromotionsAfter", Access::kRead));
    return target_->ListPromotionsAfter(now, all, after_id, limit);
  }
  absl::Status EndPromotion(int64_t id, Micros now) override {
    RETURN_IF_ERROR(BeforeCall("EndPromotion", Access::kWrite));
    return target_->EndPromotion(id, now);
  }
  absl::Status InsertPromotionAward(const PromotionAwardRow& a) override {
    RETURN_IF_ERROR(BeforeCall("InsertPromotionAward", Access::kWrite));
    return target_->InsertPromotionAward(a);
  }
  absl::StatusOr<std::vector<PromotionAwardRow>> AwardsOfEarn(TxnId earn) override {
    RETURN_IF_ERROR(BeforeCall("AwardsOfEarn", Access::kRead));
    return target_->AwardsOfEarn(earn);
  }
  absl::StatusOr<int64_t> CountAwards(int64_t promotion, MemberId member) override {
    RETURN_IF_ERROR(BeforeCall("CountAwards", Access::kRead));
    return target_->CountAwards(promotion, member);
  }
  absl::StatusOr<int64_t> SpendSince(MemberId member, Micros since) override {
    RETURN_IF_ERROR(BeforeCall("SpendSince", Access::kReadBuffered));
    return target_->SpendSince(member, since);
  }
  absl::StatusOr<int64_t> EarnCountSince(MemberId member, PartnerId partner,
                                         Micros since) override {
    RETURN_IF_ERROR(BeforeCall("EarnCountSince", Access::kReadBuffered));
    return target_->EarnCountSince(member, partner, since);
  }
  absl::StatusOr<int64_t> DistinctEarnPartnersSince(MemberId member, Micros since) override {
    RETURN_IF_ERROR(BeforeCall("DistinctEarnPartnersSince", Access::kReadBuffered));
    return target_->DistinctEarnPartnersSince(member, since);
  }
  absl::StatusOr<std::vector<TxnRecord>> BonusTxnsOf(TxnId earn) override {
    RETURN_IF_ERROR(BeforeCall("BonusTxnsOf", Access::kReadBuffered));
    return target_->BonusTxnsOf(earn);
  }
  absl::StatusOr<std::vector<ExpiringRow>> ExpiringBetween(Micros from, Micros to,
                                                           const ExpiringRow& after,
                                                           int limit) override {
    RETURN_IF_ERROR(BeforeCall("ExpiringBetween", Access::kReadBuffered));
    return target_->ExpiringBetween(from, to, after, limit);
  }
  absl::StatusOr<std::vector<MemberId>> MembersForTierReview(Micros since, MemberId after,
                                                             int limit) override {
    RETURN_IF_ERROR(BeforeCall("MembersForTierReview", Access::kReadBuffered));
    return target_->MembersForTierReview(since, after, limit);
  }
  absl::StatusOr<std::vector<std::string>> FindInvariantViolations(Micros now) override {
    RETURN_IF_ERROR(BeforeCall("FindInvariantViolations", Access::kReadBuffered));
    return target_->FindInvariantViolations(now);
  }

 private:
  Interface* const target_;
};

using ForwardingTxn = ForwardingTo<StoreTxn>;

}  // namespace loyalty

#endif  // LOYALTY_HUB_STORE_FORWARDING_TXN_H_

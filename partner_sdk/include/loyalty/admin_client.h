// AdminClient: the operator's calls (register and suspend partners, set the program,
// issue bearer cards, adjust points, run expiry, make keys, the bank's earn rules, tiers,
// promotions, expiring points, PIN unlocks, the audit log). A value type
// over an AdminConnection, like PartnerClient; see admin_connection.h for each call's contract.
// Thread-safe.
#ifndef LOYALTY_PARTNER_SDK_ADMIN_CLIENT_H_
#define LOYALTY_PARTNER_SDK_ADMIN_CLIENT_H_

#include <memory>
#include <string>
#include <vector>

#include "loyalty/admin_connection.h"

namespace loyalty::sdk {

class AdminClient {
 public:
  // REQUIRES: connection != nullptr.
  explicit AdminClient(std::shared_ptr<AdminConnection> connection);

  absl::StatusOr<RegisterPartnerResult> RegisterPartner(const RegisterPartnerParams& p) {
    return conn_->RegisterPartner(p);
  }
  absl::StatusOr<std::vector<Partner>> ListPartners() { return conn_->ListPartners(); }
  absl::StatusOr<PartnerPage> ListPartnersPage(const ListPartnersParams& p = {}) {
    return conn_->ListPartnersPage(p);
  }
  absl::StatusOr<Partner> SuspendPartner(const SuspendPartnerParams& p) {
    return conn_->SuspendPartner(p);
  }
  absl::StatusOr<std::string> RotateApiKey(const RotateApiKeyParams& p) {
    return conn_->RotateApiKey(p);
  }
  absl::StatusOr<Program> SetProgram(const Program& p) { return conn_->SetProgram(p); }
  absl::StatusOr<Program> GetProgram() { return conn_->GetProgram(); }
  absl::StatusOr<std::vector<std::string>> IssueBearerCards(const IssueBearerCardsParams& p) {
    return conn_->IssueBearerCards(p);
  }
  absl::StatusOr<std::string> IssueMemberToken(const std::string& card_number) {
    return conn_->IssueMemberToken(card_number);
  }
  absl::StatusOr<PostingResult> AdjustPoints(const AdjustPointsParams& p) {
    return conn_->AdjustPoints(p);
  }
  absl::StatusOr<ExpiryResult> RunExpiry() { return conn_->RunExpiry(); }
  absl::StatusOr<std::string> CreateOperatorKey(const CreateOperatorKeyParams& p) {
    return conn_->CreateOperatorKey(p);
  }
  absl::StatusOr<BankEarnRules> SetBankEarnRules(const SetBankEarnRulesParams& p) {
    return conn_->SetBankEarnRules(p);
  }
  absl::StatusOr<BankEarnRules> GetBankEarnRules(const GetBankEarnRulesParams& p) {
    return conn_->GetBankEarnRules(p);
  }
  absl::StatusOr<std::vector<Tier>> SetTiers(const SetTiersParams& p) { return conn_->SetTiers(p); }
  absl::StatusOr<std::vector<Tier>> ListTiers() { return conn_->ListTiers(); }
  absl::StatusOr<TierPage> ListTiersPage(const ListTiersParams& p = {}) {
    return conn_->ListTiersPage(p);
  }
  absl::StatusOr<TierReviewResult> RunTierReview() { return conn_->RunTierReview(); }
  absl::StatusOr<Promotion> CreatePromotion(const Promotion& p) {
    return conn_->CreatePromotion(p);
  }
  absl::StatusOr<std::vector<Promotion>> ListPromotions(const ListPromotionsParams& p = {}) {
    return conn_->ListPromotions(p);
  }
  absl::StatusOr<PromotionPage> ListPromotionsPage(const ListPromotionsParams& p = {}) {
    return conn_->ListPromotionsPage(p);
  }
  absl::StatusOr<Promotion> EndPromotion(const EndPromotionParams& p) {
    return conn_->EndPromotion(p);
  }
  absl::StatusOr<std::vector<ExpiringPoints>> ListExpiringPoints(
      const ListExpiringPointsParams& p) {
    return conn_->ListExpiringPoints(p);
  }
  absl::StatusOr<ExpiringPointsPage> ListExpiringPointsPage(const ListExpiringPointsParams& p) {
    return conn_->ListExpiringPointsPage(p);
  }
  absl::Status UnlockMemberPin(const UnlockMemberPinParams& p) { return conn_->UnlockMemberPin(p); }
  absl::StatusOr<AuditLogPage> ListAuditLog(const ListAuditLogParams& p = {}) {
    return conn_->ListAuditLog(p);
  }

 private:
  std::shared_ptr<AdminConnection> conn_;
};

}  // namespace loyalty::sdk

#endif  // LOYALTY_PARTNER_SDK_ADMIN_CLIENT_H_

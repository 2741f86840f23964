// The interface behind AdminClient: one method per AdminService call (operator keys).
// MakeAdminConnection() returns the real one; loyalty/mocks/mock_admin_connection.h a
// mock.
//
// Contract: every call has a deadline and returns the hub's status code unchanged.
// Only calls that are safe to repeat are retried (ListPartners, GetProgram, SetProgram,
// AdjustPoints with its adjustment_id, RunExpiry, Set/GetBankEarnRules, SetTiers, ListTiers,
// RunTierReview, ListPromotions, ListExpiringPoints, UnlockMemberPin, ListAuditLog);
// RegisterPartner, SuspendPartner, RotateApiKey, IssueBearerCards, CreateOperatorKey,
// CreatePromotion and EndPromotion have no idempotency key, so they are tried once and an
// UNAVAILABLE / DEADLINE_EXCEEDED result means "unknown": check with ListPartners /
// ListPromotions before trying again.
//
// Thread-safety: every method may be called from many threads at once.
#ifndef LOYALTY_PARTNER_SDK_ADMIN_CONNECTION_H_
#define LOYALTY_PARTNER_SDK_ADMIN_CONNECTION_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "loyalty/admin_types.h"
#include "loyalty/options.h"

namespace loyalty::sdk {

class AdminConnection {
 public:
  virtual ~AdminConnection() = default;

  virtual absl::StatusOr<RegisterPartnerResult> RegisterPartner(const RegisterPartnerParams& p) = 0;
  // Every partner: all pages of ListPartnersPage.
  virtual absl::StatusOr<std::vector<Partner>> ListPartners() = 0;
  // One page, by partner_id. INVALID_ARGUMENT naming page_size or page_token.
  virtual absl::StatusOr<PartnerPage> ListPartnersPage(const ListPartnersParams& p) = 0;
  virtual absl::StatusOr<Partner> SuspendPartner(const SuspendPartnerParams& p) = 0;
  // Returns the new key; the old one stops working at once.
  virtual absl::StatusOr<std::string> RotateApiKey(const RotateApiKeyParams& p) = 0;
  virtual absl::StatusOr<Program> SetProgram(const Program& p) = 0;
  virtual absl::StatusOr<Program> GetProgram() = 0;
  virtual absl::StatusOr<std::vector<std::string>> IssueBearerCards(
      const IssueBearerCardsParams& p) = 0;
  // A MemberService session token for the card's member (a call centre, a kiosk).
  // Tried once: each call makes a new token.
  virtual absl::StatusOr<std::string> IssueMemberToken(const std::string& card_number) = 0;
  // The result's partner_txn_id is the adjustment_id used.
  virtual absl::StatusOr<PostingResult> AdjustPoints(const AdjustPointsParams& p) = 0;
  virtual absl::StatusOr<ExpiryResult> RunExpiry() = 0;
  // Returns the new key (shown once).
  virtual absl::StatusOr<std::string> CreateOperatorKey(const CreateOperatorKeyParams& p) = 0;
  // Returns the rules as stored. INVALID_ARGUMENT naming the field (rates 0..10000, an
  // MCC twice), NOT_FOUND / FAILED_PRECONDITION when the partner is not an issuer.
  virtual absl::StatusOr<BankEarnRules> SetBankEarnRules(const SetBankEarnRulesParams& p) = 0;
  // NOT_FOUND when the bank has no rules yet.
  virtual absl::StatusOr<BankEarnRules> GetBankEarnRules(const GetBankEarnRulesParams& p) = 0;

  // Earn rules (docs/program-rules.md).
  // Replaces the tier scheme; returns the tiers as stored (by threshold). INVALID_ARGUMENT
  // naming the field (tiers.name twice, tiers.threshold_minor, tiers.multiplier_bp).
  virtual absl::StatusOr<std::vector<Tier>> SetTiers(const SetTiersParams& p) = 0;
  // Every tier: all pages of ListTiersPage.
  virtual absl::StatusOr<std::vector<Tier>> ListTiers() = 0;
  // One page, by threshold. INVALID_ARGUMENT naming page_size or page_token.
  virtual absl::StatusOr<TierPage> ListTiersPage(const ListTiersParams& p) = 0;
  // Re-evaluates the tier of every member who earned in the last year or holds a tier.
  virtual absl::StatusOr<TierReviewResult> RunTierReview() = 0;
  // Returns the promotion with its id (promotion_id and ended of `p` are ignored).
  // INVALID_ARGUMENT naming the promotion.* field; NOT_FOUND for an unknown funder.
  virtual absl::StatusOr<Promotion> CreatePromotion(const Promotion& p) = 0;
  // Active promotions (with include_inactive, all of them), by id: every page from
  // p.page_token on.
  virtual absl::StatusOr<std::vector<Promotion>> ListPromotions(const ListPromotionsParams& p) = 0;
  // One page of them. INVALID_ARGUMENT naming page_size or page_token.
  virtual absl::StatusOr<PromotionPage> ListPromotionsPage(const ListPromotionsParams& p) = 0;
  // Ends a promotion now; NOT_FOUND promotion_id for an unknown one.
  virtual absl::StatusOr<Promotion> EndPromotion(const EndPromotionParams& p) = 0;
  // Members with points expiring in the next within_days days: one page (the first
  // `limit` or page_size members). INVALID_ARGUMENT within_days outside 1..366.
  virtual absl::StatusOr<std::vector<ExpiringPoints>> ListExpiringPoints(
      const ListExpiringPointsParams& p) = 0;
  // The same page with its next_page_token.
  virtual absl::StatusOr<ExpiringPointsPage> ListExpiringPointsPage(
      const ListExpiringPointsParams& p) = 0;
  // Clears a member's PIN lock (after 3 wrong PINs). NOT_FOUND for an unknown card.
  virtual absl::Status UnlockMemberPin(const UnlockMemberPinParams& p) = 0;
  // One page of the audit log, newest first (admin keys only; a finance key gets
  // PERMISSION_DENIED). INVALID_ARGUMENT naming page_size or page_token.
  virtual absl::StatusOr<AuditLogPage> ListAuditLog(const ListAuditLogParams& p) = 0;
};

// Makes the gRPC connection; errors as MakePartnerConnection(). The offline queue
// options are ignored: admin calls are never queued.
absl::StatusOr<std::shared_ptr<AdminConnection>> MakeAdminConnection(Options options);

}  // namespace loyalty::sdk

#endif  // LOYALTY_PARTNER_SDK_ADMIN_CONNECTION_H_

// A gMock of AdminConnection for unit tests of operator tooling (see
// mock_partner_connection.h for how to use it).
#ifndef LOYALTY_PARTNER_SDK_MOCKS_MOCK_ADMIN_CONNECTION_H_
#define LOYALTY_PARTNER_SDK_MOCKS_MOCK_ADMIN_CONNECTION_H_

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "loyalty/admin_connection.h"

namespace loyalty::sdk::mocks {

class MockAdminConnection : public AdminConnection {
 public:
  MOCK_METHOD(absl::StatusOr<RegisterPartnerResult>, RegisterPartner,
              (const RegisterPartnerParams&), (override));
  MOCK_METHOD(absl::StatusOr<std::vector<Partner>>, ListPartners, (), (override));
  MOCK_METHOD(absl::StatusOr<PartnerPage>, ListPartnersPage, (const ListPartnersParams&),
              (override));
  MOCK_METHOD(absl::StatusOr<Partner>, SuspendPartner, (const SuspendPartnerParams&), (override));
  MOCK_METHOD(absl::StatusOr<std::string>, RotateApiKey, (const RotateApiKeyParams&), (override));
  MOCK_METHOD(absl::StatusOr<Program>, SetProgram, (const Program&), (override));
  MOCK_METHOD(absl::StatusOr<Program>, GetProgram, (), (override));
  MOCK_METHOD(absl::StatusOr<std::vector<std::string>>, IssueBearerCards,
              (const IssueBearerCardsParams&), (override));
  MOCK_METHOD(absl::StatusOr<std::string>, IssueMemberToken, (const std::string&), (override));
  MOCK_METHOD(absl::StatusOr<PostingResult>, AdjustPoints, (const AdjustPointsParams&), (override));
  MOCK_METHOD(absl::StatusOr<ExpiryResult>, RunExpiry, (), (override));
  MOCK_METHOD(absl::StatusOr<std::string>, CreateOperatorKey, (const CreateOperatorKeyParams&),
              (override));
  MOCK_METHOD(absl::StatusOr<BankEarnRules>, SetBankEarnRules, (const SetBankEarnRulesParams&),
              (override));
  MOCK_METHOD(absl::StatusOr<BankEarnRules>, GetBankEarnRules, (const GetBankEarnRulesParams&),
              (override));
  MOCK_METHOD(absl::StatusOr<std::vector<Tier>>, SetTiers, (const SetTiersParams&), (override));
  MOCK_METHOD(absl::StatusOr<std::vector<Tier>>, ListTiers, (), (override));
  MOCK_METHOD(absl::StatusOr<TierPage>, ListTiersPage, (const ListTiersParams&), (override));
  MOCK_METHOD(absl::StatusOr<TierReviewResult>, RunTierReview, (), (override));
  MOCK_METHOD(absl::StatusOr<Promotion>, CreatePromotion, (const Promotion&), (override));
  MOCK_METHOD(absl::StatusOr<std::vector<Promotion>>, ListPromotions, (const ListPromotionsParams&),
              (override));
  MOCK_METHOD(absl::StatusOr<PromotionPage>, ListPromotionsPage, (const ListPromotionsParams&),
              (override));
  MOCK_METHOD(absl::StatusOr<Promotion>, EndPromotion, (const EndPromotionParams&), (override));
  MOCK_METHOD(absl::StatusOr<std::vector<ExpiringPoints>>, ListExpiringPoints,
              (const ListExpiringPointsParams&), (override));
  MOCK_METHOD(absl::StatusOr<ExpiringPointsPage>, ListExpiringPointsPage,
              (const ListExpiringPointsParams&), (override));
  MOCK_METHOD(absl::Status, UnlockMemberPin, (const UnlockMemberPinParams&), (override));
  MOCK_METHOD(absl::StatusOr<AuditLogPage>, ListAuditLog, (const ListAuditLogParams&),
              (override));
};

}  // namespace loyalty::sdk::mocks

#endif  // LOYALTY_PARTNER_SDK_MOCKS_MOCK_ADMIN_CONNECTION_H_

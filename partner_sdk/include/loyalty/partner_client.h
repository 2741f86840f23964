// PartnerClient: what a partner's till calls to enroll members, earn and burn points.
//
//   auto conn = loyalty::sdk::MakePartnerConnection(options);
//   if (!conn.ok()) ...;
//   loyalty::sdk::PartnerClient client(*conn);
//   loyalty::sdk::EarnParams sale;
//   sale.card_number = card;
//   sale.amount = {5000, "EUR"};  // 50.00 EUR
//   auto earned = client.Earn(sale);  // earned->posting.partner_txn_id: log it
//
// A value type: cheap to copy, and copies share one connection (one gRPC channel). All
// behaviour (deadlines, retries, offline queue) is the connection's; see
// partner_connection.h for the contract of each call. Thread-safe.
#ifndef LOYALTY_PARTNER_SDK_PARTNER_CLIENT_H_
#define LOYALTY_PARTNER_SDK_PARTNER_CLIENT_H_

#include <memory>
#include <utility>
#include <vector>

#include "loyalty/partner_connection.h"

namespace loyalty::sdk {

class PartnerClient {
 public:
  // REQUIRES: connection != nullptr.
  explicit PartnerClient(std::shared_ptr<PartnerConnection> connection);

  absl::StatusOr<EnrollMemberResult> EnrollMember(const EnrollMemberParams& p = {}) {
    return conn_->EnrollMember(p);
  }
  absl::StatusOr<LinkCardResult> LinkCard(const LinkCardParams& p) { return conn_->LinkCard(p); }
  absl::StatusOr<PostingResult> RegisterBearerCard(const RegisterBearerCardParams& p) {
    return conn_->RegisterBearerCard(p);
  }
  absl::StatusOr<Balance> GetBalance(const GetBalanceParams& p) { return conn_->GetBalance(p); }
  absl::StatusOr<QuoteEarnResult> QuoteEarn(const QuoteEarnParams& p) {
    return conn_->QuoteEarn(p);
  }
  absl::StatusOr<EarnResult> Earn(const EarnParams& p) { return conn_->Earn(p); }
  absl::StatusOr<PostingResult> Redeem(const RedeemParams& p) { return conn_->Redeem(p); }
  absl::StatusOr<AuthorizeRedemptionResult> AuthorizeRedemption(
      const AuthorizeRedemptionParams& p) {
    return conn_->AuthorizeRedemption(p);
  }
  absl::StatusOr<PostingResult> CaptureRedemption(const CaptureRedemptionParams& p) {
    return conn_->CaptureRedemption(p);
  }
  absl::StatusOr<PostingResult> VoidRedemption(const VoidRedemptionParams& p) {
    return conn_->VoidRedemption(p);
  }
  absl::StatusOr<ReverseResult> Reverse(const ReverseParams& p) { return conn_->Reverse(p); }
  absl::StatusOr<TransactionPage> ListTransactions(const ListTransactionsParams& p = {}) {
    return conn_->ListTransactions(p);
  }
  absl::StatusOr<RegisterMerchantIdResult> RegisterMerchantId(const RegisterMerchantIdParams& p) {
    return conn_->RegisterMerchantId(p);
  }
  absl::Status SetMemberPin(const SetMemberPinParams& p) { return conn_->SetMemberPin(p); }
  absl::StatusOr<ProgramRules> GetProgramRules(const GetProgramRulesParams& p = {}) {
    return conn_->GetProgramRules(p);
  }

  // Offline queue (see partner_connection.h).
  absl::StatusOr<DrainResult> Drain() { return conn_->DrainOfflineQueue(); }
  absl::StatusOr<int64_t> QueuedEarns() { return conn_->QueuedEarns(); }
  absl::StatusOr<std::vector<FailedEarn>> FailedEarns() { return conn_->FailedEarns(); }

 private:
  std::shared_ptr<PartnerConnection> conn_;
};

}  // namespace loyalty::sdk

#endif  // LOYALTY_PARTNER_SDK_PARTNER_CLIENT_H_

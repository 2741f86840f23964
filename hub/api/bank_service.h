// BankService: the card-issuing bank's API (issuer keys only), translated to BankLedger
// calls. Card PANs are replaced by a keyed hash here, before anything else sees them.
#ifndef LOYALTY_HUB_API_BANK_SERVICE_H_
#define LOYALTY_HUB_API_BANK_SERVICE_H_

#include "hub/api/serve.h"
#include "loyalty/v1/bank.grpc.pb.h"

namespace loyalty {

// The card reference a CardRef names: its token, or "h:" + HMAC-SHA-256(key, PAN).
// INVALID_ARGUMENT naming `field` for a malformed token or PAN (never echoing the PAN);
// FAILED_PRECONDITION for a PAN when the hub has no key configured.
absl::StatusOr<std::string> CardRefFrom(const v1::CardRef& card, const std::string& key,
                                        const char* field);

class BankServiceImpl final : public v1::BankService::CallbackService {
 public:
  explicit BankServiceImpl(ServiceEnv env) : env_(std::move(env)) {}

  grpc::ServerUnaryReactor* LinkCoBrandedCard(grpc::CallbackServerContext* ctx,
                                              const v1::LinkCoBrandedCardRequest* req,
                                              v1::LinkCoBrandedCardResponse* resp) override;
  grpc::ServerUnaryReactor* UnlinkCoBrandedCard(grpc::CallbackServerContext* ctx,
                                                const v1::UnlinkCoBrandedCardRequest* req,
                                                v1::UnlinkCoBrandedCardResponse* resp) override;
  grpc::ServerUnaryReactor* ListCoBrandedCards(grpc::CallbackServerContext* ctx,
                                               const v1::ListCoBrandedCardsRequest* req,
                                               v1::ListCoBrandedCardsResponse* resp) override;
  grpc::ServerBidiReactor<v1::ClearingRecord, v1::ClearingResult>* SubmitCardTransactions(
      grpc::CallbackServerContext* ctx) override;
  grpc::ServerUnaryReactor* GetCardStatement(grpc::CallbackServerContext* ctx,
                                             const v1::GetCardStatementRequest* req,
                                             v1::CardStatement* resp) override;

 private:
  template <typename Handler>
  grpc::ServerUnaryReactor* Serve(grpc::CallbackServerContext* ctx, const char* method,
                                  Handler handler) {
    return ServeUnary(ctx, env_, method, {Role::kIssuer}, std::move(handler));
  }

  const ServiceEnv env_;
};

}  // namespace loyalty

#endif  // LOYALTY_HUB_API_BANK_SERVICE_H_

// Proto <-> plain SDK types. The only file of the SDK that knows both.
#ifndef LOYALTY_PARTNER_SDK_SRC_CONVERT_H_
#define LOYALTY_PARTNER_SDK_SRC_CONVERT_H_

#include <string>

#include "loyalty/admin_types.h"
#include "loyalty/bank_types.h"
#include "loyalty/partner_types.h"
#include "loyalty/v1/admin.pb.h"
#include "loyalty/v1/bank.pb.h"
#include "loyalty/v1/partner.pb.h"

namespace loyalty::sdk::internal {

v1::Money ToProto(const Money& m);
Money FromProto(const v1::Money& m);
PostingResult FromProto(const v1::PostingResult& r, const std::string& partner_txn_id);
Balance FromProto(const v1::Balance& b);
EarnBreakdown FromProto(const v1::EarnBreakdown& b);
Transaction FromProto(const v1::Transaction& t);

v1::Role ToProto(Role r);
Role FromProto(v1::Role r);
v1::PartnerLimits ToProto(const PartnerLimits& l);
Partner FromProto(const v1::Partner& p);
v1::Program ToProto(const Program& p);
Program FromProto(const v1::Program& p);
v1::Tier ToProto(const Tier& t);
Tier FromProto(const v1::Tier& t);
v1::Promotion ToProto(const Promotion& p);
Promotion FromProto(const v1::Promotion& p);

v1::EarnRequest ToProto(const EarnParams& p);
v1::RedeemRequest ToRedeemProto(const RedeemParams& p);
v1::AuthorizeRedemptionRequest ToAuthorizeProto(const RedeemParams& p);
v1::CaptureRedemptionRequest ToProto(const CaptureRedemptionParams& p);
v1::ReverseRequest ToProto(const ReverseParams& p);

v1::BankEarnRules ToProto(const BankEarnRules& r);
BankEarnRules FromProto(const v1::BankEarnRules& r);
// REQUIRES: exactly one of card.token and card.pan is set (CheckCardRef).
v1::CardRef ToProto(const CardRef& c);
// INVALID_ARGUMENT naming `field` unless exactly one of token and pan is set.
absl::Status CheckCardRef(const char* field, const CardRef& c);
void ToProto(const ClearingRecord& r, v1::ClearingRecord* out);
ClearingResult FromProto(const v1::ClearingResult& r);
CardStatement FromProto(const v1::CardStatement& s);

}  // namespace loyalty::sdk::internal

#endif  // LOYALTY_PARTNER_SDK_SRC_CONVERT_H_

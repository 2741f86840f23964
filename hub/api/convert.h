// Proto <-> domain conversions of the public API. The only place where wire types and
// ledger types meet.
#ifndef LOYALTY_HUB_API_CONVERT_H_
#define LOYALTY_HUB_API_CONVERT_H_

#include "absl/status/statusor.h"
#include "hub/ledger/ledger.h"
#include "loyalty/v1/admin.pb.h"
#include "loyalty/v1/partner.pb.h"

namespace loyalty {

void ToProto(const Posting& p, v1::PostingResult* out);
void ToProto(const PartnerRecord& p, v1::Partner* out);
void ToProto(const ProgramRecord& p, v1::Program* out);
ProgramRecord FromProto(const v1::Program& p);
void ToProto(const Posting& p, v1::EarnBreakdown* out);
absl::StatusOr<PromotionRow> FromProto(const v1::Promotion& p);
void ToProto(const PromotionRow& r, v1::Promotion* p);
void ToProto(const TierRow& t, v1::Tier* out);
void ToProto(const BalanceView& b, v1::Balance* out);
void ToProto(const TxnRecord& t, v1::Transaction* out);

v1::Role ToProto(Role role);
// INVALID_ARGUMENT naming `field` for ROLE_UNSPECIFIED or an unknown value.
absl::StatusOr<Role> FromProto(v1::Role role, const char* field);

PartnerRequest ToPartnerRequest(const Principal& caller, const std::string& partner_txn_id,
                                int64_t occurred_at_micros);

}  // namespace loyalty

#endif  // LOYALTY_HUB_API_CONVERT_H_

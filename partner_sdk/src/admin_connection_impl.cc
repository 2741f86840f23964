// The real AdminConnection: gRPC to the hub's AdminService.
#include <cassert>
#include <memory>
#include <utility>

#include "call_runner.h"
#include "convert.h"
#include "hub/common/status_macros.h"
#include "loyalty/admin_client.h"
#include "loyalty/admin_connection.h"
#include "loyalty/v1/admin.grpc.pb.h"
#include "pages.h"
#include "uuid.h"

namespace loyalty::sdk::internal {
namespace {

// Whether a call may be repeated: only when repeating it cannot do a second thing.
constexpr bool kRetry = true;
constexpr bool kOnce = false;

class AdminConnectionImpl : public AdminConnection {
 public:
  AdminConnectionImpl(Options options, const std::shared_ptr<grpc::Channel>& channel)
      : runner_(std::move(options), channel), stub_(v1::AdminService::NewStub(channel)) {}

  absl::StatusOr<RegisterPartnerResult> RegisterPartner(const RegisterPartnerParams& p) override {
    v1::RegisterPartnerRequest req;
    req.set_name(p.name);
    req.set_category(p.category);
    req.set_role(ToProto(p.role));
    req.set_earn_rate_bp(p.earn_rate_bp);
    *req.mutable_limits() = ToProto(p.limits);
    req.set_return_window_days(p.return_window_days);
    ASSIGN_OR_RETURN(v1::RegisterPartnerResponse r,
                     Call("RegisterPartner", &Stub::RegisterPartner, req, kOnce));
    return RegisterPartnerResult{FromProto(r.partner()), r.api_key()};
  }

  absl::StatusOr<std::vector<Partner>> ListPartners() override {
    return AllPages<Partner>(
        "",
        [this](const std::string& token, std::vector<Partner>* out) -> absl::StatusOr<std::string> {
          ASSIGN_OR_RETURN(PartnerPage page, ListPartnersPage({kWholeListPageSize, token}));
          for (Partner& p : page.partners) out->push_back(std::move(p));
          return page.next_page_token;
        });
  }

  absl::StatusOr<PartnerPage> ListPartnersPage(const ListPartnersParams& p) override {
    v1::ListPartnersRequest req;
    req.set_page_size(p.page_size);
    req.set_page_token(p.page_token);
    ASSIGN_OR_RETURN(v1::ListPartnersResponse r,
                     Call("ListPartners", &Stub::ListPartners, req, kRetry));
    PartnerPage page;
    for (const v1::Partner& partner : r.partners()) page.partners.push_back(FromProto(partner));
    page.next_page_token = r.next_page_token();
    return page;
  }

  absl::StatusOr<Partner> SuspendPartner(const SuspendPartnerParams& p) override {
    v1::SuspendPartnerRequest req;
    req.set_partner_id(p.partner_id);
    req.set_reason(p.reason);
    ASSIGN_OR_RETURN(v1::SuspendPartnerResponse r,
                     Call("SuspendPartner", &Stub::SuspendPartner, req, kOnce));
    return FromProto(r.partner());
  }

  absl::StatusOr<std::string> RotateApiKey(const RotateApiKeyParams& p) override {
    v1::RotateApiKeyRequest req;
    req.set_partner_id(p.partner_id);
    ASSIGN_OR_RETURN(v1::RotateApiKeyResponse r,
                     Call("RotateApiKey", &Stub::RotateApiKey, req, kOnce));
    return r.api_key();
  }

  absl::StatusOr<Program> SetProgram(const Program& p) override {
    v1::SetProgramRequest req;
    *req.mutable_program() = ToProto(p);
    ASSIGN_OR_RETURN(v1::SetProgramResponse r, Call("SetProgram", &Stub::SetProgram, req, kRetry));
    return FromProto(r.program());
  }

  absl::StatusOr<Program> GetProgram() override {
    ASSIGN_OR_RETURN(v1::Program r,
                     Call("GetProgram", &Stub::GetProgram, v1::GetProgramRequest(), kRetry));
    return FromProto(r);
  }

  absl::StatusOr<std::vector<std::string>> IssueBearerCards(
      const IssueBearerCardsParams& p) override {
    v1::IssueBearerCardsRequest req;
    req.set_count(p.count);
    ASSIGN_OR_RETURN(v1::IssueBearerCardsResponse r,
                     Call("IssueBearerCards", &Stub::IssueBearerCards, req, kOnce));
    return std::vector<std::string>(r.card_numbers().begin(), r.card_numbers().end());
  }

  absl::StatusOr<std::string> IssueMemberToken(const std::string& card_number) override {
    v1::IssueMemberTokenRequest req;
    req.set_card_number(card_number);
    ASSIGN_OR_RETURN(v1::IssueMemberTokenResponse r,
                     Call("IssueMemberToken", &Stub::IssueMemberToken, req, kOnce));
    return r.session_token();
  }

  absl::StatusOr<PostingResult> AdjustPoints(const AdjustPointsParams& p) override {
    v1::AdjustPointsRequest req;
    req.set_adjustment_id(p.adjustment_id.empty() ? NewUuidV4() : p.adjustment_id);
    req.set_card_number(p.card_number);
    req.set_points(p.points);
    req.set_reason(p.reason);
    ASSIGN_OR_RETURN(v1::AdjustPointsResponse r,
                     Call("AdjustPoints", &Stub::AdjustPoints, req, kRetry, req.adjustment_id()));
    return FromProto(r.result(), req.adjustment_id());
  }

  absl::StatusOr<ExpiryResult> RunExpiry() override {
    ASSIGN_OR_RETURN(v1::RunExpiryResponse r,
                     Call("RunExpiry", &Stub::RunExpiry, v1::RunExpiryRequest(), kRetry));
    return ExpiryResult{r.lots_expired(), r.points_expired()};
  }

  absl::StatusOr<std::string> CreateOperatorKey(const CreateOperatorKeyParams& p) override {
    v1::CreateOperatorKeyRequest req;
    req.set_role(ToProto(p.role));
    ASSIGN_OR_RETURN(v1::CreateOperatorKeyResponse r,
                     Call("CreateOperatorKey", &Stub::CreateOperatorKey, req, kOnce));
    return r.api_key();
  }

  absl::StatusOr<BankEarnRules> SetBankEarnRules(const SetBankEarnRulesParams& p) override {
    v1::SetBankEarnRulesRequest req;
    req.set_bank_partner_id(p.bank_partner_id);
    *req.mutable_rules() = ToProto(p.rules);
    ASSIGN_OR_RETURN(v1::SetBankEarnRulesResponse r,
                     Call("SetBankEarnRules", &Stub::SetBankEarnRules, req, kRetry));
    return FromProto(r.rules());
  }

  absl::StatusOr<BankEarnRules> GetBankEarnRules(const GetBankEarnRulesParams& p) override {
    v1::GetBankEarnRulesRequest req;
    req.set_bank_partner_id(p.bank_partner_id);
    ASSIGN_OR_RETURN(v1::BankEarnRules r,
                     Call("GetBankEarnRules", &Stub::GetBankEarnRules, req, kRetry));
    return FromProto(r);
  }

  absl::StatusOr<std::vector<Tier>> SetTiers(const SetTiersParams& p) override {
    v1::SetTiersRequest req;
    for (const Tier& t : p.tiers) *req.add_tiers() = ToProto(t);
    ASSIGN_OR_RETURN(v1::SetTiersResponse r, Call("SetTiers", &Stub::SetTiers, req, kRetry));
    return Tiers(r);
  }

  absl::StatusOr<std::vector<Tier>> ListTiers() override {
    return AllPages<Tier>(
        "",
        [this](const std::string& token, std::vector<Tier>* out) -> absl::StatusOr<std::string> {
          ASSIGN_OR_RETURN(TierPage page, ListTiersPage({kWholeListPageSize, token}));
          for (Tier& t : page.tiers) out->push_back(std::move(t));
          return page.next_page_token;
        });
  }

  absl::StatusOr<TierPage> ListTiersPage(const ListTiersParams& p) override {
    v1::ListTiersRequest req;
    req.set_page_size(p.page_size);
    req.set_page_token(p.page_token);
    ASSIGN_OR_RETURN(v1::ListTiersResponse r, Call("ListTiers", &Stub::ListTiers, req, kRetry));
    TierPage page;
    for (const v1::Tier& t : r.tiers()) page.tiers.push_back(FromProto(t));
    page.next_page_token = r.next_page_token();
    return page;
  }

  absl::StatusOr<TierReviewResult> RunTierReview() override {
    ASSIGN_OR_RETURN(v1::RunTierReviewResponse r, Call("RunTierReview", &Stub::RunTierReview,
                                                       v1::RunTierReviewRequest(), kRetry));
    return TierReviewResult{r.members_reviewed(), r.members_changed()};
  }

  absl::StatusOr<Promotion> CreatePromotion(const Promotion& p) override {
    v1::CreatePromotionRequest req;
    *req.mutable_promotion() = ToProto(p);
    ASSIGN_OR_RETURN(v1::Promotion r, Call("CreatePromotion", &Stub::CreatePromotion, req, kOnce));
    return FromProto(r);
  }

  absl::StatusOr<std::vector<Promotion>> ListPromotions(const ListPromotionsParams& p) override {
    ListPromotionsParams each = p;
    if (each.page_size == 0) each.page_size = kWholeListPageSize;
    return AllPages<Promotion>(
        p.page_token,
        [&](const std::string& token, std::vector<Promotion>* out) -> absl::StatusOr<std::string> {
          each.page_token = token;
          ASSIGN_OR_RETURN(PromotionPage page, ListPromotionsPage(each));
          for (Promotion& promo : page.promotions) out->push_back(std::move(promo));
          return page.next_page_token;
        });
  }

  absl::StatusOr<PromotionPage> ListPromotionsPage(const ListPromotionsParams& p) override {
    v1::ListPromotionsRequest req;
    req.set_include_inactive(p.include_inactive);
    req.set_page_size(p.page_size);
    req.set_page_token(p.page_token);
    ASSIGN_OR_RETURN(v1::ListPromotionsResponse r,
                     Call("ListPromotions", &Stub::ListPromotions, req, kRetry));
    PromotionPage page;
    for (const v1::Promotion& promo : r.promotions()) page.promotions.push_back(FromProto(promo));
    page.next_page_token = r.next_page_token();
    return page;
  }

  // Tried once: ending an already ended promotion again fails NOT_FOUND.
  absl::StatusOr<Promotion> EndPromotion(const EndPromotionParams& p) override {
    v1::EndPromotionRequest req;
    req.set_promotion_id(p.promotion_id);
    ASSIGN_OR_RETURN(v1::Promotion r, Call("EndPromotion", &Stub::EndPromotion, req, kOnce));
    return FromProto(r);
  }

  absl::StatusOr<std::vector<ExpiringPoints>> ListExpiringPoints(
      const ListExpiringPointsParams& p) override {
    ASSIGN_OR_RETURN(ExpiringPointsPage page, ListExpiringPointsPage(p));
    return std::move(page.members);
  }

  absl::StatusOr<ExpiringPointsPage> ListExpiringPointsPage(
      const ListExpiringPointsParams& p) override {
    v1::ListExpiringPointsRequest req;
    req.set_within_days(p.within_days);
    req.set_limit(p.limit);
    req.set_page_size(p.page_size);
    req.set_page_token(p.page_token);
    ASSIGN_OR_RETURN(v1::ListExpiringPointsResponse r,
                     Call("ListExpiringPoints", &Stub::ListExpiringPoints, req, kRetry));
    ExpiringPointsPage page;
    for (const v1::ExpiringPoints& e : r.members()) {
      page.members.push_back(ExpiringPoints{e.member_id(), e.points(), e.first_expiry_at_micros()});
    }
    page.next_page_token = r.next_page_token();
    return page;
  }

  absl::Status UnlockMemberPin(const UnlockMemberPinParams& p) override {
    v1::UnlockMemberPinRequest req;
    req.set_card_number(p.card_number);
    return Call("UnlockMemberPin", &Stub::UnlockMemberPin, req, kRetry).status();
  }

  absl::StatusOr<AuditLogPage> ListAuditLog(const ListAuditLogParams& p) override {
    v1::ListAuditLogRequest req;
    req.set_from_micros(p.from_micros);
    req.set_to_micros(p.to_micros);
    req.set_actor(p.actor);
    req.set_action(p.action);
    req.set_page_size(p.page_size);
    req.set_page_token(p.page_token);
    ASSIGN_OR_RETURN(v1::ListAuditLogResponse r,
                     Call("ListAuditLog", &Stub::ListAuditLog, req, kRetry));
    AuditLogPage page;
    for (const v1::AuditEntry& e : r.entries()) {
      page.entries.push_back(AuditEntry{e.id(), e.at_micros(), e.actor(), e.action(), e.detail(),
                                        e.before_json(), e.after_json()});
    }
    page.next_page_token = r.next_page_token();
    return page;
  }

 private:
  static std::vector<Tier> Tiers(const v1::SetTiersResponse& r) {
    std::vector<Tier> out;
    for (const v1::Tier& t : r.tiers()) out.push_back(FromProto(t));
    return out;
  }

  using Stub = v1::AdminService::Stub;
  template <typename Req, typename Resp>
  using Method = grpc::Status (Stub::*)(grpc::ClientContext*, const Req&, Resp*);

  template <typename Req, typename Resp>
  absl::StatusOr<Resp> Call(const char* name, Method<Req, Resp> method, const Req& req,
                            bool retryable, const std::string& id = "") {
    return runner_.Unary(CallSpec{name, id, retryable}, stub_.get(), method, req);
  }

  const CallRunner runner_;
  const std::unique_ptr<Stub> stub_;
};

}  // namespace
}  // namespace loyalty::sdk::internal

namespace loyalty::sdk {

absl::StatusOr<std::shared_ptr<AdminConnection>> MakeAdminConnection(Options options) {
  RETURN_IF_ERROR(internal::ValidateOptions(options));
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel, internal::MakeChannel(options));
  return std::shared_ptr<AdminConnection>(
      new internal::AdminConnectionImpl(std::move(options), channel));
}

AdminClient::AdminClient(std::shared_ptr<AdminConnection> connection)
    : conn_(std::move(connection)) {
  assert(conn_ != nullptr);
}

}  // namespace loyalty::sdk

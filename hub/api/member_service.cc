#include "hub/api/member_service.h"

#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "hub/api/convert.h"
#include "hub/api/page_token.h"
#include "hub/common/secure_random.h"
#include "hub/common/status_macros.h"
#include "hub/ledger/validate.h"

namespace loyalty {
namespace {

const std::vector<Role> kClaimRoles = {Role::kAdmin, Role::kMerchant};

// The rate-limit bucket of calls made without a session (sign-in), by card number, so
// nobody can try codes or flood one member's mailbox faster than the limit. Negative,
// apart from members' own buckets (their ids).
int64_t AnonymousBucket(const std::string& card_number) {
  uint64_t v = 0;
  const std::string h = Sha256Hex(card_number).substr(0, 15);
  for (char c : h) v = v * 16 + (c <= '9' ? c - '0' : c - 'a' + 10);
  return -static_cast<int64_t>(v) - 1;
}

// Runs `handler(MemberId) -> absl::Status` on a worker for the member of the call's
// session token: authenticated, rate-limited per member, finished with FinishCall.
template <typename Handler>
grpc::ServerUnaryReactor* ServeMember(grpc::CallbackServerContext* ctx, const ServiceEnv& env,
                                      const char* method, Handler handler) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (!EnterCall(env, reactor)) return reactor;
  std::string header = AuthorizationHeader(ctx);
  RunOnWorker(env, ctx, reactor,
              [env, ctx, reactor, method, header = std::move(header),
               handler = std::move(handler)]() mutable {
                std::string actor = "anonymous";
                absl::StatusOr<MemberId> member =
                    absl::StartsWith(header, "Bearer ")
                        ? env.members->Authenticate(
                              std::string(absl::StripPrefix(header, "Bearer ")))
                        : absl::StatusOr<MemberId>(absl::UnauthenticatedError(
                              "authorization: expected 'Bearer <session token>' metadata"));
                absl::Status status = member.status();
                if (status.ok()) {
                  actor = absl::StrCat("member:", *member);
                  status = env.member_rate_limiter->Admit(*member);
                }
                if (status.ok()) status = handler(*member);
                FinishCall(env, ctx, reactor, method, actor, status);
              });
  return reactor;
}

// Sign-in calls: no session; rate-limited by card number.
template <typename Handler>
grpc::ServerUnaryReactor* ServeSignIn(grpc::CallbackServerContext* ctx, const ServiceEnv& env,
                                      const char* method, const std::string& card_number,
                                      Handler handler) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (!EnterCall(env, reactor)) return reactor;
  RunOnWorker(env, ctx, reactor,
              [env, ctx, reactor, method, card_number, handler = std::move(handler)]() mutable {
                absl::Status status =
                    env.member_rate_limiter->Admit(AnonymousBucket(card_number));
                if (status.ok()) status = handler();
                FinishCall(env, ctx, reactor, method, "anonymous", status);
              });
  return reactor;
}

void ToProto(const ClaimRow& c, v1::Claim* out) {
  out->set_claim_id(c.id);
  out->set_member_id(c.member_id);
  out->set_partner_id(c.partner_id);
  out->set_purchased_at_micros(c.purchased_at);
  out->mutable_amount()->set_amount_minor(c.amount_minor);
  out->mutable_amount()->set_currency(c.currency);
  out->set_receipt_ref(c.receipt_ref);
  out->set_status(c.status);
  out->set_reason(c.reason);
  out->set_created_at_micros(c.created_at);
  out->set_due_at_micros(c.due_at);
  out->set_resolved_at_micros(c.resolved_at.value_or(0));
  out->set_hub_txn_id(c.earn_txn_id.value_or(0));
}

void ToProto(const MemberProfileRow& p, v1::MemberProfile* out) {
  out->set_email(p.email);
  out->set_language(p.language);
  out->set_consent_notices(p.consent_notices);
  out->set_consent_marketing(p.consent_marketing);
  out->set_channel_email(p.channel_email);
  out->set_quiet_start_minute(p.quiet_start_minute);
  out->set_quiet_end_minute(p.quiet_end_minute);
  out->set_time_zone(p.time_zone);
}

ClaimActor ClaimActorOf(const Principal& caller) {
  ClaimActor a;
  a.is_operator = caller.role == Role::kAdmin;
  a.partner = caller.partner_id;
  a.name = ActorName(caller);
  return a;
}

}  // namespace

grpc::ServerUnaryReactor* MemberServiceImpl::RequestSignInCode(
    grpc::CallbackServerContext* ctx, const v1::RequestSignInCodeRequest* req,
    v1::RequestSignInCodeResponse*) {
  return ServeSignIn(ctx, env_, "RequestSignInCode", req->card_number(), [this, req] {
    return env_.members->RequestSignInCode(req->card_number());
  });
}

grpc::ServerUnaryReactor* MemberServiceImpl::SignIn(grpc::CallbackServerContext* ctx,
                                                    const v1::SignInRequest* req,
                                                    v1::SignInResponse* resp) {
  return ServeSignIn(ctx, env_, "SignIn", req->card_number(), [this, req, resp]() -> absl::Status {
    ASSIGN_OR_RETURN(std::string token, env_.members->SignIn(req->card_number(), req->code()));
    resp->set_session_token(token);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MemberServiceImpl::GetOverview(grpc::CallbackServerContext* ctx,
                                                         const v1::GetOverviewRequest*,
                                                         v1::MemberOverview* resp) {
  return ServeMember(ctx, env_, "GetOverview", [this, resp](MemberId member) -> absl::Status {
    ASSIGN_OR_RETURN(MemberOverview o, env_.members->Overview(member));
    resp->set_member_id(o.member_id);
    ToProto(o.balance, resp->mutable_balance());
    for (const std::string& c : o.cards) resp->add_cards(c);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MemberServiceImpl::ListHistory(grpc::CallbackServerContext* ctx,
                                                         const v1::ListHistoryRequest* req,
                                                         v1::ListHistoryResponse* resp) {
  return ServeMember(ctx, env_, "ListHistory", [this, req, resp](MemberId member) -> absl::Status {
    ASSIGN_OR_RETURN(int size, ResolvePageSize(req->page_size() == 0 ? 50 : req->page_size()));
    PageFilter filter;
    filter.Int(member);  // a token works for the member it was made for only
    TxnId before = 0;
    if (!req->page_token().empty()) {
      ASSIGN_OR_RETURN(PageCursor c,
                       DecodePageToken(req->page_token(), PageList::kMemberHistory, filter, 1));
      before = c.ints[0];
    }
    ASSIGN_OR_RETURN(std::vector<HistoryRow> rows, env_.members->History(member, before, size + 1));
    const bool more = TrimToPage(&rows, size);
    for (const HistoryRow& h : rows) {
      v1::HistoryEntry* e = resp->add_entries();
      e->set_hub_txn_id(h.txn.id);
      e->set_kind(h.txn.kind);
      e->set_partner_id(h.txn.partner_id);
      e->set_partner_name(h.partner_name);
      e->set_points(h.txn.points);
      if (!h.txn.currency.empty()) {
        e->mutable_amount()->set_amount_minor(h.txn.amount_minor);
        e->mutable_amount()->set_currency(h.txn.currency);
      }
      e->set_balance_after(h.txn.balance_after);
      e->set_posted_at_micros(h.txn.posted_at);
    }
    if (more) {
      resp->set_next_page_token(
          EncodePageToken(PageList::kMemberHistory, filter, {{rows.back().txn.id}, ""}));
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MemberServiceImpl::GetExpiringPoints(
    grpc::CallbackServerContext* ctx, const v1::GetExpiringPointsRequest*,
    v1::MemberExpiringPoints* resp) {
  return ServeMember(ctx, env_, "GetExpiringPoints", [this, resp](MemberId member) -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<ExpiringMonth> months, env_.members->ExpiringByMonth(member));
    for (const ExpiringMonth& m : months) {
      v1::ExpiringPointsMonth* out = resp->add_months();
      out->set_month(m.month);
      out->set_points(m.points);
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MemberServiceImpl::ListPromotions(
    grpc::CallbackServerContext* ctx, const v1::ListMemberPromotionsRequest*,
    v1::ListMemberPromotionsResponse* resp) {
  return ServeMember(ctx, env_, "ListPromotions", [this, resp](MemberId member) -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<MemberPromotion> promotions, env_.members->Promotions(member));
    for (const MemberPromotion& p : promotions) {
      v1::MemberPromotion* out = resp->add_promotions();
      out->set_promotion_id(p.promotion.id);
      out->set_name(p.promotion.name);
      out->set_partner_id(p.promotion.funder_id);
      out->set_partner_name(p.funder_name);
      out->set_kind(p.promotion.kind);
      out->set_starts_at_micros(p.promotion.starts_at);
      out->set_ends_at_micros(p.promotion.ends_at);
      out->set_at_partner_visited(p.at_partner_visited);
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MemberServiceImpl::GetProfile(grpc::CallbackServerContext* ctx,
                                                        const v1::GetProfileRequest*,
                                                        v1::MemberProfile* resp) {
  return ServeMember(ctx, env_, "GetProfile", [this, resp](MemberId member) -> absl::Status {
    ASSIGN_OR_RETURN(MemberProfileRow p, env_.members->GetProfile(member));
    ToProto(p, resp);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MemberServiceImpl::UpdateProfile(grpc::CallbackServerContext* ctx,
                                                           const v1::UpdateProfileRequest* req,
                                                           v1::MemberProfile* resp) {
  return ServeMember(ctx, env_, "UpdateProfile", [this, req, resp](MemberId member) -> absl::Status {
    const v1::MemberProfile& in = req->profile();
    MemberProfileRow p;
    p.email = in.email();
    p.language = in.language();
    p.consent_notices = in.consent_notices();
    p.consent_marketing = in.consent_marketing();
    p.channel_email = in.channel_email();
    p.quiet_start_minute = in.quiet_start_minute();
    p.quiet_end_minute = in.quiet_end_minute();
    p.time_zone = in.time_zone();
    ASSIGN_OR_RETURN(MemberProfileRow stored, env_.members->SetProfile(member, p));
    ToProto(stored, resp);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MemberServiceImpl::ExportData(grpc::CallbackServerContext* ctx,
                                                        const v1::ExportDataRequest*,
                                                        v1::ExportDataResponse* resp) {
  return ServeMember(ctx, env_, "ExportData", [this, resp](MemberId member) -> absl::Status {
    ASSIGN_OR_RETURN(std::string json, env_.members->Export(member));
    resp->set_json(std::move(json));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MemberServiceImpl::EraseData(grpc::CallbackServerContext* ctx,
                                                       const v1::EraseDataRequest* req,
                                                       v1::EraseDataResponse*) {
  return ServeMember(ctx, env_, "EraseData", [this, req](MemberId member) -> absl::Status {
    if (req->confirm() != "ERASE") {
      return InvalidField("confirm", "must be \"ERASE\": erasure cannot be undone");
    }
    return env_.members->Erase(member);
  });
}

grpc::ServerUnaryReactor* MemberServiceImpl::OpenClaim(grpc::CallbackServerContext* ctx,
                                                       const v1::OpenClaimRequest* req,
                                                       v1::Claim* resp) {
  return ServeMember(ctx, env_, "OpenClaim", [this, req, resp](MemberId member) -> absl::Status {
    ASSIGN_OR_RETURN(ClaimRow c, env_.members->OpenClaim(member, req->partner_id(),
                                                         req->purchased_at_micros(),
                                                         req->amount().amount_minor(),
                                                         req->amount().currency(),
                                                         req->receipt_ref()));
    ToProto(c, resp);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MemberServiceImpl::ListClaims(grpc::CallbackServerContext* ctx,
                                                        const v1::ListMyClaimsRequest*,
                                                        v1::ListClaimsResponse* resp) {
  return ServeMember(ctx, env_, "ListClaims", [this, resp](MemberId member) -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<ClaimRow> claims, env_.members->MemberClaims(member));
    for (const ClaimRow& c : claims) ToProto(c, resp->add_claims());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ClaimServiceImpl::ListClaims(grpc::CallbackServerContext* ctx,
                                                       const v1::ListClaimsRequest* req,
                                                       v1::ListClaimsResponse* resp) {
  return ServeUnary(ctx, env_, "ListClaims", kClaimRoles,
                    [this, req, resp](const Principal& caller) -> absl::Status {
                      ASSIGN_OR_RETURN(const int size, ResolvePageSize(req->page_size()));
                      PageFilter filter;
                      filter.Int(caller.partner_id);
                      for (const std::string& s : req->statuses()) filter.Text(s);
                      int64_t before = 0;
                      if (!req->page_token().empty()) {
                        ASSIGN_OR_RETURN(PageCursor c, DecodePageToken(req->page_token(),
                                                                       PageList::kClaims, filter, 1));
                        before = c.ints[0];
                      }
                      ASSIGN_OR_RETURN(
                          std::vector<ClaimRow> rows,
                          env_.members->ListClaims(
                              ClaimActorOf(caller),
                              {req->statuses().begin(), req->statuses().end()}, before, size + 1));
                      const bool more = TrimToPage(&rows, size);
                      for (const ClaimRow& c : rows) ToProto(c, resp->add_claims());
                      if (more) {
                        resp->set_next_page_token(
                            EncodePageToken(PageList::kClaims, filter, {{rows.back().id}, ""}));
                      }
                      return absl::OkStatus();
                    });
}

grpc::ServerUnaryReactor* ClaimServiceImpl::AcceptClaim(grpc::CallbackServerContext* ctx,
                                                        const v1::AcceptClaimRequest* req,
                                                        v1::Claim* resp) {
  return ServeUnary(ctx, env_, "AcceptClaim", kClaimRoles,
                    [this, req, resp](const Principal& caller) -> absl::Status {
                      ASSIGN_OR_RETURN(ClaimRow c, env_.members->AcceptClaim(ClaimActorOf(caller),
                                                                             req->claim_id()));
                      ToProto(c, resp);
                      return absl::OkStatus();
                    });
}

grpc::ServerUnaryReactor* ClaimServiceImpl::RejectClaim(grpc::CallbackServerContext* ctx,
                                                        const v1::RejectClaimRequest* req,
                                                        v1::Claim* resp) {
  return ServeUnary(ctx, env_, "RejectClaim", kClaimRoles,
                    [this, req, resp](const Principal& caller) -> absl::Status {
                      ASSIGN_OR_RETURN(ClaimRow c,
                                       env_.members->RejectClaim(ClaimActorOf(caller),
                                                                 req->claim_id(), req->reason()));
                      ToProto(c, resp);
                      return absl::OkStatus();
                    });
}

}  // namespace loyalty

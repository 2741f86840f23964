#include "hub/api/partner_service.h"

#include "absl/strings/str_cat.h"
#include "hub/api/convert.h"
#include "hub/api/page_token.h"
#include "hub/common/error_reason.h"
#include "hub/common/status_macros.h"
#include "hub/ledger/validate.h"

namespace loyalty {
namespace {

EarnParams ToEarnParams(const Principal& caller, const std::string& partner_txn_id,
                        const std::string& card_number, const v1::Money& amount, int64_t points,
                        int64_t occurred_at) {
  EarnParams p;
  p.req = ToPartnerRequest(caller, partner_txn_id, occurred_at);
  p.card_number = card_number;
  p.amount_minor = amount.amount_minor();
  p.currency = amount.currency();
  p.stated_points = points;
  return p;
}

}  // namespace

grpc::ServerUnaryReactor* PartnerServiceImpl::EnrollMember(grpc::CallbackServerContext* ctx,
                                                           const v1::EnrollMemberRequest* req,
                                                           v1::EnrollMemberResponse* resp) {
  return Post(ctx, "EnrollMember", [this, req, resp](const Principal& caller, CallDone done) {
    env_.ledger->EnrollMember(ToPartnerRequest(caller, req->partner_txn_id(), 0),
                              Answer(std::move(done), [resp](const Posting& p) {
                                resp->set_member_id(p.member_id);
                                resp->set_card_number(p.card_number);
                                resp->set_replayed(p.replayed);
                              }));
  });
}

grpc::ServerUnaryReactor* PartnerServiceImpl::LinkCard(grpc::CallbackServerContext* ctx,
                                                       const v1::LinkCardRequest* req,
                                                       v1::LinkCardResponse* resp) {
  return Post(ctx, "LinkCard", [this, req, resp](const Principal& caller, CallDone done) {
    env_.ledger->LinkCard(ToPartnerRequest(caller, req->partner_txn_id(), 0), req->card_number(),
                          req->new_card_number(), Answer(std::move(done), [resp](const Posting& p) {
                            resp->set_member_id(p.member_id);
                            resp->set_replayed(p.replayed);
                          }));
  });
}

grpc::ServerUnaryReactor* PartnerServiceImpl::RegisterBearerCard(
    grpc::CallbackServerContext* ctx, const v1::RegisterBearerCardRequest* req,
    v1::RegisterBearerCardResponse* resp) {
  return Post(ctx, "RegisterBearerCard", [this, req, resp](const Principal& caller, CallDone done) {
    env_.ledger->RegisterBearerCard(
        ToPartnerRequest(caller, req->partner_txn_id(), 0), req->card_number(),
        req->bearer_card_number(),
        Answer(std::move(done), [resp](const Posting& p) { ToProto(p, resp->mutable_result()); }));
  });
}

grpc::ServerUnaryReactor* PartnerServiceImpl::GetBalance(grpc::CallbackServerContext* ctx,
                                                         const v1::GetBalanceRequest* req,
                                                         v1::Balance* resp) {
  return Serve(ctx, "GetBalance", [this, req, resp](const Principal&) -> absl::Status {
    ASSIGN_OR_RETURN(BalanceView b, env_.ledger->GetBalance(req->card_number()));
    ToProto(b, resp);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* PartnerServiceImpl::QuoteEarn(grpc::CallbackServerContext* ctx,
                                                        const v1::QuoteEarnRequest* req,
                                                        v1::QuoteEarnResponse* resp) {
  return Serve(ctx, "QuoteEarn", [this, req, resp](const Principal& caller) -> absl::Status {
    ASSIGN_OR_RETURN(Posting p, env_.ledger->QuoteEarn(ToEarnParams(caller, "", req->card_number(),
                                                                    req->amount(), 0, 0)));
    resp->set_points(p.points);
    ToProto(p, resp->mutable_breakdown());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* PartnerServiceImpl::Earn(grpc::CallbackServerContext* ctx,
                                                   const v1::EarnRequest* req,
                                                   v1::EarnResponse* resp) {
  return Post(ctx, "Earn", [this, req, resp](const Principal& caller, CallDone done) {
    env_.ledger->Earn(ToEarnParams(caller, req->partner_txn_id(), req->card_number(), req->amount(),
                                   req->points(), req->occurred_at_micros()),
                      Answer(std::move(done), [resp](const Posting& p) {
                        ToProto(p, resp->mutable_result());
                        ToProto(p, resp->mutable_breakdown());
                        resp->set_expires_at_micros(p.expires_at);
                      }));
  });
}

grpc::ServerUnaryReactor* PartnerServiceImpl::Redeem(grpc::CallbackServerContext* ctx,
                                                     const v1::RedeemRequest* req,
                                                     v1::RedeemResponse* resp) {
  return Post(ctx, "Redeem", [this, req, resp](const Principal& caller, CallDone done) {
    RedeemParams r;
    r.req = ToPartnerRequest(caller, req->partner_txn_id(), req->occurred_at_micros());
    r.card_number = req->card_number();
    r.points = req->points();
    r.pin = req->pin();
    env_.ledger->Redeem(std::move(r), Answer(std::move(done), [resp](const Posting& p) {
                          ToProto(p, resp->mutable_result());
                        }));
  });
}

grpc::ServerUnaryReactor* PartnerServiceImpl::AuthorizeRedemption(
    grpc::CallbackServerContext* ctx, const v1::AuthorizeRedemptionRequest* req,
    v1::AuthorizeRedemptionResponse* resp) {
  return Post(ctx, "AuthorizeRedemption",
              [this, req, resp](const Principal& caller, CallDone done) {
                RedeemParams r;
                r.req = ToPartnerRequest(caller, req->partner_txn_id(), req->occurred_at_micros());
                r.card_number = req->card_number();
                r.points = req->points();
                r.pin = req->pin();
                env_.ledger->AuthorizeRedemption(
                    std::move(r), Answer(std::move(done), [resp](const Posting& p) {
                      ToProto(p, resp->mutable_result());
                      resp->set_hold_expires_at_micros(p.hold_expires_at);
                    }));
              });
}

grpc::ServerUnaryReactor* PartnerServiceImpl::CaptureRedemption(
    grpc::CallbackServerContext* ctx, const v1::CaptureRedemptionRequest* req,
    v1::CaptureRedemptionResponse* resp) {
  return Post(ctx, "CaptureRedemption", [this, req, resp](const Principal& caller, CallDone done) {
    CaptureParams c;
    c.req = ToPartnerRequest(caller, req->partner_txn_id(), req->occurred_at_micros());
    c.authorization_partner_txn_id = req->authorization_partner_txn_id();
    c.points = req->points();
    env_.ledger->CaptureRedemption(std::move(c), Answer(std::move(done), [resp](const Posting& p) {
                                     ToProto(p, resp->mutable_result());
                                   }));
  });
}

grpc::ServerUnaryReactor* PartnerServiceImpl::VoidRedemption(grpc::CallbackServerContext* ctx,
                                                             const v1::VoidRedemptionRequest* req,
                                                             v1::VoidRedemptionResponse* resp) {
  return Post(ctx, "VoidRedemption", [this, req, resp](const Principal& caller, CallDone done) {
    CaptureParams c;
    c.req = ToPartnerRequest(caller, req->partner_txn_id(), 0);
    c.authorization_partner_txn_id = req->authorization_partner_txn_id();
    env_.ledger->VoidRedemption(std::move(c), Answer(std::move(done), [resp](const Posting& p) {
                                  ToProto(p, resp->mutable_result());
                                }));
  });
}

grpc::ServerUnaryReactor* PartnerServiceImpl::Reverse(grpc::CallbackServerContext* ctx,
                                                      const v1::ReverseRequest* req,
                                                      v1::ReverseResponse* resp) {
  return Post(ctx, "Reverse", [this, req, resp](const Principal& caller, CallDone done) {
    ReverseParams r;
    r.req = ToPartnerRequest(caller, req->partner_txn_id(), req->occurred_at_micros());
    r.original_partner_txn_id = req->original_partner_txn_id();
    r.points = req->points();
    env_.ledger->Reverse(std::move(r), Answer(std::move(done), [resp](const Posting& p) {
                           ToProto(p, resp->mutable_result());
                           resp->set_debt_created(p.debt_created);
                         }));
  });
}

grpc::ServerUnaryReactor* PartnerServiceImpl::ListTransactions(
    grpc::CallbackServerContext* ctx, const v1::ListTransactionsRequest* req,
    v1::ListTransactionsResponse* resp) {
  return Serve(ctx, "ListTransactions", [this, req, resp](const Principal& caller) -> absl::Status {
    if (req->partner_id() != 0 && req->partner_id() != caller.partner_id) {
      return WithReason(
          absl::PermissionDeniedError("partner_id: a partner sees only its own transactions"),
          reason::kOtherPartnersData);
    }
    ASSIGN_OR_RETURN(const int size, ResolvePageSize(req->page_size()));
    // The caller is part of the filter: another partner's token is refused too.
    PageFilter filter;
    filter.Int(caller.partner_id)
        .Text(req->card_number())
        .Int(req->since_micros())
        .Int(req->until_micros());
    TxnListParams p;
    p.partner = caller.partner_id;
    p.card_number = req->card_number();
    p.since = req->since_micros();
    p.until = req->until_micros();
    p.limit = size + 1;
    if (!req->page_token().empty()) {
      ASSIGN_OR_RETURN(PageCursor c,
                       DecodePageToken(req->page_token(), PageList::kTransactions, filter, 1));
      p.before_id = c.ints[0];
    }
    ASSIGN_OR_RETURN(std::vector<TxnRecord> txns, env_.ledger->ListTransactions(p));
    const bool more = TrimToPage(&txns, size);
    for (const TxnRecord& t : txns) ToProto(t, resp->add_transactions());
    if (more) {
      resp->set_next_page_token(
          EncodePageToken(PageList::kTransactions, filter, {{txns.back().id}, ""}));
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* PartnerServiceImpl::RegisterMerchantId(
    grpc::CallbackServerContext* ctx, const v1::RegisterMerchantIdRequest* req,
    v1::RegisterMerchantIdResponse* resp) {
  return Serve(
      ctx, "RegisterMerchantId", [this, req, resp](const Principal& caller) -> absl::Status {
        ASSIGN_OR_RETURN(bool replayed,
                         env_.bank->RegisterMerchantId(caller.partner_id, req->merchant_id()));
        resp->set_replayed(replayed);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* PartnerServiceImpl::SetMemberPin(grpc::CallbackServerContext* ctx,
                                                           const v1::SetMemberPinRequest* req,
                                                           v1::SetMemberPinResponse*) {
  return Serve(ctx, "SetMemberPin", [this, req](const Principal&) -> absl::Status {
    return env_.ledger->SetMemberPin(req->card_number(), req->pin());
  });
}

grpc::ServerUnaryReactor* PartnerServiceImpl::GetProgramRules(grpc::CallbackServerContext* ctx,
                                                              const v1::GetProgramRulesRequest* req,
                                                              v1::ProgramRules* resp) {
  return Serve(ctx, "GetProgramRules", [this, req, resp](const Principal& caller) -> absl::Status {
    ASSIGN_OR_RETURN(ProgramRulesView v,
                     env_.ledger->ProgramRulesFor(caller.partner_id, req->include_ended()));
    ToProto(v.program, resp->mutable_program());
    for (const TierRow& t : v.tiers) ToProto(t, resp->add_tiers());
    for (const PromotionRow& p : v.promotions) ToProto(p, resp->add_promotions());
    return absl::OkStatus();
  });
}

}  // namespace loyalty

#include "hub/api/admin_service.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "hub/api/convert.h"
#include "hub/api/page_token.h"
#include "hub/common/status_macros.h"
#include "hub/ledger/validate.h"
#include "hub/members/members.h"

namespace loyalty {

grpc::ServerUnaryReactor* AdminServiceImpl::RegisterPartner(grpc::CallbackServerContext* ctx,
                                                            const v1::RegisterPartnerRequest* req,
                                                            v1::RegisterPartnerResponse* resp) {
  return Serve(ctx, "RegisterPartner", [this, req, resp](const Principal& caller) -> absl::Status {
    PartnerRecord p;
    p.name = req->name();
    p.category = req->category();
    ASSIGN_OR_RETURN(p.role, FromProto(req->role(), "role"));
    p.earn_rate_bp = req->earn_rate_bp();
    p.max_points_per_txn = req->limits().max_points_per_txn();
    p.max_points_per_member_day = req->limits().max_points_per_member_day();
    p.return_window_days = req->return_window_days();
    ASSIGN_OR_RETURN(RegisteredPartner r, env_.ledger->RegisterPartner(ActorName(caller), p));
    ToProto(r.partner, resp->mutable_partner());
    resp->set_api_key(r.api_key);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AdminServiceImpl::ListPartners(grpc::CallbackServerContext* ctx,
                                                         const v1::ListPartnersRequest* req,
                                                         v1::ListPartnersResponse* resp) {
  return ServeUnary(ctx, env_, "ListPartners", {Role::kAdmin, Role::kFinance},
                    [this, req, resp](const Principal&) -> absl::Status {
                      ASSIGN_OR_RETURN(const int size, ResolvePageSize(req->page_size()));
                      const PageFilter filter;  // no filter fields
                      PartnerId after = 0;
                      if (!req->page_token().empty()) {
                        ASSIGN_OR_RETURN(
                            PageCursor c,
                            DecodePageToken(req->page_token(), PageList::kPartners, filter, 1));
                        after = c.ints[0];
                      }
                      ASSIGN_OR_RETURN(std::vector<PartnerRecord> rows,
                                       env_.ledger->ListPartners(after, size + 1));
                      const bool more = TrimToPage(&rows, size);
                      for (const PartnerRecord& p : rows) ToProto(p, resp->add_partners());
                      if (more) {
                        resp->set_next_page_token(
                            EncodePageToken(PageList::kPartners, filter, {{rows.back().id}, ""}));
                      }
                      return absl::OkStatus();
                    });
}

grpc::ServerUnaryReactor* AdminServiceImpl::SuspendPartner(grpc::CallbackServerContext* ctx,
                                                           const v1::SuspendPartnerRequest* req,
                                                           v1::SuspendPartnerResponse* resp) {
  return Serve(ctx, "SuspendPartner", [this, req, resp](const Principal& caller) -> absl::Status {
    ASSIGN_OR_RETURN(PartnerRecord p, env_.ledger->SuspendPartner(
                                          ActorName(caller), req->partner_id(), req->reason()));
    ToProto(p, resp->mutable_partner());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AdminServiceImpl::RotateApiKey(grpc::CallbackServerContext* ctx,
                                                         const v1::RotateApiKeyRequest* req,
                                                         v1::RotateApiKeyResponse* resp) {
  return Serve(ctx, "RotateApiKey", [this, req, resp](const Principal& caller) -> absl::Status {
    ASSIGN_OR_RETURN(std::string key,
                     env_.ledger->RotateApiKey(ActorName(caller), req->partner_id()));
    resp->set_api_key(key);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AdminServiceImpl::SetProgram(grpc::CallbackServerContext* ctx,
                                                       const v1::SetProgramRequest* req,
                                                       v1::SetProgramResponse* resp) {
  return Serve(ctx, "SetProgram", [this, req, resp](const Principal& caller) -> absl::Status {
    ASSIGN_OR_RETURN(ProgramRecord out,
                     env_.ledger->SetProgram(ActorName(caller), FromProto(req->program())));
    ToProto(out, resp->mutable_program());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AdminServiceImpl::GetProgram(grpc::CallbackServerContext* ctx,
                                                       const v1::GetProgramRequest* req,
                                                       v1::Program* resp) {
  return Serve(ctx, "GetProgram", [this, resp](const Principal&) -> absl::Status {
    ASSIGN_OR_RETURN(ProgramRecord out, env_.ledger->GetProgram());
    ToProto(out, resp);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AdminServiceImpl::IssueMemberToken(
    grpc::CallbackServerContext* ctx, const v1::IssueMemberTokenRequest* req,
    v1::IssueMemberTokenResponse* resp) {
  return ServeUnary(ctx, env_, "IssueMemberToken", {Role::kAdmin},
                    [this, req, resp](const Principal& caller) -> absl::Status {
                      if (env_.members == nullptr) {
                        return absl::UnimplementedError("members are not served by this hub");
                      }
                      ASSIGN_OR_RETURN(std::string token, env_.members->IssueToken(
                                                              ActorName(caller), req->card_number()));
                      resp->set_session_token(token);
                      return absl::OkStatus();
                    });
}

grpc::ServerUnaryReactor* AdminServiceImpl::IssueBearerCards(grpc::CallbackServerContext* ctx,
                                                             const v1::IssueBearerCardsRequest* req,
                                                             v1::IssueBearerCardsResponse* resp) {
  return Serve(ctx, "IssueBearerCards", [this, req, resp](const Principal& caller) -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<std::string> cards,
                     env_.ledger->IssueBearerCards(ActorName(caller), req->count()));
    for (std::string& c : cards) resp->add_card_numbers(std::move(c));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AdminServiceImpl::AdjustPoints(grpc::CallbackServerContext* ctx,
                                                         const v1::AdjustPointsRequest* req,
                                                         v1::AdjustPointsResponse* resp) {
  return Serve(ctx, "AdjustPoints", [this, req, resp](const Principal& caller) -> absl::Status {
    AdjustParams a;
    a.actor = ActorName(caller);
    a.adjustment_id = req->adjustment_id();
    a.card_number = req->card_number();
    a.points = req->points();
    a.reason = req->reason();
    ASSIGN_OR_RETURN(Posting p, env_.ledger->AdjustPoints(a));
    ToProto(p, resp->mutable_result());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AdminServiceImpl::RunExpiry(grpc::CallbackServerContext* ctx,
                                                      const v1::RunExpiryRequest* req,
                                                      v1::RunExpiryResponse* resp) {
  return Serve(ctx, "RunExpiry", [this, resp](const Principal&) -> absl::Status {
    ASSIGN_OR_RETURN(ExpiryOutcome out, env_.ledger->RunExpiry());
    resp->set_lots_expired(out.lots_expired);
    resp->set_points_expired(out.points_expired);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AdminServiceImpl::CreateOperatorKey(
    grpc::CallbackServerContext* ctx, const v1::CreateOperatorKeyRequest* req,
    v1::CreateOperatorKeyResponse* resp) {
  return Serve(
      ctx, "CreateOperatorKey", [this, req, resp](const Principal& caller) -> absl::Status {
        ASSIGN_OR_RETURN(Role role, FromProto(req->role(), "role"));
        ASSIGN_OR_RETURN(std::string key, env_.ledger->CreateOperatorKey(ActorName(caller), role));
        resp->set_api_key(key);
        return absl::OkStatus();
      });
}

namespace {

BankRulesRow FromProto(const v1::BankEarnRules& r) {
  BankRulesRow row;
  row.default_rate_bp = r.default_rate_bp();
  row.partner_merchant_rate_bp = r.partner_merchant_rate_bp();
  row.monthly_cap_points = r.monthly_cap_points();
  for (const v1::MccRule& m : r.mcc_rules())
    row.mcc_rules.push_back({m.mcc(), m.rate_bp(), m.excluded()});
  return row;
}

void ToProto(const BankRulesRow& row, v1::BankEarnRules* out) {
  out->set_default_rate_bp(row.default_rate_bp);
  out->set_partner_merchant_rate_bp(row.partner_merchant_rate_bp);
  out->set_monthly_cap_points(row.monthly_cap_points);
  for (const MccRuleRow& m : row.mcc_rules) {
    v1::MccRule* r = out->add_mcc_rules();
    r->set_mcc(m.mcc);
    r->set_rate_bp(m.rate_bp);
    r->set_excluded(m.excluded);
  }
}

}  // namespace

grpc::ServerUnaryReactor* AdminServiceImpl::SetBankEarnRules(grpc::CallbackServerContext* ctx,
                                                             const v1::SetBankEarnRulesRequest* req,
                                                             v1::SetBankEarnRulesResponse* resp) {
  return Serve(ctx, "SetBankEarnRules", [this, req, resp](const Principal& caller) -> absl::Status {
    RETURN_IF_ERROR(
        env_.bank->SetRules(ActorName(caller), req->bank_partner_id(), FromProto(req->rules())));
    ASSIGN_OR_RETURN(BankRulesRow rules, env_.bank->GetRules(req->bank_partner_id()));
    ToProto(rules, resp->mutable_rules());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AdminServiceImpl::GetBankEarnRules(grpc::CallbackServerContext* ctx,
                                                             const v1::GetBankEarnRulesRequest* req,
                                                             v1::BankEarnRules* resp) {
  return Serve(ctx, "GetBankEarnRules", [this, req, resp](const Principal&) -> absl::Status {
    ASSIGN_OR_RETURN(BankRulesRow rules, env_.bank->GetRules(req->bank_partner_id()));
    ToProto(rules, resp);
    return absl::OkStatus();
  });
}

namespace {

}  // namespace

grpc::ServerUnaryReactor* AdminServiceImpl::SetTiers(grpc::CallbackServerContext* ctx,
                                                     const v1::SetTiersRequest* req,
                                                     v1::SetTiersResponse* resp) {
  return Serve(ctx, "SetTiers", [this, req, resp](const Principal& caller) -> absl::Status {
    std::vector<TierRow> tiers;
    for (const v1::Tier& t : req->tiers()) {
      tiers.push_back({t.name(), t.threshold_minor(), t.multiplier_bp()});
    }
    RETURN_IF_ERROR(env_.ledger->SetTiers(ActorName(caller), tiers));
    ASSIGN_OR_RETURN(std::vector<TierRow> stored, env_.ledger->ListTiers());
    for (const TierRow& t : stored) ToProto(t, resp->add_tiers());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AdminServiceImpl::ListTiers(grpc::CallbackServerContext* ctx,
                                                      const v1::ListTiersRequest* req,
                                                      v1::ListTiersResponse* resp) {
  return Serve(ctx, "ListTiers", [this, req, resp](const Principal&) -> absl::Status {
    ASSIGN_OR_RETURN(const int size, ResolvePageSize(req->page_size()));
    const PageFilter filter;  // no filter fields
    std::optional<PageCursor> after;
    if (!req->page_token().empty()) {
      ASSIGN_OR_RETURN(after, DecodePageToken(req->page_token(), PageList::kTiers, filter, 1));
    }
    // A program has a handful of tiers (SetTiers bounds them): the keyset over
    // (threshold_minor, name), the store's order, runs on the list read whole.
    ASSIGN_OR_RETURN(std::vector<TierRow> stored, env_.ledger->ListTiers());
    std::vector<TierRow> rows;
    for (TierRow& t : stored) {
      if (after.has_value() && std::make_pair(t.threshold_minor, t.name) <=
                                   std::make_pair(after->ints[0], after->text)) {
        continue;
      }
      rows.push_back(std::move(t));
      if (static_cast<int>(rows.size()) > size) break;
    }
    const bool more = TrimToPage(&rows, size);
    for (const TierRow& t : rows) ToProto(t, resp->add_tiers());
    if (more) {
      resp->set_next_page_token(EncodePageToken(PageList::kTiers, filter,
                                                {{rows.back().threshold_minor}, rows.back().name}));
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AdminServiceImpl::RunTierReview(grpc::CallbackServerContext* ctx,
                                                          const v1::RunTierReviewRequest*,
                                                          v1::RunTierReviewResponse* resp) {
  return Serve(ctx, "RunTierReview", [this, resp](const Principal&) -> absl::Status {
    ASSIGN_OR_RETURN(Ledger::TierReview review, env_.ledger->RunTierReview());
    resp->set_members_reviewed(review.reviewed);
    resp->set_members_changed(review.changed);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AdminServiceImpl::CreatePromotion(grpc::CallbackServerContext* ctx,
                                                            const v1::CreatePromotionRequest* req,
                                                            v1::Promotion* resp) {
  return Serve(ctx, "CreatePromotion", [this, req, resp](const Principal& caller) -> absl::Status {
    ASSIGN_OR_RETURN(PromotionRow p, FromProto(req->promotion()));
    ASSIGN_OR_RETURN(PromotionRow created, env_.ledger->CreatePromotion(ActorName(caller), p));
    ToProto(created, resp);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AdminServiceImpl::ListPromotions(grpc::CallbackServerContext* ctx,
                                                           const v1::ListPromotionsRequest* req,
                                                           v1::ListPromotionsResponse* resp) {
  return Serve(ctx, "ListPromotions", [this, req, resp](const Principal&) -> absl::Status {
    ASSIGN_OR_RETURN(const int size, ResolvePageSize(req->page_size()));
    PageFilter filter;
    filter.Int(req->include_inactive() ? 1 : 0);
    int64_t after = 0;
    if (!req->page_token().empty()) {
      ASSIGN_OR_RETURN(PageCursor c,
                       DecodePageToken(req->page_token(), PageList::kPromotions, filter, 1));
      after = c.ints[0];
    }
    ASSIGN_OR_RETURN(std::vector<PromotionRow> rows,
                     env_.ledger->ListPromotions(req->include_inactive(), after, size + 1));
    const bool more = TrimToPage(&rows, size);
    for (const PromotionRow& p : rows) ToProto(p, resp->add_promotions());
    if (more) {
      resp->set_next_page_token(
          EncodePageToken(PageList::kPromotions, filter, {{rows.back().id}, ""}));
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AdminServiceImpl::EndPromotion(grpc::CallbackServerContext* ctx,
                                                         const v1::EndPromotionRequest* req,
                                                         v1::Promotion* resp) {
  return Serve(ctx, "EndPromotion", [this, req, resp](const Principal& caller) -> absl::Status {
    ASSIGN_OR_RETURN(PromotionRow p,
                     env_.ledger->EndPromotion(ActorName(caller), req->promotion_id()));
    ToProto(p, resp);
    return absl::OkStatus();
  });
}

namespace {

// The page size of ListExpiringPoints: page_size, else the deprecated `limit` (0..1000,
// coerced to the maximum page), else the default.
absl::StatusOr<int> ExpiringPageSize(const v1::ListExpiringPointsRequest& req) {
  if (req.page_size() != 0 || req.limit() == 0) return ResolvePageSize(req.page_size());
  if (req.limit() < 0 || req.limit() > 1000) return InvalidField("limit", "must be 0..1000");
  return ResolvePageSize(req.limit());
}

}  // namespace

grpc::ServerUnaryReactor* AdminServiceImpl::ListExpiringPoints(
    grpc::CallbackServerContext* ctx, const v1::ListExpiringPointsRequest* req,
    v1::ListExpiringPointsResponse* resp) {
  return Serve(ctx, "ListExpiringPoints", [this, req, resp](const Principal&) -> absl::Status {
    ASSIGN_OR_RETURN(const int size, ExpiringPageSize(*req));
    PageFilter filter;
    filter.Int(req->within_days());
    ExpiringQuery q;
    q.within_days = req->within_days();
    q.limit = size + 1;
    if (!req->page_token().empty()) {
      // The cursor: the first page's window start, then the last row's key.
      ASSIGN_OR_RETURN(PageCursor c,
                       DecodePageToken(req->page_token(), PageList::kExpiringPoints, filter, 3));
      q.window_start = c.ints[0];
      q.after.first_expiry = c.ints[1];
      q.after.member_id = c.ints[2];
    }
    ASSIGN_OR_RETURN(ExpiringList list, env_.ledger->ListExpiring(q));
    const bool more = TrimToPage(&list.rows, size);
    for (const ExpiringRow& r : list.rows) {
      v1::ExpiringPoints* e = resp->add_members();
      e->set_member_id(r.member_id);
      e->set_points(r.points);
      e->set_first_expiry_at_micros(r.first_expiry);
    }
    if (more) {
      const ExpiringRow& last = list.rows.back();
      resp->set_next_page_token(
          EncodePageToken(PageList::kExpiringPoints, filter,
                          {{list.window_start, last.first_expiry, last.member_id}, ""}));
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AdminServiceImpl::UnlockMemberPin(grpc::CallbackServerContext* ctx,
                                                            const v1::UnlockMemberPinRequest* req,
                                                            v1::UnlockMemberPinResponse*) {
  return Serve(ctx, "UnlockMemberPin", [this, req](const Principal& caller) -> absl::Status {
    return env_.ledger->UnlockMemberPin(ActorName(caller), req->card_number());
  });
}

grpc::ServerUnaryReactor* AdminServiceImpl::ListAuditLog(grpc::CallbackServerContext* ctx,
                                                         const v1::ListAuditLogRequest* req,
                                                         v1::ListAuditLogResponse* resp) {
  return ServeUnary(
      ctx, env_, "ListAuditLog", {Role::kAdmin},
      [this, req, resp](const Principal&) -> absl::Status {
        ASSIGN_OR_RETURN(const int size, ResolvePageSize(req->page_size()));
        PageFilter filter;
        filter.Int(req->from_micros()).Int(req->to_micros()).Text(req->actor()).Text(req->action());
        AuditQuery q;
        q.from = req->from_micros();
        q.to = req->to_micros() == 0 ? INT64_MAX : req->to_micros();
        q.actor = req->actor();
        q.action = req->action();
        q.limit = size + 1;
        if (!req->page_token().empty()) {
          ASSIGN_OR_RETURN(PageCursor c,
                           DecodePageToken(req->page_token(), PageList::kAuditLog, filter, 1));
          q.before_id = c.ints[0];
        }
        ASSIGN_OR_RETURN(std::vector<AuditEntry> rows, env_.ledger->ListAuditLog(q));
        const bool more = TrimToPage(&rows, size);
        for (const AuditEntry& e : rows) {
          v1::AuditEntry* out = resp->add_entries();
          out->set_id(e.id);
          out->set_at_micros(e.at);
          out->set_actor(e.actor);
          out->set_action(e.action);
          out->set_detail(e.detail);
          out->set_before_json(e.before);
          out->set_after_json(e.after);
        }
        if (more) {
          resp->set_next_page_token(
              EncodePageToken(PageList::kAuditLog, filter, {{rows.back().id}, ""}));
        }
        return absl::OkStatus();
      });
}

}  // namespace loyalty

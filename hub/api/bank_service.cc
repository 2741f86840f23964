#include "hub/api/bank_service.h"

#include <mutex>

#include "absl/strings/str_cat.h"
#include "hub/common/secure_random.h"
#include "hub/common/status_macros.h"
#include "hub/ledger/validate.h"

namespace loyalty {
namespace {

v1::ClearingStatus ToProtoStatus(const std::string& s) {
  if (s == clearing_status::kEarned) return v1::CLEARING_STATUS_EARNED;
  if (s == clearing_status::kNoEarn) return v1::CLEARING_STATUS_NO_EARN;
  if (s == clearing_status::kReversed) return v1::CLEARING_STATUS_REVERSED;
  if (s == clearing_status::kUnmatched) return v1::CLEARING_STATUS_UNMATCHED_REFUND;
  return v1::CLEARING_STATUS_UNSPECIFIED;
}

absl::StatusOr<ClearingParams> ToParams(const v1::ClearingRecord& r, PartnerId bank,
                                        const std::string& key) {
  ClearingParams p;
  p.bank_id = bank;
  p.clearing_id = r.clearing_id();
  ASSIGN_OR_RETURN(p.card_ref, CardRefFrom(r.card(), key, "card"));
  p.amount_minor = r.amount().amount_minor();
  p.currency = r.amount().currency();
  p.mcc = r.mcc();
  p.merchant_id = r.merchant_id();
  if (r.type() != v1::CLEARING_TYPE_PURCHASE && r.type() != v1::CLEARING_TYPE_REFUND) {
    return InvalidField("type", "must be CLEARING_TYPE_PURCHASE or CLEARING_TYPE_REFUND");
  }
  p.refund = r.type() == v1::CLEARING_TYPE_REFUND;
  p.original_clearing_id = r.original_clearing_id();
  p.occurred_at = r.occurred_at_micros();
  return p;
}

// One clearing record in, one result out: a rejected record is answered, not fatal.
v1::ClearingResult Process(const ServiceEnv& env, PartnerId bank, const v1::ClearingRecord& r) {
  v1::ClearingResult out;
  out.set_clearing_id(r.clearing_id());
  absl::StatusOr<ClearingOutcome> outcome = absl::UnknownError("not run");
  absl::StatusOr<ClearingParams> params = ToParams(r, bank, env.pan_hmac_key);
  outcome = params.ok() ? env.bank->SubmitClearing(*params) : params.status();
  if (!outcome.ok()) {
    out.set_status(v1::CLEARING_STATUS_REJECTED);
    out.set_code(static_cast<int>(outcome.status().code()));
    const bool internal = outcome.status().code() == absl::StatusCode::kInternal ||
                          outcome.status().code() == absl::StatusCode::kUnavailable;
    out.set_reason(internal ? "hub error; resend the record later"
                            : std::string(outcome.status().message()));
    if (internal) LogCallFailure("SubmitCardTransactions", ActorName({Role::kIssuer, bank}),
                                 outcome.status());
    return out;
  }
  out.set_status(ToProtoStatus(outcome->status));
  out.set_points(outcome->points);
  out.set_reason(outcome->reason);
  out.set_hub_txn_id(outcome->txn_id);
  out.set_replayed(outcome->replayed);
  return out;
}

// The clearing stream: authenticate, then read a record, post it on the worker pool,
// write its result, read the next. Results keep the records' order. Never blocks a gRPC
// thread: every database call runs on the pool. Each record takes one token of the
// bank's rate limit; without one the stream ends RESOURCE_EXHAUSTED with a retry delay
// and the bank resends the unanswered records (clearing ids make that safe).
class ClearingStream final
    : public grpc::ServerBidiReactor<v1::ClearingRecord, v1::ClearingResult> {
 public:
  explicit ClearingStream(ServiceEnv env, grpc::CallbackServerContext* ctx)
      : env_(std::move(env)),
        ctx_(ctx),
        header_(AuthorizationHeader(ctx)),
        peer_(PeerIdentityOf(*ctx)) {
    if (!env_.pool->Submit([this] { Authenticate(); })) {
      Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "hub is at capacity"));
    }
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the bank closed its side: every record has been answered
      Finish(grpc::Status::OK);
      return;
    }
    if (!env_.pool->Submit([this] {
          if (absl::Status s = CheckRateLimit(env_, {Role::kIssuer, bank_}); !s.ok()) {
            AddRetryAfterTrailer(ctx_, s);
            Finish(ToGrpcStatus(s));
            return;
          }
          result_ = Process(env_, bank_, record_);
          StartWrite(&result_);
        })) {
      Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "hub is at capacity"));
    }
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "result could not be written"));
      return;
    }
    StartRead(&record_);
  }

  void OnDone() override { delete this; }

 private:
  void Authenticate() {
    absl::StatusOr<Principal> p = env_.auth->Authenticate(header_, peer_);
    absl::Status s = p.status();
    if (s.ok()) s = RequireRole(*p, {Role::kIssuer}, "SubmitCardTransactions");
    if (!s.ok()) {
      LogCallFailure("SubmitCardTransactions", p.ok() ? ActorName(*p) : "anonymous", s);
      Finish(ToGrpcStatus(s));
      return;
    }
    bank_ = p->partner_id;
    StartRead(&record_);
  }

  const ServiceEnv env_;
  grpc::CallbackServerContext* const ctx_;  // valid until OnDone
  const std::string header_;
  const PeerIdentity peer_;
  PartnerId bank_ = 0;
  v1::ClearingRecord record_;
  v1::ClearingResult result_;
};

}  // namespace

absl::StatusOr<std::string> CardRefFrom(const v1::CardRef& card, const std::string& key,
                                        const char* field) {
  if (card.has_pan()) {
    // The PAN is checked and hashed here and goes no further; messages never echo it.
    if (!IsValidCardNumber(card.pan())) {
      return InvalidField(absl::StrCat(field, ".pan"),
                          "must be 12 to 19 digits with a valid check digit");
    }
    if (key.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          field, ".pan: this hub takes card tokens only (no PAN key configured)"));
    }
    return absl::StrCat("h:", HmacSha256Hex(key, card.pan()));
  }
  const std::string token = card.token();
  RETURN_IF_ERROR(ValidateIdempotencyKey(absl::StrCat(field, ".token"), token));
  if (token.rfind("h:", 0) == 0) {
    return InvalidField(absl::StrCat(field, ".token"), "must not start with h:");
  }
  return token;
}

grpc::ServerUnaryReactor* BankServiceImpl::LinkCoBrandedCard(
    grpc::CallbackServerContext* ctx, const v1::LinkCoBrandedCardRequest* req,
    v1::LinkCoBrandedCardResponse* resp) {
  return Serve(ctx, "LinkCoBrandedCard", [this, req, resp](const Principal& caller) -> absl::Status {
    ASSIGN_OR_RETURN(std::string ref, CardRefFrom(req->card(), env_.pan_hmac_key, "card"));
    ASSIGN_OR_RETURN(MemberId member,
                     env_.bank->LinkCard(caller.partner_id, req->card_number(), ref));
    resp->set_member_id(member);
    resp->set_card_ref(ref);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* BankServiceImpl::UnlinkCoBrandedCard(
    grpc::CallbackServerContext* ctx, const v1::UnlinkCoBrandedCardRequest* req,
    v1::UnlinkCoBrandedCardResponse*) {
  return Serve(ctx, "UnlinkCoBrandedCard", [this, req](const Principal& caller) -> absl::Status {
    ASSIGN_OR_RETURN(std::string ref, CardRefFrom(req->card(), env_.pan_hmac_key, "card"));
    return env_.bank->UnlinkCard(caller.partner_id, ref);
  });
}

grpc::ServerUnaryReactor* BankServiceImpl::ListCoBrandedCards(
    grpc::CallbackServerContext* ctx, const v1::ListCoBrandedCardsRequest* req,
    v1::ListCoBrandedCardsResponse* resp) {
  return Serve(ctx, "ListCoBrandedCards", [this, req, resp](const Principal&) -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<std::string> refs, env_.bank->ListCards(req->card_number()));
    for (std::string& r : refs) resp->add_card_refs(std::move(r));
    return absl::OkStatus();
  });
}

grpc::ServerBidiReactor<v1::ClearingRecord, v1::ClearingResult>*
BankServiceImpl::SubmitCardTransactions(grpc::CallbackServerContext* ctx) {
  return new ClearingStream(env_, ctx);
}

grpc::ServerUnaryReactor* BankServiceImpl::GetCardStatement(
    grpc::CallbackServerContext* ctx, const v1::GetCardStatementRequest* req,
    v1::CardStatement* resp) {
  return Serve(ctx, "GetCardStatement", [this, req, resp](const Principal& caller) -> absl::Status {
    ASSIGN_OR_RETURN(std::string ref, CardRefFrom(req->card(), env_.pan_hmac_key, "card"));
    ASSIGN_OR_RETURN(CardStatementView v,
                     env_.bank->Statement(caller.partner_id, ref, req->month()));
    resp->set_card_ref(v.card_ref);
    resp->set_month(v.month);
    resp->set_currency(v.currency);
    resp->set_points_earned(v.points_earned);
    resp->set_points_reversed(v.points_reversed);
    resp->set_monthly_cap_points(v.monthly_cap_points);
    for (const StatementLineView& l : v.lines) {
      v1::StatementLine* line = resp->add_lines();
      line->set_merchant_id(l.merchant_id);
      line->set_partner_id(l.partner_id);
      line->set_purchases(l.purchases);
      line->set_amount_minor(l.amount_minor);
      line->set_points_earned(l.points_earned);
      line->set_points_reversed(l.points_reversed);
    }
    return absl::OkStatus();
  });
}

}  // namespace loyalty
